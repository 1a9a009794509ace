using System.Numerics;
using System.Runtime.CompilerServices;
using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>Conv: N-D grouped convolution (depthwise when group = channels) with strides, dilations,
/// explicit pads or auto_pad. Float32 with 1 or 2 spatial axes takes a direct loop over float[]
/// (parallel over output channels); everything else goes through the generic N-D loop in double.</summary>
[Op("Conv")]
public sealed class Convolution : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var w = context.Input(1);
        var b = context.OptionalInput(2);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"Conv on {DataTypes.Name(x.DataType)}");
        if (w.DataType != x.DataType || (b is not null && b.DataType != x.DataType)) throw context.Invalid("X, W and B must have the same type");
        var (geometry, group) = Prepare(context, x.Shape, w.Shape);
        var outShape = OutputShape(x.Shape, w.Shape[0], geometry);
        if (b is not null && b.Length != w.Shape[0]) throw context.Invalid($"bias has {b.Length} values, expected {w.Shape[0]}");
        if (x.Data is float[] xf && geometry.Rank <= 2)
        {
            var y = new float[ShapeMath.ElementCount(outShape)];
            Convolve2DFloat(xf, x.Shape, w.As<float>(), w.Shape, b?.As<float>(), group, geometry, y);
            context.SetOutput(0, Tensor.Create(outShape, y));
            return;
        }
        var result = new double[ShapeMath.ElementCount(outShape)];
        ConvolveGeneric(x.ToDoubleArray(), x.Shape, w.ToDoubleArray(), w.Shape, b?.ToDoubleArray(), group, geometry, result);
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, outShape, result));
    }

    /// <summary>Validates X [N, C, ...] against W [M, C/group, k...] and resolves the window.</summary>
    public static (WindowGeometry Geometry, int Group) Prepare(AttributeReader context, int[] x, int[] w)
    {
        string where = context.Node.DisplayName;
        if (x.Length < 3) throw new InvalidInputException($"X must have rank 3 or more, got {ShapeMath.Format(x)}", where);
        if (w.Length != x.Length) throw new InvalidInputException($"W {ShapeMath.Format(w)} must have the rank of X {ShapeMath.Format(x)}", where);
        int group = checked((int)context.GetInt("group", 1));
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1])
        {
            throw new InvalidInputException($"X {ShapeMath.Format(x)} and W {ShapeMath.Format(w)} do not agree with group {group}", where);
        }
        var kernel = w[2..];
        if (context.GetInts("kernel_shape") is { } ks && !ks.Select(k => (int)k).SequenceEqual(kernel))
        {
            throw new InvalidInputException($"kernel_shape [{string.Join(",", ks)}] disagrees with W {ShapeMath.Format(w)}", where);
        }
        var geometry = WindowGeometry.Resolve(context, x[2..].Select(v => (long)v).ToArray(), kernel);
        return (geometry, group);
    }

    public static int[] OutputShape(int[] x, int channels, WindowGeometry geometry) => [x[0], channels, .. geometry.Output];

    /// <summary>Reference N-D grouped convolution in double: y[n, m, o...] = b[m] +
    /// sum over c in m's group and kernel offsets k of x[n, c, o*s + k*d - pad] * w[m, c, k].</summary>
    public static void ConvolveGeneric(double[] x, int[] xShape, double[] w, int[] wShape, double[]? bias, int group, WindowGeometry g, double[] y)
    {
        int n = xShape[0], channels = xShape[1], outChannels = wShape[0];
        int groupIn = channels / group, groupOut = outChannels / group;
        var inSpatial = xShape[2..];
        int inSize = (int)ShapeMath.ElementCount(inSpatial);
        int outSize = (int)ShapeMath.ElementCount(g.Output);
        int kernelSize = (int)ShapeMath.ElementCount(g.Kernel);
        int rank = g.Rank;
        var inStrides = ShapeMath.Strides(inSpatial);
        var outIndex = new int[rank];
        var kIndex = new int[rank];
        for (int b = 0; b < n; b++)
        {
            for (int m = 0; m < outChannels; m++)
            {
                int firstChannel = m / groupOut * groupIn;
                for (int o = 0; o < outSize; o++)
                {
                    Unflatten(o, g.Output, outIndex);
                    double sum = bias?[m] ?? 0;
                    for (int c = 0; c < groupIn; c++)
                    {
                        int xBase = (b * channels + firstChannel + c) * inSize;
                        int wBase = (m * groupIn + c) * kernelSize;
                        for (int k = 0; k < kernelSize; k++)
                        {
                            Unflatten(k, g.Kernel, kIndex);
                            int offset = 0;
                            bool inside = true;
                            for (int d = 0; d < rank && inside; d++)
                            {
                                int i = outIndex[d] * g.Strides[d] + kIndex[d] * g.Dilations[d] - g.PadBegin[d];
                                inside = i >= 0 && i < inSpatial[d];
                                offset += i * inStrides[d];
                            }
                            if (inside) sum += x[xBase + offset] * w[wBase + k];
                        }
                    }
                    y[(b * outChannels + m) * outSize + o] = sum;
                }
            }
        }
    }

    /// <summary>Writes the row-major multi-index of <paramref name="flat"/> in <paramref name="shape"/>.</summary>
    public static void Unflatten(int flat, int[] shape, int[] index)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
    }

    /// <summary>Direct float32 convolution for 1 or 2 spatial axes (1-D is 2-D with height 1): for each
    /// (batch, output channel) plane, accumulate weight x shifted input row segments.</summary>
    private static void Convolve2DFloat(float[] x, int[] xShape, float[] w, int[] wShape, float[]? bias, int group, WindowGeometry g, float[] y)
    {
        bool oneD = g.Rank == 1;
        int n = xShape[0], channels = xShape[1], outChannels = wShape[0];
        int h = oneD ? 1 : xShape[2], width = xShape[^1];
        int kh = oneD ? 1 : g.Kernel[0], kw = g.Kernel[^1];
        int sh = oneD ? 1 : g.Strides[0], sw = g.Strides[^1];
        int dh = oneD ? 1 : g.Dilations[0], dw = g.Dilations[^1];
        int ph = oneD ? 0 : g.PadBegin[0], pw = g.PadBegin[^1];
        int oh = oneD ? 1 : g.Output[0], ow = g.Output[^1];
        int groupIn = channels / group, groupOut = outChannels / group;
        int plane = oh * ow, inPlane = h * width;
        Parallel.For(0, n * outChannels, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (job) =>
        {
            int b = job / outChannels, m = job % outChannels;
            // Sums run in double and are rounded to float once: a float accumulator over hundreds of terms loses
            // the small results of cancelling sums (an STFT's near-silent bins), which a following Log amplifies.
            var output = new double[plane].AsSpan();
            output.Fill(bias?[m] ?? 0f);
            int firstChannel = m / groupOut * groupIn;
            for (int c = 0; c < groupIn; c++)
            {
                var input = x.AsSpan((b * channels + firstChannel + c) * inPlane, inPlane);
                int wBase = (m * groupIn + c) * kh * kw;
                for (int ky = 0; ky < kh; ky++)
                {
                    // Output rows whose input row oy*sh + ky*dh - ph lies inside [0, h).
                    int yStart = CeilDiv(ph - ky * dh, sh), yEnd = CeilDiv(h + ph - ky * dh, sh);
                    yStart = System.Math.Max(yStart, 0);
                    yEnd = System.Math.Min(yEnd, oh);
                    for (int kx = 0; kx < kw; kx++)
                    {
                        float weight = w[wBase + ky * kw + kx];
                        int xStart = System.Math.Max(CeilDiv(pw - kx * dw, sw), 0);
                        int xEnd = System.Math.Min(CeilDiv(width + pw - kx * dw, sw), ow);
                        if (xEnd <= xStart || yEnd <= yStart) continue;
                        if (sh == 1 && sw == 1 && ow == width && kx * dw == pw)
                        {
                            // Whole rows line up (1x1 kernels, centre columns): one contiguous run.
                            int from = (yStart + ky * dh - ph) * width;
                            MultiplyAdd(input.Slice(from, (yEnd - yStart) * ow), weight, output.Slice(yStart * ow, (yEnd - yStart) * ow));
                            continue;
                        }
                        for (int oy = yStart; oy < yEnd; oy++)
                        {
                            int row = (oy * sh + ky * dh - ph) * width;
                            int ix = xStart * sw + kx * dw - pw;
                            var target = output.Slice(oy * ow + xStart, xEnd - xStart);
                            if (sw == 1) MultiplyAdd(input.Slice(row + ix, target.Length), weight, target);
                            else for (int i = 0; i < target.Length; i++) target[i] += (double)weight * input[row + ix + i * sw];
                        }
                    }
                }
            }
            var result = y.AsSpan(job * plane, plane);
            for (int i = 0; i < plane; i++) result[i] = (float)output[i];
        });
    }

    /// <summary>Ceiling of a / b for b &gt; 0 and any sign of a.</summary>
    public static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    /// <summary>target[i] += source[i] * weight, accumulated in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> source, double weight, Span<double> target)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && target.Length >= Vector<float>.Count)
        {
            var wv = new Vector<double>(weight);
            int half = Vector<double>.Count;
            for (; i <= target.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(source[i..]), out var low, out var high);
                (new Vector<double>(target[i..]) + low * wv).CopyTo(target[i..]);
                (new Vector<double>(target[(i + half)..]) + high * wv).CopyTo(target[(i + half)..]);
            }
        }
        for (; i < target.Length; i++) target[i] += source[i] * weight;
    }

    /// <summary>target[i] += source[i] * weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> source, float weight, Span<float> target)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && target.Length >= Vector<float>.Count)
        {
            var wv = new Vector<float>(weight);
            for (; i <= target.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var t = new Vector<float>(target[i..]);
                (t + new Vector<float>(source[i..]) * wv).CopyTo(target[i..]);
            }
        }
        for (; i < target.Length; i++) target[i] += source[i] * weight;
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        var w = context.InputTensorType(1);
        if (x.Shape is null || w?.Shape is not { } ws || WindowGeometry.KernelOf(ws) is not { } kernel || ws.Rank != x.Shape.Rank)
        {
            context.SetOutput(0, x.ElementType, x.Shape is null ? null : new TensorShape(Enumerable.Repeat(Dim.Unknown, x.Shape.Rank)));
            return;
        }
        var geometry = WindowGeometry.Resolve(context, WindowGeometry.SpatialOf(x.Shape), kernel);
        context.SetOutput(0, x.ElementType, geometry.OutputShape(x.Shape[0], ws[0]));
    }

    public override long Macs(CostContext context) => Cost(context);

    /// <summary>Output elements x (input channels per group) x kernel window.</summary>
    public static long Cost(CostContext context)
    {
        if (context.OutputShapes[0] is not { } y || context.InputShapes.ElementAtOrDefault(1) is not { } w || w.Length < 2) return 0;
        return ShapeMath.ElementCount(y) * ShapeMath.ElementCount(w.AsSpan(1));
    }
}
