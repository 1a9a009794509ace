using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Npu;

/// <summary>Shape and signedness of every value of an integer program for one input shape, taken from one run
/// of the reference executor on zero inputs (exact, including shapes computed by float shape arithmetic).</summary>
public sealed class ProgramValues
{
    private readonly Dictionary<string, int[]> _shapes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unsigned = new(StringComparer.Ordinal);

    public static ProgramValues Probe(IntegerProgram program, IReadOnlyDictionary<string, int[]> inputShapes, IReadOnlyDictionary<string, DataType> inputTypes)
    {
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in program.Inputs)
        {
            if (!inputShapes.TryGetValue(name, out var shape)) throw new InvalidInputException($"no shape for input '{name}'", name, "give every input's shape");
            var type = inputTypes.TryGetValue(name, out var t) ? t : DataType.Float32;
            inputs[name] = Zeros(shape, type);
        }
        return Probe(program, inputs);
    }

    /// <summary>Probes with real inputs (shapes and types from them).</summary>
    public static ProgramValues Probe(IntegerProgram program, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var state = program.Run(inputs);
        var values = new ProgramValues();
        foreach (var name in program.Inputs.Concat(program.Steps.SelectMany(s => s.Inputs.Concat(s.Outputs))))
        {
            if (name.Length == 0 || !state.Contains(name)) continue;
            values._shapes[name] = state.Get(name).Shape;
            if (state.IsUnsigned(name)) values._unsigned.Add(name);
        }
        return values;
    }

    public int[] Shape(string value) => _shapes.TryGetValue(value, out var s)
        ? s
        : throw new InvalidOperationException($"value '{value}' has no shape from the probe run");

    public bool Has(string value) => _shapes.ContainsKey(value);

    public bool IsUnsigned(string value) => _unsigned.Contains(value);

    private static Tensor Zeros(int[] shape, DataType type)
    {
        long count = ShapeMath.ElementCount(shape);
        return type switch
        {
            DataType.Int64 => Tensor.Create(shape, new long[count]),
            DataType.Int32 => Tensor.Create(shape, new int[count]),
            DataType.Int8 => Tensor.Create(shape, new sbyte[count]),
            DataType.UInt8 => Tensor.Create(shape, new byte[count]),
            _ => Tensor.Create(shape, new float[count]),
        };
    }
}
