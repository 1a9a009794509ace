using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Compiler;
using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Npu.Mapping;
using Xunit;
using Window = Tessera.Compiler.Layers.Window;

namespace Tessera.Npu.Tests;

/// <summary>The two places where the NPU computes the executor's rescale by another route: a Requantize (and a
/// Concat part's rescale) as FixedPoint.Add with a crafted parameter block, and an average pool's input shift
/// as repeated doubling on the vector unit.</summary>
public sealed class RescaleIdentityTests
{
    [Property(MaxTest = 200)]
    public Property Requantize_as_add_equals_the_executor(PositiveInt seedValue)
    {
        var random = new Random(seedValue.Get);
        double ratio = Math.Exp(random.NextDouble() * 8 - 5); // 0.007 .. 20
        int inputZero = random.Next(-128, 128), outputZero = random.Next(-128, 128);
        int minimum = random.Next(-128, 0), maximum = random.Next(0, 128);
        var requantizer = Requantizer.ForValues(ratio, outputZero, minimum, maximum);
        var parameters = RequantizeMapper.Parameters(requantizer, inputZero)!;
        for (int x = -128; x < 128; x++)
        {
            if (FixedPoint.Add(x, x, parameters) != requantizer.Apply(x - inputZero, 0)) return false.Label($"x={x} ratio={ratio}");
        }
        return true.ToProperty();
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Average_pool_with_input_shift_matches_the_executor(string configuration)
    {
        var random = new Random(11);
        const int Height = 7, Width = 9, Channels = 21, InputZero = -5;
        var x = new sbyte[Height * Width * Channels];
        random.NextBytes((byte[])(Array)x);
        var rescale = new AverageRescale(0.8, 3, -128, 127);
        foreach (var (window, name) in new[] { (new Window(3, 3, 2, 2), "3x3/2"), (new Window(Height, Width), "global") })
        {
            var r = rescale.ForCount(window.Taps);
            Assert.True(r.InputShift > 0, "the case must exercise the input shift");
            var input = new NpuTensor("x", Height, Width, Channels, InputZero);
            var output = new NpuTensor("y", window.OutputHeight(Height), window.OutputWidth(Width), Channels, r.ZeroPoint);
            var layer = new AveragePoolLayer("pool", input, output, window, r.Multipliers[0], r.Shifts[0], r.Minimum, r.Maximum, r.InputShift);
            var compiled = NetworkCompiler.Compile(NpuSpecLoader.Load(configuration), layer);
            var (outputs, _) = NpuExecution.Run(compiled, new Dictionary<string, sbyte[]> { ["x"] = x }, layerReports: false);
            var nchw = ValueLayout.FromNpu(x, [1, Channels, Height, Width], NpuLayout.Image);
            var integerWindow = new Integer.Window(window.KernelHeight, window.KernelWidth, window.StrideY, window.StrideX, 1, 1, 0, 0, 0, 0, output.Height, output.Width);
            var expected = IntegerKernels.AveragePool(nchw.As<sbyte>(), [1, Channels, Height, Width], integerWindow, InputZero, false, rescale.ForCount);
            var hwc = ValueLayout.ToNpu(Tensor.Create([1, Channels, output.Height, output.Width], expected), NpuLayout.Image);
            Assert.True(hwc.SequenceEqual(outputs["y"]), $"{name} on {configuration}");
            Assert.Equal(LayerOracle.Run(layer, [x]), outputs["y"]);
            // Without the shift the same multiplier would not be the executor's rounding: the check can fail.
            var unshifted = LayerOracle.Run(layer with { InputShift = 0 }, [x]);
            Assert.NotEqual(hwc, unshifted);
        }
    }
}
