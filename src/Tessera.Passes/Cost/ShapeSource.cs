using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Passes;

/// <summary>Fills the IR's value types with inferred shapes. Graph input and output declarations are kept
/// as written unless concrete shapes were given, so a model stays as general as it was.</summary>
public static class ShapeSource
{
    public static TypeInference Infer(Model model, IReadOnlyDictionary<string, int[]>? inputShapes, OperatorRegistry? registry = null)
    {
        Validate(model, inputShapes);
        var outputs = model.Graph.Outputs.Select(o => o.Type).ToList();
        var inference = TypeInference.Run(model, inputShapes, registry);
        inference.Apply();
        if (inputShapes is null || inputShapes.Count == 0)
        {
            for (int i = 0; i < outputs.Count; i++) model.Graph.Outputs[i].Type = outputs[i] ?? model.Graph.Outputs[i].Type;
        }
        return inference;
    }

    /// <summary>Every given shape names a graph input and agrees with its declared rank and known dims.</summary>
    public static void Validate(Model model, IReadOnlyDictionary<string, int[]>? inputShapes)
    {
        if (inputShapes is null) return;
        foreach (var (name, shape) in inputShapes)
        {
            var input = model.Graph.Inputs.FirstOrDefault(i => i.Name == name && i.Constant is null)
                ?? throw new InvalidInputException($"the model has no input '{name}'", "--input-shape",
                    "inputs are: " + string.Join(", ", model.Graph.Inputs.Where(i => i.Constant is null).Select(i => $"{i.Name} {i.Type}")));
            if (input.TensorType?.Shape is not { } declared) continue;
            bool fits = declared.Rank == shape.Length && declared.Dims.Select((d, i) => !d.IsKnown || d.Value == shape[i]).All(b => b);
            if (!fits) throw new InvalidInputException($"shape {ShapeMath.Format(shape)} does not fit input '{name}' declared as {declared}", "--input-shape");
        }
    }
}
