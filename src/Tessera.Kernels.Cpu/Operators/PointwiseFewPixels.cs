using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>A 1x1 stride-1 convolution over 4 or a multiple of 8 pixels (Silero's encoder: 8 and 4 pixels per
/// channel): Y[m, p] = bias[m] + residual[m, p] + sum over c of W[m, c] * X[c, p], read with X's channel rows in
/// place. Four output rows at a time share each loaded X row (one broadcast weight and one FMA per row), so no
/// patch matrix is gathered (the transpose that the general few-pixel path needs).</summary>
public static class PointwiseFewPixels
{
    /// <summary>Whether <paramref name="pixels"/> fits the vector widths used here.</summary>
    public static bool Applies(int pixels) => Vector256.IsHardwareAccelerated && (pixels == 4 || (pixels > 0 && pixels % 8 == 0 && pixels <= 64));

    /// <summary>w: [rows, depth] row-major; x: [depth, pixels]; y: [rows, pixels] (overwritten).</summary>
    public static void Run(ReadOnlySpan<float> w, int rows, int depth, ReadOnlySpan<float> x, int pixels, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, Span<float> y)
    {
        if (!Applies(pixels)) throw new ArgumentOutOfRangeException(nameof(pixels), pixels, "4 or a multiple of 8 up to 64");
        if (w.Length < rows * depth || x.Length < depth * pixels || y.Length < rows * pixels) throw new ArgumentException("spans shorter than the shape");
        if (!bias.IsEmpty && bias.Length < rows) throw new ArgumentException("bias shorter than rows", nameof(bias));
        if (!residual.IsEmpty && residual.Length < rows * pixels) throw new ArgumentException("residual shorter than the output", nameof(residual));
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (pixels == 4)
        {
            int m = 0;
            for (; m + 4 <= rows; m += 4)
            {
                Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
                ref float w0 = ref Unsafe.Add(ref wr, m * depth);
                for (int c = 0; c < depth; c++)
                {
                    var xv = Vector128.LoadUnsafe(ref xr, (nuint)(c * 4));
                    a0 = Vector128.FusedMultiplyAdd(Vector128.Create(Unsafe.Add(ref w0, c)), xv, a0);
                    a1 = Vector128.FusedMultiplyAdd(Vector128.Create(Unsafe.Add(ref w0, depth + c)), xv, a1);
                    a2 = Vector128.FusedMultiplyAdd(Vector128.Create(Unsafe.Add(ref w0, 2 * depth + c)), xv, a2);
                    a3 = Vector128.FusedMultiplyAdd(Vector128.Create(Unsafe.Add(ref w0, 3 * depth + c)), xv, a3);
                }
                a0.StoreUnsafe(ref yr, (nuint)(m * 4));
                a1.StoreUnsafe(ref yr, (nuint)((m + 1) * 4));
                a2.StoreUnsafe(ref yr, (nuint)((m + 2) * 4));
                a3.StoreUnsafe(ref yr, (nuint)((m + 3) * 4));
            }
            for (; m < rows; m++)
            {
                Vector128<float> a0 = default;
                ref float w0 = ref Unsafe.Add(ref wr, m * depth);
                for (int c = 0; c < depth; c++) a0 = Vector128.FusedMultiplyAdd(Vector128.Create(Unsafe.Add(ref w0, c)), Vector128.LoadUnsafe(ref xr, (nuint)(c * 4)), a0);
                a0.StoreUnsafe(ref yr, (nuint)(m * 4));
            }
        }
        else
        {
            for (int p = 0; p < pixels; p += 8)
            {
                int m = 0;
                for (; m + 4 <= rows; m += 4)
                {
                    Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    ref float w0 = ref Unsafe.Add(ref wr, m * depth);
                    for (int c = 0; c < depth; c++)
                    {
                        var xv = Vector256.LoadUnsafe(ref xr, (nuint)(c * pixels + p));
                        a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w0, c)), xv, a0);
                        a1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w0, depth + c)), xv, a1);
                        a2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w0, 2 * depth + c)), xv, a2);
                        a3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w0, 3 * depth + c)), xv, a3);
                    }
                    a0.StoreUnsafe(ref yr, (nuint)(m * pixels + p));
                    a1.StoreUnsafe(ref yr, (nuint)((m + 1) * pixels + p));
                    a2.StoreUnsafe(ref yr, (nuint)((m + 2) * pixels + p));
                    a3.StoreUnsafe(ref yr, (nuint)((m + 3) * pixels + p));
                }
                for (; m < rows; m++)
                {
                    Vector256<float> a0 = default;
                    ref float w0 = ref Unsafe.Add(ref wr, m * depth);
                    for (int c = 0; c < depth; c++) a0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref w0, c)), Vector256.LoadUnsafe(ref xr, (nuint)(c * pixels + p)), a0);
                    a0.StoreUnsafe(ref yr, (nuint)(m * pixels + p));
                }
            }
        }
        for (int m = 0; m < rows; m++)
        {
            var line = y.Slice(m * pixels, pixels);
            if (!bias.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(line, bias[m], line);
            if (!residual.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(line, residual.Slice(m * pixels, pixels), line);
        }
    }
}
