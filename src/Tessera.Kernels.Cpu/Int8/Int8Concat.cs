using Tessera.Core;
using Tessera.Integer;
using Tessera.Ops;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of a <see cref="ConcatStep"/>: each input's rescale to the output parameters becomes a
/// 256-entry table (the reference rescale evaluated once on every int8 value, so the result is bit for bit the
/// reference step's), applied while the input's blocks are copied into a reused output array.</summary>
public sealed class Int8Concat : IntegerStep
{
    private readonly ReusedBuffer<sbyte> _output = new();
    private readonly sbyte[]?[] _rows;
    private readonly int _axis;
    private readonly bool _unsigned;

    public Int8Concat(ConcatStep concat)
        : base(concat.Name, [.. concat.Inputs], [concat.Outputs[0]])
    {
        _axis = (int)(concat.Node.Attribute("axis")?.Value as long? ?? throw new InvalidInputException($"Concat '{concat.Name}' has no axis", concat.Name));
        _unsigned = concat.Unsigned;
        _rows = new sbyte[]?[concat.Inputs.Count];
        var all = Tensor.Create([256], Enumerable.Range(-128, 256).Select(v => (sbyte)v).ToArray());
        for (int i = 0; i < _rows.Length; i++)
        {
            if (concat.Rescale[i] is not { } rescale) continue;
            var mapped = IntegerKernels.Requantize(all, concat.InputZeros[i], rescale).As<sbyte>();
            var row = new sbyte[256];
            for (int v = -128; v < 128; v++) row[(byte)v] = mapped[v + 128];
            _rows[i] = row;
        }
    }

    public override string Kind => "int.Concat";

    public override string Parameters => "cpu";

    public override void Execute(IntegerState state)
    {
        var parts = Inputs.Select(state.Int8).ToArray();
        var first = parts[0];
        int rank = first.Rank;
        int axis = ShapeMath.NormalizeAxis(_axis, rank, Name);
        var shape = (int[])first.Shape.Clone();
        shape[axis] = 0;
        foreach (var t in parts)
        {
            if (t.Rank != rank || Enumerable.Range(0, rank).Any(d => d != axis && t.Shape[d] != first.Shape[d]))
            {
                throw new InvalidInputException($"Concat input shapes {ShapeMath.Format(first.Shape)} and {ShapeMath.Format(t.Shape)} differ outside axis {axis}", Name);
            }
            shape[axis] += t.Shape[axis];
        }
        long total = ShapeMath.ElementCount(shape);
        var y = _output.Get(total);
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        int outBlock = outer == 0 ? 0 : (int)(total / outer);
        int offset = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            var source = parts[i].As<sbyte>();
            int block = outer == 0 ? 0 : source.Length / outer;
            for (int o = 0; o < outer && block > 0; o++)
            {
                var from = source.AsSpan(o * block, block);
                var to = y.AsSpan(o * outBlock + offset, block);
                if (_rows[i] is { } row) ByteTable.Unary(from, row, to);
                else from.CopyTo(to);
            }
            offset += block;
        }
        state.SetInt8(Outputs[0], _output.Wrap(shape, y), _unsigned);
    }
}
