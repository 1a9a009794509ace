using System.Numerics.Tensors;
using Tessera.Core;
using Tessera.Ops;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Slice (opset 10 and later) on float32 with unit steps: the result is a box of the input, copied
/// as contiguous runs along the last axis. Other steps, element types and malformed arguments go to the
/// reference (which reports the errors).</summary>
public sealed class FastSlice(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        if (context.Opset < 10 || context.InputCount < 3) return false;
        var x = context.Input(0);
        if (x.Data is not float[] data || x.Rank == 0) return false;
        var starts = context.Input(1);
        var ends = context.Input(2);
        var axes = context.OptionalInput(3);
        var steps = context.InputCount > 4 ? context.OptionalInput(4) : null;
        if (!IsIndex(starts) || !IsIndex(ends) || ends.Length != starts.Length) return false;
        if (axes is not null && (!IsIndex(axes) || axes.Length != starts.Length)) return false;
        if (steps is not null && (!IsIndex(steps) || steps.Length != starts.Length)) return false;
        int rank = x.Rank;
        Span<int> first = stackalloc int[rank];
        Span<int> count = stackalloc int[rank];
        for (int d = 0; d < rank; d++) count[d] = x.Shape[d];
        Span<bool> seen = stackalloc bool[rank];
        for (int i = 0; i < starts.Length; i++)
        {
            long axis = axes is null ? i : axes.GetInt64(i);
            if (axis < 0) axis += rank;
            if (axis < 0 || axis >= rank || seen[(int)axis]) return false;
            seen[(int)axis] = true;
            if (steps is not null && steps.GetInt64(i) != 1) return false;
            long dim = x.Shape[(int)axis], start = starts.GetInt64(i), end = ends.GetInt64(i);
            if (start < 0) start += dim;
            if (end < 0) end += dim;
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            first[(int)axis] = (int)start;
            count[(int)axis] = (int)Math.Max(0, end - start);
        }
        var shape = count.ToArray();
        int length = (int)ShapeMath.ElementCount(shape);
        var y = context.NewFloats(length);
        if (length > 0)
        {
            var strides = ShapeMath.Strides(x.Shape);
            int run = count[rank - 1], runs = length / run;
            Span<int> index = stackalloc int[rank];
            for (int r = 0; r < runs; r++)
            {
                long source = first[rank - 1];
                for (int d = 0; d < rank - 1; d++) source += (long)(first[d] + index[d]) * strides[d];
                data.AsSpan((int)source, run).CopyTo(y.AsSpan(r * run, run));
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++index[d] < count[d]) break;
                    index[d] = 0;
                }
            }
        }
        context.SetOutput(0, Tensor.Create(shape, y));
        return true;
    }

    private static bool IsIndex(Tensor t) => t.DataType is DataType.Int64 or DataType.Int32 && t.Rank == 1;
}

/// <summary>Pow on float32 with a one-element exponent of exactly 2 (the power spectra of Silero's STFT):
/// x * x, the value the reference's double pow rounds to.</summary>
public sealed class FastPow(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        var exponent = context.Input(1);
        if (x.Data is not float[] data || exponent.Length != 1 || exponent.Rank > x.Rank) return false;
        if (!DataTypes.IsNumeric(exponent.DataType) || exponent.GetDouble(0) != 2) return false;
        var y = context.CanOverwriteInput(0) ? data : context.NewFloats(data.Length);
        TensorPrimitives.Multiply(data, data, y);
        context.SetOutput(0, Tensor.Create((int[])x.Shape.Clone(), y));
        return true;
    }
}
