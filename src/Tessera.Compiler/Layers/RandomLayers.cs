using Tessera.Hardware;

namespace Tessera.Compiler.Layers;

/// <summary>Seeded random layers with realistic quantization parameters, for networks that exercise the compiler
/// without a real model (co-simulation samples, tests): requantization multipliers from plausible scales, small
/// zero points and biases of accumulator magnitude, so outputs spread over the int8 range instead of saturating.</summary>
public static class RandomLayers
{
    public static sbyte[] Values(int count, Random random, int low = -128, int high = 128)
    {
        var values = new sbyte[count];
        for (int i = 0; i < count; i++) values[i] = (sbyte)random.Next(low, high);
        return values;
    }

    /// <summary>A convolution with random int8 weights; the output zero point is random in [-20, 20] unless given.</summary>
    public static ConvLayer Conv(string name, NpuTensor input, int outputChannels, Window window, int groups, Random random,
        int minimum = -128, int maximum = 127, string? outputName = null, int? outputZeroPoint = null)
    {
        var output = new NpuTensor(outputName ?? name + ":out", window.OutputHeight(input.Height), window.OutputWidth(input.Width), outputChannels,
            outputZeroPoint ?? random.Next(-20, 21));
        int fanIn = window.Taps * (input.Channels / groups);
        var weights = Values(outputChannels * fanIn, random, -127, 128);
        var bias = Enumerable.Range(0, outputChannels).Select(_ => random.Next(-2000, 2001)).ToArray();
        var multipliers = new int[outputChannels];
        var shifts = new int[outputChannels];
        for (int c = 0; c < outputChannels; c++)
        {
            // About three standard deviations of a random accumulator map to the int8 range.
            double scale = 127.0 / (3 * 74 * 74 * Math.Sqrt(fanIn)) * (0.5 + random.NextDouble());
            (multipliers[c], shifts[c]) = FixedPoint.QuantizeMultiplier(scale);
        }
        return new ConvLayer(name, input, output, window, groups, weights, bias, multipliers, shifts, minimum, maximum);
    }

    /// <summary>An elementwise Add's parameters as TFLite prepares them: left shift 20, both inputs rescaled to
    /// twice the larger input scale.</summary>
    public static int[] AddParameters(NpuTensor a, NpuTensor b, NpuTensor output, Random random)
    {
        double sa = 0.02 + random.NextDouble() * 0.02, sb = 0.02 + random.NextDouble() * 0.02, so = 0.05;
        double twice = 2 * Math.Max(sa, sb);
        var (am, ash) = FixedPoint.QuantizeMultiplier(sa / twice);
        var (bm, bsh) = FixedPoint.QuantizeMultiplier(sb / twice);
        var (om, osh) = FixedPoint.QuantizeMultiplier(twice / ((1 << 20) * so));
        return [a.ZeroPoint, b.ZeroPoint, 20, am, ash, bm, bsh, om, osh, output.ZeroPoint, -128, 127];
    }

    /// <summary>An elementwise Mul's parameters for plausible input and output scales.</summary>
    public static int[] MultiplyParameters(NpuTensor a, NpuTensor b, NpuTensor output, Random random)
    {
        var (m, s) = FixedPoint.QuantizeMultiplier(0.02 * 0.03 / 0.01 * (0.5 + random.NextDouble()));
        return [a.ZeroPoint, b.ZeroPoint, m, s, output.ZeroPoint, -128, 127];
    }
}
