using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Cpu.Simd;

/// <summary>Matrix-vector products for recurrent cells and other small products where a GEMM's packing
/// costs more than the multiply: four rows at a time, each with its own vector accumulator, so the
/// vector is loaded once per four rows and the four horizontal sums come at the end of the rows.</summary>
internal static unsafe class MatrixVector
{
    /// <summary>target[j] += sum_k m[j * cols + k] * v[k] for j below rows (m row-major, rows contiguous).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddProducts(ReadOnlySpan<float> m, int rows, int cols, ReadOnlySpan<float> v, Span<float> target)
    {
        if (m.Length < (long)rows * cols || v.Length < cols || target.Length < rows) throw new ArgumentException("matrix-vector operands too short");
        fixed (float* mp = m, vp = v, tp = target)
        {
            int j = 0;
            if (Vector256.IsHardwareAccelerated && cols >= Vector256<float>.Count)
            {
                int width = Vector256<float>.Count, vectorEnd = cols - cols % width;
                for (; j + 4 <= rows; j += 4)
                {
                    float* r0 = mp + (long)j * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
                    var a0 = Vector256<float>.Zero;
                    var a1 = Vector256<float>.Zero;
                    var a2 = Vector256<float>.Zero;
                    var a3 = Vector256<float>.Zero;
                    for (int k = 0; k < vectorEnd; k += width)
                    {
                        var x = Vector256.Load(vp + k);
                        a0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + k), x, a0);
                        a1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + k), x, a1);
                        a2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + k), x, a2);
                        a3 = Vector256.FusedMultiplyAdd(Vector256.Load(r3 + k), x, a3);
                    }
                    float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
                    for (int k = vectorEnd; k < cols; k++)
                    {
                        float x = vp[k];
                        s0 += r0[k] * x;
                        s1 += r1[k] * x;
                        s2 += r2[k] * x;
                        s3 += r3[k] * x;
                    }
                    tp[j] += s0;
                    tp[j + 1] += s1;
                    tp[j + 2] += s2;
                    tp[j + 3] += s3;
                }
            }
            for (; j < rows; j++)
            {
                float* row = mp + (long)j * cols;
                float s = 0;
                for (int k = 0; k < cols; k++) s += row[k] * vp[k];
                tp[j] += s;
            }
        }
    }
}
