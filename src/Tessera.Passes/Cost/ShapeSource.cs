using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Passes;

/// <summary>Fills the IR's value types with inferred shapes. Graph input and output declarations are kept
/// as written unless concrete shapes were given, so a model stays as general as it was.</summary>
public static class ShapeSource
{
    public static TypeInference Infer(Model model, IReadOnlyDictionary<string, int[]>? inputShapes, OperatorRegistry? registry = null)
    {
        var outputs = model.Graph.Outputs.Select(o => o.Type).ToList();
        var inference = TypeInference.Run(model, inputShapes, registry);
        inference.Apply();
        if (inputShapes is null || inputShapes.Count == 0)
        {
            for (int i = 0; i < outputs.Count; i++) model.Graph.Outputs[i].Type = outputs[i] ?? model.Graph.Outputs[i].Type;
        }
        return inference;
    }
}
