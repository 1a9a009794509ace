using Tessera.Compiler.Layers;
using Tessera.Hardware;

namespace Tessera.Compiler.Tests;

/// <summary>Random but realistic instances of the layer kinds the real models add.</summary>
internal static class ModelLayerMake
{
    public static BroadcastLayer Broadcast(string name, NpuTensor left, NpuTensor right, bool multiply, Random random)
    {
        var output = new NpuTensor(name + ":out", Math.Max(left.Height, right.Height), Math.Max(left.Width, right.Width), Math.Max(left.Channels, right.Channels), random.Next(-20, 21));
        return new BroadcastLayer(name, left, right, output, multiply, multiply ? Make.MultiplyParameters(left, right, output, random) : Make.AddParameters(left, right, output, random));
    }

    public static MatMulLayer MatMul(string name, NpuTensor left, NpuTensor right, bool transposeRight, Random random, bool perColumn = false, int minimum = -128, int maximum = 127)
    {
        int k = left.Channels, n = transposeRight ? right.Width : right.Channels;
        var output = new NpuTensor(name + ":out", left.Height, left.Width, n, random.Next(-20, 21));
        int scales = perColumn ? n : 1;
        var multipliers = new int[scales];
        var shifts = new int[scales];
        for (int c = 0; c < scales; c++)
        {
            double scale = 127.0 / (3 * 74 * 74 * Math.Sqrt(k)) * (0.5 + random.NextDouble());
            (multipliers[c], shifts[c]) = FixedPoint.QuantizeMultiplier(scale);
        }
        var bias = random.Next(2) == 0 ? new int[n] : Enumerable.Range(0, n).Select(_ => random.Next(-3000, 3001)).ToArray();
        return new MatMulLayer(name, left, right, output, transposeRight, bias, multipliers, shifts, minimum, maximum);
    }

    /// <summary>A transposed convolution with the same weight/requantization statistics as <see cref="Make.Conv"/>.</summary>
    public static ConvTransposeLayer ConvTranspose(string name, NpuTensor input, int outputChannels, Window window, int groups, Random random, int outputPaddingY = 0, int outputPaddingX = 0)
    {
        int height = ConvTransposeLayer.CroppedSize(input.Height, window.KernelHeight, window.StrideY, window.DilationY, window.Padding.Top, window.Padding.Bottom) + outputPaddingY;
        int width = ConvTransposeLayer.CroppedSize(input.Width, window.KernelWidth, window.StrideX, window.DilationX, window.Padding.Left, window.Padding.Right) + outputPaddingX;
        var conv = Make.Conv(name, input, outputChannels, new Window(window.KernelHeight, window.KernelWidth), groups, random);
        var output = new NpuTensor(name + ":out", height, width, outputChannels, conv.Output.ZeroPoint);
        return new ConvTransposeLayer(name, input, output, window, groups, conv.Weights, conv.Bias, conv.Multipliers, conv.Shifts);
    }

    /// <summary>HWC data of an NCHW batch-1 tensor and back.</summary>
    public static sbyte[] ToHwc(sbyte[] nchw, int c, int h, int w)
    {
        var hwc = new sbyte[nchw.Length];
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) hwc[(y * w + x) * c + ch] = nchw[(ch * h + y) * w + x];
        return hwc;
    }

    public static sbyte[] ToNchw(sbyte[] hwc, int c, int h, int w)
    {
        var nchw = new sbyte[hwc.Length];
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) nchw[(ch * h + y) * w + x] = hwc[(y * w + x) * c + ch];
        return nchw;
    }
}
