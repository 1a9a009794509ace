using Tessera.Core;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>PP-OCR's orientation classifier (MobileNetV3, 48x192), quantized by Tessera, partitioned and run
/// on the simulated NPU of each configuration: bit-identical to the integer reference executor.</summary>
public sealed class OcrClassifierTests(ITestOutputHelper output)
{
    private static QuantizedModel Model => QuantizedModel.Get("ppocr-cls", PreprocessingPresets.Get("ppocr-cls"), "text.png", "imageTextN.png");

    private static Dictionary<string, Tensor> Inputs => RealModelInputs.TextLine(192);

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Runs_bit_identical_to_the_integer_executor(string configuration)
    {
        var partition = Model.Partition(configuration, Inputs);
        var (_, compared) = BitExactness.RunIdentical(partition, Model.Program, Inputs, output, $"ppocr-cls 48x192 on {configuration}");
        Assert.True(compared > 20);
        // Every convolution maps; only a size limit of the configuration may send MACs to the CPU. On tiny one output
        // row of the 96-pixel-wide layers needs more than its 32 KB scratchpad: they run as column tiles (depthwise also
        // in channel chunks) and the pools on channel chunks, so every MAC is on the NPU there too.
        Assert.All(partition.Fallbacks.Where(f => f.Macs > 0), f => Assert.StartsWith("compiler:", f.Reason));
        Assert.True(partition.NpuMacFraction >= 0.95, $"NPU MAC fraction {partition.NpuMacFraction:P2}");
    }

    [Fact]
    public void A_corrupted_weight_byte_is_detected()
    {
        var partition = Model.Partition("small", Inputs);
        var weights = partition.Segments.SelectMany(s => s.Compiled.Program.Constants).First(c => c.Name.Contains("weights", StringComparison.Ordinal));
        weights.Bytes[weights.Bytes.Length / 2] ^= 0x40;
        var hybrid = HybridRunner.Run(partition, Inputs, layerReports: false);
        var failure = Assert.ThrowsAny<Exception>(() => BitExactness.AssertIdentical(partition, hybrid, Model.Program.Run(Inputs)));
        output.WriteLine(failure.Message);
    }

    [Fact]
    public void Per_layer_report_on_small()
    {
        var partition = Model.Partition("small", Inputs, exposeAll: false);
        var hybrid = HybridRunner.Run(partition, Inputs);
        BitExactness.AssertIdentical(partition, hybrid, Model.Program.Run(Inputs));
        output.WriteLine(hybrid.Report.ToMarkdown());
        var layers = hybrid.Report.Segments.SelectMany(s => s.Network.Layers).ToList();
        Assert.Equal(partition.Segments.Sum(s => s.Compiled.Network.Layers.Count), layers.Count);
        Assert.Equal(partition.NpuMacs, layers.Sum(l => l.Macs));
    }
}
