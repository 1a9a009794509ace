using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Direct depthwise convolution on NCHW: each (batch, channel) plane is convolved on its own, row
/// by row, so the input rows and the output row stay in L1; stride-1 taps are one vector multiply-add per
/// output row. Bias and activation are applied to the finished plane.</summary>
public static class DepthwiseConvolution
{
    public static void Run(float[] x, int batch, int channels, Plane plane, float[] w, float[]? bias, Activation activation, float[] y, int threads)
    {
        int planes = batch * channels;
        int chunks = Math.Min(planes, threads <= 1 ? 1 : threads * 4);
        CpuParallel.For(chunks, threads, chunk =>
        {
            for (int job = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; job < end; job++)
            {
                int c = job % channels;
                RunPlane(x.AsSpan(job * plane.Height * plane.Width, plane.Height * plane.Width), plane,
                    w.AsSpan(c * plane.KernelHeight * plane.KernelWidth, plane.KernelHeight * plane.KernelWidth),
                    bias?[c] ?? 0f, y.AsSpan(job * plane.OutHeight * plane.OutWidth, plane.OutHeight * plane.OutWidth));
                activation.Apply(y.AsSpan(job * plane.OutHeight * plane.OutWidth, plane.OutHeight * plane.OutWidth));
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunPlane(ReadOnlySpan<float> input, Plane p, ReadOnlySpan<float> weights, float bias, Span<float> output)
    {
        output.Fill(bias);
        int width = p.Width, outWidth = p.OutWidth;
        for (int oy = 0; oy < p.OutHeight; oy++)
        {
            var target = output.Slice(oy * outWidth, outWidth);
            for (int ky = 0; ky < p.KernelHeight; ky++)
            {
                int iy = oy * p.StrideY + ky * p.DilationY - p.PadTop;
                if ((uint)iy >= (uint)p.Height) continue;
                var row = input.Slice(iy * width, width);
                for (int kx = 0; kx < p.KernelWidth; kx++)
                {
                    float weight = weights[ky * p.KernelWidth + kx];
                    int offset = kx * p.DilationX - p.PadLeft;
                    // Output columns whose input column ox*s + offset lies inside [0, width).
                    int first = Math.Max(0, CeilDiv(-offset, p.StrideX));
                    int end = Math.Min(outWidth, CeilDiv(width - offset, p.StrideX));
                    if (end <= first) continue;
                    if (p.StrideX == 1)
                    {
                        var segment = target[first..end];
                        TensorPrimitives.MultiplyAdd(row.Slice(first + offset, end - first), weight, segment, segment);
                    }
                    else
                    {
                        for (int ox = first; ox < end; ox++) target[ox] += weight * row[ox * p.StrideX + offset];
                    }
                }
            }
        }
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
