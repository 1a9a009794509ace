using System.Globalization;
using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>Measures (prints, does not assert: performance is a benchmark's business) the MAC utilization the
/// issue's acceptance names: on <c>small</c>, every array convolution with at least 32 input channels per group
/// and 32 output channels, and the whole model, for the conv-heavy models, after proving the run bit-identical
/// with per-layer reports on. docs/npu-results.md quotes the lines.</summary>
public sealed class UtilizationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("squeezenet")]
    [InlineData("blazeface-front")]
    public void Layers_with_32_channels_on_small(string name)
    {
        var (model, inputs) = name switch
        {
            "blazeface-front" => (QuantizedModel.Get(name, PreprocessingPresets.Get(name), "astronaut.png", "messi5.jpg"), RealModelInputs.BlazeFace(128)),
            _ => MoreModelTests.Load(name),
        };
        var partition = model.Partition("small", inputs, exposeAll: false);
        var hybrid = HybridRunner.Run(partition, inputs);
        BitExactness.AssertIdentical(partition, hybrid, model.Program.Run(inputs));
        var pairs = partition.Segments.Zip(hybrid.Report.Segments, (s, r) => s.Compiled.Network.Layers.Zip(r.Network.Layers)).SelectMany(p => p).ToList();
        Assert.Equal(partition.NpuMacs, pairs.Sum(p => p.Second.Macs));
        var wide = pairs.Where(p => p.First is ConvLayer c && c.Groups == 1 && c.InputChannelsPerGroup >= 32 && c.Output.Channels >= 32).ToList();
        Assert.NotEmpty(wide);
        var c = CultureInfo.InvariantCulture;
        foreach (var (layer, report) in wide)
        {
            var conv = (ConvLayer)layer;
            output.WriteLine(string.Create(c, $"  {layer.Name}: {conv.Input.Channels}->{conv.Output.Channels} {conv.Window.KernelHeight}x{conv.Window.KernelWidth} out {conv.Output.Height}x{conv.Output.Width}, {report.Macs} MACs, {report.Cycles} cycles, util {report.MacUtilization * 100:F1} %"));
        }
        long wideMacs = wide.Sum(p => p.Second.Macs), wideCycles = wide.Sum(p => p.Second.Cycles);
        output.WriteLine(string.Create(c, $"{name} on small: {wide.Count(p => p.Second.MacUtilization >= 0.70)} of {wide.Count} layers with >= 32 in/out channels at >= 70 % MAC utilization; " +
            $"those layers together {wideMacs / (wideCycles * (double)hybrid.Report.ArrayMacs) * 100:F1} %; whole model {hybrid.Report.MacUtilization * 100:F1} %"));
    }
}
