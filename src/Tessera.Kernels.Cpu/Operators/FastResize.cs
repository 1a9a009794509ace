using System.Runtime.Intrinsics;
using Tessera.Core;
using Tessera.Ops;
using Resize = Tessera.Ops.NN.Resize;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Resize / Upsample in nearest mode on float32 (a pure gather; PP-OCR det's FPN upsamples by 2, 4
/// and 8): the per-axis source indices are the reference's (<see cref="Resize.NearestSourceIndices"/>), the
/// output goes into an arena array, rows in parallel. An output row whose source row is the previous row's
/// (every row but one in k when upsampling by k) is a copy of that row; a last axis upsampled by 2 is
/// written two lanes per input value. Other modes and element types go to the reference.</summary>
public sealed class FastResize(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Data is not float[] data || x.Rank == 0 || x.Length == 0) return false;
        var maps = Resize.NearestSourceIndices(context, x, out var shape);
        if (maps is null) return false;
        int rank = x.Rank;
        int length = (int)ShapeMath.ElementCount(shape);
        var y = context.NewFloats(length);
        if (length > 0)
        {
            var inStrides = ShapeMath.Strides(x.Shape);
            var lastMap = maps[rank - 1];
            int rowLength = shape[rank - 1], rows = length / rowLength;
            int inRow = x.Shape[rank - 1];
            bool identity = rowLength == inRow;
            for (int j = 0; j < rowLength && identity; j++) identity = lastMap[j] == j;
            bool doubled = rowLength == 2 * inRow;
            for (int j = 0; j < rowLength && doubled; j++) doubled = lastMap[j] == j / 2;
            int threads = Options.ThreadCount;
            int chunks = Math.Min(rows, threads <= 1 || length < Options.SerialBelowElements ? 1 : threads * 4);
            CpuParallel.For(chunks, threads, chunk =>
            {
                int begin = (int)((long)rows * chunk / chunks), end = (int)((long)rows * (chunk + 1) / chunks);
                Span<int> index = stackalloc int[Math.Max(rank - 1, 1)];
                int rest = begin;
                for (int d = rank - 2; d >= 0; d--)
                {
                    index[d] = rest % shape[d];
                    rest /= shape[d];
                }
                long previous = -1;
                for (int row = begin; row < end; row++)
                {
                    long source = 0;
                    for (int d = 0; d < rank - 1; d++) source += (long)maps[d][index[d]] * inStrides[d];
                    var target = y.AsSpan(row * rowLength, rowLength);
                    if (source == previous) y.AsSpan((row - 1) * rowLength, rowLength).CopyTo(target);
                    else if (identity) data.AsSpan((int)source, rowLength).CopyTo(target);
                    else if (doubled) Double(data.AsSpan((int)source, inRow), target);
                    else
                    {
                        var input = data.AsSpan((int)source, inRow);
                        for (int j = 0; j < target.Length; j++) target[j] = input[lastMap[j]];
                    }
                    previous = source;
                    for (int d = rank - 2; d >= 0; d--)
                    {
                        if (++index[d] < shape[d]) break;
                        index[d] = 0;
                    }
                }
            });
        }
        context.SetOutput(0, Tensor.Create(shape, y));
        return true;
    }

    /// <summary>The work grows with the output (an 8x upsample reads 1/64 of what it writes): the chunk count
    /// above decides from the output length.</summary>
    protected override bool RunsSerially(KernelContext context) => false;

    /// <summary>target[2i] = target[2i + 1] = input[i].</summary>
    private static void Double(ReadOnlySpan<float> input, Span<float> target)
    {
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= input.Length; i += 4)
            {
                var v = Vector128.Create<float>(input.Slice(i, 4));
                var low = Vector128.Shuffle(v, Vector128.Create(0, 0, 1, 1));
                var high = Vector128.Shuffle(v, Vector128.Create(2, 2, 3, 3));
                low.CopyTo(target.Slice(2 * i, 4));
                high.CopyTo(target.Slice(2 * i + 4, 4));
            }
        }
        for (; i < input.Length; i++) target[2 * i] = target[2 * i + 1] = input[i];
    }
}
