using Tessera.Core;

namespace Tessera.Cli;

/// <summary>Deterministic inputs for `tessera bench` and `tessera compare`: every float input uniform in [0, 1) from a fixed
/// seed, shapes from the model or --input-shape; integer inputs are 0 except a scalar named "sr", the
/// Silero VAD sample rate, which is 16000 (the rate the model supports).</summary>
internal static class BenchInputs
{
    public static Dictionary<string, Tensor> Create(Model model, IReadOnlyDictionary<string, int[]>? shapes, string command = "bench")
    {
        var random = new Random(20251125);
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var input in model.Graph.Inputs.Where(v => v.Constant is null))
        {
            if (input.Type is not TensorType { Shape: { } declared } type)
            {
                throw new InvalidInputException($"input '{input.Name}' has no tensor shape", command, "give it with --input-shape NAME=1x3x224x224");
            }
            int[] shape;
            if (shapes is not null && shapes.TryGetValue(input.Name, out var given)) shape = given;
            else if (declared.Dims.All(d => d.IsKnown)) shape = declared.Dims.Select(d => (int)d.Value).ToArray();
            else throw new InvalidInputException($"input '{input.Name}' has dynamic shape {declared}", command, $"give it with --input-shape {input.Name}=...");
            int count = (int)ShapeMath.ElementCount(shape);
            inputs[input.Name] = type.ElementType switch
            {
                DataType.Float32 => Tensor.Create(shape, Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray()),
                DataType.Float16 => Tensor.Create(shape, Enumerable.Range(0, count).Select(_ => (Half)random.NextDouble()).ToArray()),
                DataType.Int64 => Tensor.Create(shape, Enumerable.Repeat(input.Name == "sr" ? 16000L : 0L, count).ToArray()),
                DataType.Int32 => Tensor.Create(shape, new int[count]),
                _ => throw new UnsupportedException($"bench inputs of type {DataTypes.Name(type.ElementType)}", $"input '{input.Name}'"),
            };
        }
        return inputs;
    }
}
