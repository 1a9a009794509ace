using System.Runtime.CompilerServices;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Ops;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>A float Transpose island whose only reader is a <see cref="QuantizeStep"/> (BlazeFace's NHWC -> NCHW
/// input Transpose in front of the first quantization), run as one step: quantizing is elementwise, so
/// quantize(transpose(x)) = transpose(quantize(x)) value for value; the float32 input is quantized in its own order
/// (the <see cref="Int8Quantize"/> arithmetic) and the int8 bytes are permuted into a reused array. The transposed
/// float tensor is not made (it had no other use). Non-float32 inputs run the two reference steps.</summary>
public sealed class Int8QuantizeTranspose : IntegerStep
{
    private readonly FloatNodeStep _transpose;
    private readonly QuantizeStep _quantize;
    private readonly int _threads;
    private readonly long[]? _perm;
    private readonly ReusedBuffer<sbyte> _quantized = new();
    private readonly ReusedBuffer<sbyte> _output = new();

    public Int8QuantizeTranspose(FloatNodeStep transpose, QuantizeStep quantize, int threads)
        : base(quantize.Name, [transpose.Inputs[0]], [.. quantize.Outputs])
    {
        _transpose = transpose;
        _quantize = quantize;
        _threads = threads;
        _perm = new KernelContext(transpose.Node, 0, []).GetInts("perm");
    }

    public override string Kind => "quantize.Transpose";

    public override bool IsFloat => true;

    public override string Parameters => _quantize.Parameters + $" perm={(_perm is null ? "reversed" : string.Join(",", _perm))} cpu";

    /// <summary>Whether <paramref name="transpose"/> is a Transpose island read only by <paramref name="quantize"/>
    /// (<paramref name="uses"/>: how many times the program reads each value).</summary>
    public static bool Covers(FloatNodeStep transpose, QuantizeStep quantize, IReadOnlyDictionary<string, int> uses) =>
        transpose.Node.OpType == "Transpose" && transpose.Inputs.Count == 1 && transpose.Outputs.Count == 1
        && quantize.Inputs[0] == transpose.Outputs[0] && uses.GetValueOrDefault(transpose.Outputs[0]) == 1;

    public override void Execute(IntegerState state)
    {
        var input = state.Get(Inputs[0]);
        int rank = input.Rank;
        if (input.Data is not float[] x || _perm is not null && _perm.Length != rank)
        {
            _transpose.Execute(state);
            _quantize.Execute(state);
            return;
        }
        var perm = new int[rank];
        var seen = new bool[rank];
        for (int d = 0; d < rank; d++)
        {
            long p = _perm is null ? rank - 1 - d : _perm[d] < 0 ? _perm[d] + rank : _perm[d];
            if ((ulong)p >= (ulong)rank || seen[p])
            {
                _transpose.Execute(state); // the reference reports the invalid perm
                _quantize.Execute(state);
                return;
            }
            seen[p] = true;
            perm[d] = (int)p;
        }
        int n = x.Length;
        var q = _quantized.Get(n);
        Int8Quantize.QuantizeInChunks(x, q, _quantize.Quantization.Scale, _quantize.Quantization.ZeroPoint, _threads);
        var shape = new int[rank];
        for (int d = 0; d < rank; d++) shape[d] = input.Shape[perm[d]];
        var y = _output.Get(n);
        Permute(q, input.Shape, perm, y);
        state.SetInt8(Outputs[0], _output.Wrap(shape, y), _quantize.Unsigned);
    }

    /// <summary>y (in the permuted shape, row-major) = x permuted: output index (i0, .., i[r-1]) reads x at
    /// sum i[d] * stride[perm[d]]; the last output axis is the inner strided loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Permute(ReadOnlySpan<sbyte> x, int[] xShape, int[] perm, Span<sbyte> y)
    {
        int rank = xShape.Length;
        if (y.Length == 0) return;
        if (rank == 0)
        {
            y[0] = x[0];
            return;
        }
        var strides = ShapeMath.Strides(xShape);
        var shape = new int[rank];
        var step = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            shape[d] = xShape[perm[d]];
            step[d] = strides[perm[d]];
        }
        int inner = shape[rank - 1];
        long innerStep = step[rank - 1];
        var index = new int[rank];
        long source = 0;
        for (int o = 0; o < y.Length; o += inner)
        {
            var row = y.Slice(o, inner);
            if (innerStep == 1) x.Slice((int)source, inner).CopyTo(row);
            else
            {
                long s = source;
                for (int j = 0; j < inner; j++, s += innerStep) row[j] = x[(int)s];
            }
            // Advance the outer axes (rank - 2 .. 0) like an odometer.
            for (int d = rank - 2; d >= 0; d--)
            {
                source += step[d];
                if (++index[d] < shape[d]) break;
                source -= step[d] * shape[d];
                index[d] = 0;
            }
        }
    }
}
