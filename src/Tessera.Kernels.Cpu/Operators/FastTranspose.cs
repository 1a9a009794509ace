using System.Runtime.CompilerServices;
using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Transpose on float32: the output is walked in order while the source offset follows by
/// adding strides (no per-element boxing as in the generic reference).</summary>
public sealed class FastTranspose(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Data is not float[] || x.Rank == 0) return false;
        var perm = context.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, x.Rank).Reverse().ToArray();
        if (perm.Length != x.Rank || perm.Order().Where((p, i) => p != i).Any()) return false;
        context.SetOutput(0, Apply(x, perm, Options.ThreadCount, context.NewFloats(x.Length)));
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    /// <summary>Writes x transposed by <paramref name="perm"/> into <paramref name="result"/> (x's length).</summary>
    public static Tensor Apply(Tensor x, int[] perm, int threads, float[] result)
    {
        int rank = x.Rank;
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var source = x.As<float>();
        if (result.Length == 0) return Tensor.Create(shape, result);
        var inStrides = ShapeMath.Strides(x.Shape);
        var strides = perm.Select(p => (long)inStrides[p]).ToArray();
        int inner = shape[^1];
        long innerStride = strides[^1];
        int outer = result.Length / inner;
        int chunks = Math.Min(outer, threads <= 1 ? 1 : threads * 4);
        CpuParallel.For(chunks, threads, chunk =>
        {
            int first = (int)((long)outer * chunk / chunks), end = (int)((long)outer * (chunk + 1) / chunks);
            Span<int> index = stackalloc int[Math.Max(1, rank - 1)];
            long origin = 0;
            int rest = first;
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d] = rest % shape[d];
                rest /= shape[d];
                origin += index[d] * strides[d];
            }
            for (int o = first; o < end; o++)
            {
                var target = result.AsSpan(o * inner, inner);
                if (innerStride == 1) source.AsSpan((int)origin, inner).CopyTo(target);
                else for (int i = 0; i < inner; i++) target[i] = source[origin + i * innerStride];
                for (int d = rank - 2; d >= 0; d--)
                {
                    origin += strides[d];
                    if (++index[d] < shape[d]) break;
                    origin -= index[d] * strides[d];
                    index[d] = 0;
                }
            }
        });
        return Tensor.Create(shape, result);
    }
}
