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

    /// <summary>target[j * targetStride + p] = sum_k m[j * cols + k] * vectors[p * cols + k] for j below rows and
    /// p below <paramref name="count"/>, with <paramref name="vectors"/> holding a multiple of four vectors
    /// (zero past <paramref name="count"/>): two matrix rows against four vectors per pass, so each matrix row
    /// is read once per four vectors instead of once per vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Products(ReadOnlySpan<float> m, int rows, int cols, ReadOnlySpan<float> vectors, int count, Span<float> target, int targetStride)
    {
        int groups = (count + 3) / 4;
        if (m.Length < (long)rows * cols || vectors.Length < (long)groups * 4 * cols || (rows > 0 && count > 0 && target.Length < (long)(rows - 1) * targetStride + count))
        {
            throw new ArgumentException("matrix-vector operands too short");
        }
        int width = Vector256<float>.Count;
        int vectorEnd = Vector256.IsHardwareAccelerated ? cols - cols % width : 0;
        Span<float> sums = stackalloc float[8];
        fixed (float* mp = m, vp = vectors, tp = target)
        {
            for (int g = 0; g < groups; g++)
            {
                float* v0 = vp + (long)g * 4 * cols, v1 = v0 + cols, v2 = v1 + cols, v3 = v2 + cols;
                int p0 = g * 4, valid = Math.Min(4, count - p0);
                for (int j = 0; j < rows; j += 2)
                {
                    bool pair = j + 1 < rows;
                    float* r0 = mp + (long)j * cols, r1 = pair ? r0 + cols : r0;
                    var a00 = Vector256<float>.Zero; var a01 = Vector256<float>.Zero; var a02 = Vector256<float>.Zero; var a03 = Vector256<float>.Zero;
                    var a10 = Vector256<float>.Zero; var a11 = Vector256<float>.Zero; var a12 = Vector256<float>.Zero; var a13 = Vector256<float>.Zero;
                    for (int k = 0; k < vectorEnd; k += width)
                    {
                        var w0 = Vector256.Load(r0 + k);
                        var w1 = Vector256.Load(r1 + k);
                        var x0 = Vector256.Load(v0 + k);
                        var x1 = Vector256.Load(v1 + k);
                        var x2 = Vector256.Load(v2 + k);
                        var x3 = Vector256.Load(v3 + k);
                        a00 = Vector256.FusedMultiplyAdd(w0, x0, a00);
                        a01 = Vector256.FusedMultiplyAdd(w0, x1, a01);
                        a02 = Vector256.FusedMultiplyAdd(w0, x2, a02);
                        a03 = Vector256.FusedMultiplyAdd(w0, x3, a03);
                        a10 = Vector256.FusedMultiplyAdd(w1, x0, a10);
                        a11 = Vector256.FusedMultiplyAdd(w1, x1, a11);
                        a12 = Vector256.FusedMultiplyAdd(w1, x2, a12);
                        a13 = Vector256.FusedMultiplyAdd(w1, x3, a13);
                    }
                    sums[0] = Vector256.Sum(a00); sums[1] = Vector256.Sum(a01); sums[2] = Vector256.Sum(a02); sums[3] = Vector256.Sum(a03);
                    sums[4] = Vector256.Sum(a10); sums[5] = Vector256.Sum(a11); sums[6] = Vector256.Sum(a12); sums[7] = Vector256.Sum(a13);
                    for (int k = vectorEnd; k < cols; k++)
                    {
                        float w0 = r0[k], w1 = r1[k];
                        sums[0] += w0 * v0[k]; sums[1] += w0 * v1[k]; sums[2] += w0 * v2[k]; sums[3] += w0 * v3[k];
                        sums[4] += w1 * v0[k]; sums[5] += w1 * v1[k]; sums[6] += w1 * v2[k]; sums[7] += w1 * v3[k];
                    }
                    for (int p = 0; p < valid; p++)
                    {
                        tp[(long)j * targetStride + p0 + p] = sums[p];
                        if (pair) tp[(long)(j + 1) * targetStride + p0 + p] = sums[4 + p];
                    }
                }
            }
        }
    }
}
