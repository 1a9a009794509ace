using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>Random shapes (odd sizes, 1x1, 3x3 stride 2, dilation, groups, depthwise, asymmetric padding) on
/// every configuration: the compiled program equals the oracle bit for bit.</summary>
public class PropertyTests
{
    [Property(MaxTest = 60)]
    public Property Random_convolutions_are_bit_exact(PositiveInt seedValue)
    {
        int seed = seedValue.Get;
        var random = new Random(seed);
        string config = Make.Configs[seed % 3];
        int kernel = random.Next(3) switch { 0 => 1, 1 => 3, _ => random.Next(1, 6) };
        int stride = random.Next(1, 3), dilation = kernel > 1 && random.Next(4) == 0 ? 2 : 1;
        int groups = random.Next(4) switch { 0 => 0, 1 => random.Next(1, 4), _ => 1 }; // 0: depthwise
        int perGroup = random.Next(1, 20);
        int inputChannels = groups == 0 ? random.Next(1, 50) : groups * perGroup;
        int outputChannels = groups == 0 ? inputChannels : groups * random.Next(1, 24);
        int reach = (kernel - 1) * dilation + 1;
        var padding = new Padding(random.Next(0, reach), random.Next(0, reach), random.Next(0, reach), random.Next(0, reach));
        int height = random.Next(Math.Max(1, reach - padding.Top - padding.Bottom), 18);
        int width = random.Next(Math.Max(1, reach - padding.Left - padding.Right), 18);
        var window = new Window(kernel, kernel, stride, stride, dilation, dilation, padding);
        var input = Make.Tensor("x", height, width, inputChannels, random);
        int minimum = random.Next(2) == 0 ? -128 : random.Next(-128, 0);
        var conv = Make.Conv("conv", input, outputChannels, window, groups == 0 ? inputChannels : groups, random, minimum, 127);
        LayerTests.AssertBitExact(config, conv, seed, requireSpread: false);
        return true.ToProperty();
    }

    [Property(MaxTest = 50)]
    public Property Random_pools_and_elementwise_are_bit_exact(PositiveInt seedValue)
    {
        int seed = seedValue.Get;
        var random = new Random(seed);
        string config = Make.Configs[seed % 3];
        int h = random.Next(1, 15), w = random.Next(1, 15), c = random.Next(1, 70);
        var input = Make.Tensor("x", h, w, c, random);
        int kernel = random.Next(1, Math.Min(h, w) + 1), stride = random.Next(1, 3);
        Layer layer;
        switch (random.Next(4))
        {
            case 0:
                {
                    int pad = random.Next(0, Math.Min(kernel, 3));
                    var window = new Window(kernel, kernel, stride, stride, Padding: Padding.Same(pad));
                    layer = new MaxPoolLayer("max", input, new NpuTensor("y", window.OutputHeight(h), window.OutputWidth(w), c, input.ZeroPoint), window);
                    break;
                }
            case 1:
                {
                    var window = new Window(kernel, kernel, stride, stride);
                    var (m, s) = Tessera.Hardware.FixedPoint.QuantizeMultiplier((0.5 + random.NextDouble()) / window.Taps);
                    layer = new AveragePoolLayer("avg", input, new NpuTensor("y", window.OutputHeight(h), window.OutputWidth(w), c, random.Next(-5, 6)), window, m, s);
                    break;
                }
            case 2:
                {
                    var b = Make.Tensor("b", h, w, c, random);
                    var y = Make.Tensor("y", h, w, c, random);
                    bool multiply = random.Next(2) == 0;
                    layer = new ElementwiseLayer("op", input, b, y, multiply, multiply ? Make.MultiplyParameters(input, b, y, random) : Make.AddParameters(input, b, y, random));
                    break;
                }
            default:
                layer = new LookupLayer("lut", input, input with { Name = "y" }, Make.Values(256, random));
                break;
        }
        LayerTests.AssertBitExact(config, layer, seed, requireSpread: false);
        return true.ToProperty();
    }
}
