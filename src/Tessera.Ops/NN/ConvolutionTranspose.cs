using System.Runtime.CompilerServices;
using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>ConvTranspose: the gradient of Conv with respect to its input. Each input element scatters
/// x * w[c, m, k] to output position i*stride + k*dilation - pad_begin. The output size comes from
/// output_shape when given, else stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads; auto_pad
/// SAME_* splits the padding so the output is in*stride.</summary>
[Op("ConvTranspose")]
public sealed class ConvolutionTranspose : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var w = context.Input(1);
        var b = context.OptionalInput(2);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"ConvTranspose on {DataTypes.Name(x.DataType)}");
        if (w.DataType != x.DataType || (b is not null && b.DataType != x.DataType)) throw context.Invalid("X, W and B must have the same type");
        if (x.Rank < 3 || w.Rank != x.Rank) throw context.Invalid($"X {ShapeMath.Format(x.Shape)} and W {ShapeMath.Format(w.Shape)} must have the same rank, at least 3");
        int group = checked((int)context.GetInt("group", 1));
        if (group <= 0 || x.Shape[1] != w.Shape[0] || x.Shape[1] % group != 0) throw context.Invalid($"X {ShapeMath.Format(x.Shape)} and W {ShapeMath.Format(w.Shape)} do not agree with group {group}");
        int outChannels = w.Shape[1] * group;
        if (b is not null && b.Length != outChannels) throw context.Invalid($"bias has {b.Length} values, expected {outChannels}");
        var g = Resolve(context, x.Shape[2..].Select(v => (long)v).ToArray(), w.Shape[2..]);
        int[] outShape = [x.Shape[0], outChannels, .. g.Output];
        if (x.Data is float[] xf && g.Rank <= 2)
        {
            var yf = new float[ShapeMath.ElementCount(outShape)];
            Scatter2DFloat(xf, x.Shape, w.As<float>(), w.Shape, b?.As<float>(), group, g, yf);
            context.SetOutput(0, Tensor.Create(outShape, yf));
            return;
        }
        var y = new double[ShapeMath.ElementCount(outShape)];
        ScatterGeneric(x.ToDoubleArray(), x.Shape, w.ToDoubleArray(), w.Shape, b?.ToDoubleArray(), group, g, y);
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, outShape, y));
    }

    /// <summary>Kernel, strides, dilations, begin pads and output sizes (-1 where the input size is unknown).</summary>
    public static WindowGeometry Resolve(AttributeReader context, long[] input, int[] kernel)
    {
        int rank = kernel.Length;
        string where = context.Node.DisplayName;
        if (context.GetInts("kernel_shape") is { } ks && ks.Length == rank) kernel = ks.Select(k => checked((int)k)).ToArray();
        int[] Ints(string name, int fallback)
        {
            var v = context.GetInts(name);
            if (v is null) return Enumerable.Repeat(fallback, rank).ToArray();
            if (v.Length != rank) throw new ModelFormatException($"{name} has {v.Length} values, expected {rank}", where);
            return v.Select(e => checked((int)e)).ToArray();
        }
        var strides = Ints("strides", 1);
        var dilations = Ints("dilations", 1);
        var outputPadding = Ints("output_padding", 0);
        var pads = context.GetInts("pads");
        var outputShape = context.GetInts("output_shape");
        if (outputShape is not null && outputShape.Length == rank + 2) outputShape = outputShape[2..];
        if (outputShape is not null && outputShape.Length != rank) throw new ModelFormatException($"output_shape has {outputShape.Length} values, expected {rank}", where);
        string autoPad = context.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER")) throw context.Unsupported($"auto_pad '{autoPad}'");
        if (pads is not null && pads.Length != 2 * rank) throw new ModelFormatException($"pads has {pads.Length} values, expected {2 * rank}", where);
        var begin = new int[rank];
        var end = new int[rank];
        var output = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            long extent = (long)(kernel[i] - 1) * dilations[i] + 1;
            bool same = autoPad is "SAME_UPPER" or "SAME_LOWER";
            if (!same && autoPad == "NOTSET" && pads is not null)
            {
                begin[i] = checked((int)pads[i]);
                end[i] = checked((int)pads[i + rank]);
            }
            if (input[i] < 0) { output[i] = -1; continue; }
            long full = strides[i] * (input[i] - 1) + outputPadding[i] + extent;
            if (same)
            {
                long target = outputShape?[i] ?? input[i] * strides[i];
                long total = full - target;
                long small = total / 2, large = total - small;
                begin[i] = (int)(autoPad == "SAME_UPPER" ? small : large);
                end[i] = (int)(autoPad == "SAME_UPPER" ? large : small);
                output[i] = checked((int)target);
            }
            else
            {
                output[i] = checked((int)(outputShape?[i] ?? full - begin[i] - end[i]));
            }
            if (output[i] < 0) throw new InvalidInputException($"output size {output[i]} on spatial axis {i} is negative", where);
        }
        return new WindowGeometry(kernel, strides, dilations, begin, end, output);
    }

    /// <summary>Reference N-D scatter in double.</summary>
    public static void ScatterGeneric(double[] x, int[] xShape, double[] w, int[] wShape, double[]? bias, int group, WindowGeometry g, double[] y)
    {
        int n = xShape[0], channels = xShape[1], groupIn = channels / group, groupOut = wShape[1];
        int outChannels = groupOut * group;
        var inSpatial = xShape[2..];
        int inSize = (int)ShapeMath.ElementCount(inSpatial), outSize = (int)ShapeMath.ElementCount(g.Output);
        int kernelSize = (int)ShapeMath.ElementCount(g.Kernel);
        var outStrides = ShapeMath.Strides(g.Output);
        var inIndex = new int[g.Rank];
        var kIndex = new int[g.Rank];
        for (int b = 0; b < n; b++)
        {
            for (int m = 0; m < outChannels; m++)
            {
                for (int o = 0; o < outSize; o++) y[(b * outChannels + m) * outSize + o] = bias?[m] ?? 0;
            }
            for (int c = 0; c < channels; c++)
            {
                int firstOut = c / groupIn * groupOut;
                for (int i = 0; i < inSize; i++)
                {
                    double value = x[(b * channels + c) * inSize + i];
                    Convolution.Unflatten(i, inSpatial, inIndex);
                    for (int k = 0; k < kernelSize; k++)
                    {
                        Convolution.Unflatten(k, g.Kernel, kIndex);
                        int offset = 0;
                        bool inside = true;
                        for (int d = 0; d < g.Rank && inside; d++)
                        {
                            int p = inIndex[d] * g.Strides[d] + kIndex[d] * g.Dilations[d] - g.PadBegin[d];
                            inside = p >= 0 && p < g.Output[d];
                            offset += p * outStrides[d];
                        }
                        if (!inside) continue;
                        for (int m = 0; m < groupOut; m++)
                        {
                            y[(b * outChannels + firstOut + m) * outSize + offset] += value * w[(c * groupOut + m) * kernelSize + k];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Float32 scatter for 1 or 2 spatial axes, parallel over (batch, output channel) planes.</summary>
    private static void Scatter2DFloat(float[] x, int[] xShape, float[] w, int[] wShape, float[]? bias, int group, WindowGeometry g, float[] y)
    {
        bool oneD = g.Rank == 1;
        int n = xShape[0], channels = xShape[1], groupIn = channels / group, groupOut = wShape[1];
        int outChannels = groupOut * group;
        int h = oneD ? 1 : xShape[2], width = xShape[^1];
        int kh = oneD ? 1 : g.Kernel[0], kw = g.Kernel[^1];
        int sh = oneD ? 1 : g.Strides[0], sw = g.Strides[^1];
        int dh = oneD ? 1 : g.Dilations[0], dw = g.Dilations[^1];
        int ph = oneD ? 0 : g.PadBegin[0], pw = g.PadBegin[^1];
        int oh = oneD ? 1 : g.Output[0], ow = g.Output[^1];
        int plane = oh * ow, inPlane = h * width;
        Parallel.For(0, n * outChannels, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (job) =>
        {
            int b = job / outChannels, m = job % outChannels;
            int grp = m / groupOut, local = m % groupOut;
            var output = y.AsSpan(job * plane, plane);
            output.Fill(bias?[m] ?? 0f);
            for (int c = grp * groupIn; c < (grp + 1) * groupIn; c++)
            {
                var input = x.AsSpan((b * channels + c) * inPlane, inPlane);
                int wBase = (c * groupOut + local) * kh * kw;
                for (int ky = 0; ky < kh; ky++)
                {
                    for (int kx = 0; kx < kw; kx++)
                    {
                        float weight = w[wBase + ky * kw + kx];
                        // Input columns whose output column ix*sw + kx*dw - pw lies in [0, ow).
                        int xStart = System.Math.Max(Convolution.CeilDiv(pw - kx * dw, sw), 0);
                        int xEnd = System.Math.Min(Convolution.CeilDiv(ow + pw - kx * dw, sw), width);
                        if (xEnd <= xStart) continue;
                        for (int iy = 0; iy < h; iy++)
                        {
                            int oy = iy * sh + ky * dh - ph;
                            if (oy < 0 || oy >= oh) continue;
                            var source = input.Slice(iy * width + xStart, xEnd - xStart);
                            int ox = xStart * sw + kx * dw - pw;
                            if (sw == 1) Convolution.MultiplyAdd(source, weight, output.Slice(oy * ow + ox, source.Length));
                            else for (int i = 0; i < source.Length; i++) output[oy * ow + ox + i * sw] += weight * source[i];
                        }
                    }
                }
            }
        });
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        var w = context.InputTensorType(1);
        if (x.Shape is null || w?.Shape is not { } ws || WindowGeometry.KernelOf(ws) is not { } kernel || ws.Rank != x.Shape.Rank || !ws[1].IsKnown)
        {
            context.SetOutput(0, x.ElementType, x.Shape is null ? null : new TensorShape(Enumerable.Repeat(Dim.Unknown, x.Shape.Rank)));
            return;
        }
        var g = Resolve(context, WindowGeometry.SpatialOf(x.Shape), kernel);
        long channels = ws[1].Value * context.GetInt("group", 1);
        context.SetOutput(0, x.ElementType, g.OutputShape(x.Shape[0], Dim.Known(channels)));
    }

    /// <summary>Input elements x (output channels per group) x kernel window.</summary>
    public override long Macs(CostContext context)
    {
        if (context.InputShapes.ElementAtOrDefault(0) is not { } x || context.InputShapes.ElementAtOrDefault(1) is not { } w || w.Length < 2) return 0;
        return ShapeMath.ElementCount(x) * ShapeMath.ElementCount(w.AsSpan(1));
    }
}
