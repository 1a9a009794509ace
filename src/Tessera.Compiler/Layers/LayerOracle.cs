using Tessera.Hardware;

namespace Tessera.Compiler.Layers;

/// <summary>Plain integer loops defining what each layer computes (TFLite int8 reference semantics, every
/// rounding through <see cref="FixedPoint"/>). The compiled program must match these bit for bit.</summary>
public static partial class LayerOracle
{
    public static sbyte[] Run(Layer layer, IReadOnlyList<sbyte[]> inputs)
    {
        layer.Validate();
        return layer switch
        {
            ConvLayer conv => Convolution(conv, inputs[0]),
            MaxPoolLayer pool => MaxPool(pool, inputs[0]),
            AveragePoolLayer pool => AveragePool(pool, inputs[0]),
            ElementwiseLayer elementwise => Elementwise(elementwise, inputs[0], inputs[1]),
            LookupLayer lookup => inputs[0].Select(x => lookup.Table[x + 128]).ToArray(),
            ConcatLayer concat => Concat(concat, inputs),
            ReshapeLayer => (sbyte[])inputs[0].Clone(),
            _ => RunModelLayer(layer, inputs),
        };
    }

    /// <summary>Runs a network's layers in order on named tensors; returns every tensor.</summary>
    public static Dictionary<string, sbyte[]> Run(Network network, IReadOnlyDictionary<string, sbyte[]> inputs)
    {
        var values = new Dictionary<string, sbyte[]>(inputs);
        foreach (var layer in network.Layers) values[layer.Output.Name] = Run(layer, layer.Inputs.Select(t => values[t.Name]).ToList());
        return values;
    }

    private static sbyte[] Convolution(ConvLayer conv, sbyte[] x)
    {
        var (input, output, window) = (conv.Input, conv.Output, conv.Window);
        int inPerGroup = conv.InputChannelsPerGroup, outPerGroup = conv.OutputChannelsPerGroup;
        var y = new sbyte[output.Length];
        for (int oy = 0; oy < output.Height; oy++)
        for (int ox = 0; ox < output.Width; ox++)
        for (int oc = 0; oc < output.Channels; oc++)
        {
            int group = oc / outPerGroup;
            int acc = conv.Bias[oc];
            for (int ky = 0; ky < window.KernelHeight; ky++)
            {
                int iy = oy * window.StrideY + ky * window.DilationY - window.Padding.Top;
                if (iy < 0 || iy >= input.Height) continue; // padding is the zero point: contributes 0
                for (int kx = 0; kx < window.KernelWidth; kx++)
                {
                    int ix = ox * window.StrideX + kx * window.DilationX - window.Padding.Left;
                    if (ix < 0 || ix >= input.Width) continue;
                    int pixel = (iy * input.Width + ix) * input.Channels + group * inPerGroup;
                    for (int ic = 0; ic < inPerGroup; ic++) acc = unchecked(acc + (x[pixel + ic] - input.ZeroPoint) * conv.Weight(oc, ky, kx, ic));
                }
            }
            y[(oy * output.Width + ox) * output.Channels + oc] =
                FixedPoint.Requantize(acc, conv.Multipliers[oc], conv.Shifts[oc], output.ZeroPoint, conv.Minimum, conv.Maximum);
        }
        return y;
    }

    private static sbyte[] MaxPool(MaxPoolLayer pool, sbyte[] x) => Pool(pool.Input, pool.Output, pool.Window, x, (values, _) =>
    {
        int best = -128; // padding taps are -128 and never win
        foreach (int v in values) best = Math.Max(best, v);
        return (sbyte)Math.Clamp(best, pool.Minimum, pool.Maximum);
    });

    private static sbyte[] AveragePool(AveragePoolLayer pool, sbyte[] x) => Pool(pool.Input, pool.Output, pool.Window, x, (values, _) =>
    {
        int acc = 0; // padded taps hold the zero point and add nothing
        foreach (int v in values) acc += v - pool.Input.ZeroPoint;
        return FixedPoint.Requantize(unchecked(acc << pool.InputShift), pool.Multiplier, pool.Shift, pool.Output.ZeroPoint, pool.Minimum, pool.Maximum);
    });

    private static sbyte[] Pool(NpuTensor input, NpuTensor output, Window window, sbyte[] x, Func<List<int>, int, sbyte> reduce)
    {
        var y = new sbyte[output.Length];
        var values = new List<int>();
        for (int oy = 0; oy < output.Height; oy++)
        for (int ox = 0; ox < output.Width; ox++)
        for (int c = 0; c < output.Channels; c++)
        {
            values.Clear();
            for (int ky = 0; ky < window.KernelHeight; ky++)
            for (int kx = 0; kx < window.KernelWidth; kx++)
            {
                int iy = oy * window.StrideY + ky * window.DilationY - window.Padding.Top;
                int ix = ox * window.StrideX + kx * window.DilationX - window.Padding.Left;
                if (iy >= 0 && iy < input.Height && ix >= 0 && ix < input.Width) values.Add(x[(iy * input.Width + ix) * input.Channels + c]);
            }
            y[(oy * output.Width + ox) * output.Channels + c] = reduce(values, c);
        }
        return y;
    }

    private static sbyte[] Elementwise(ElementwiseLayer layer, sbyte[] a, sbyte[] b)
    {
        var y = new sbyte[a.Length];
        for (int i = 0; i < a.Length; i++) y[i] = layer.Multiply ? FixedPoint.Multiply(a[i], b[i], layer.Parameters) : FixedPoint.Add(a[i], b[i], layer.Parameters);
        return y;
    }

    private static sbyte[] Concat(ConcatLayer concat, IReadOnlyList<sbyte[]> parts)
    {
        var y = new sbyte[concat.Output.Length];
        int offset = 0;
        for (int p = 0; p < parts.Count; p++)
        {
            int channels = concat.Parts[p].Channels;
            for (int pixel = 0; pixel < concat.Output.Pixels; pixel++)
            {
                Array.Copy(parts[p], pixel * channels, y, pixel * concat.Output.Channels + offset, channels);
            }
            offset += channels;
        }
        return y;
    }
}
