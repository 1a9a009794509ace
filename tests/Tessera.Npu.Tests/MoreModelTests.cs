using Tessera.Core;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>Silero VAD v5 (one 512-sample frame), quantized by Tessera. Its graph switches on the sample rate and
/// on the input's rank and batch with <c>If</c> nodes the integer executor does not run; with the sample rate bound
/// to 16 kHz (the preset) and the inputs declared at one frame's shapes, the optimizer inlines every branch and the
/// int8 program runs. As loaded (dynamic shapes) it still does not, which stays pinned as unsupported. Quantized
/// without cross-layer equalization, as the VAD application does (docs/quantization.md).</summary>
public sealed class MoreModelTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, int[]> FrameShapes = new() { ["input"] = [1, 576], ["state"] = [2, 1, 128] };

    [Fact]
    public void Silero_v5_with_dynamic_shapes_keeps_control_flow_the_integer_executor_does_not_run()
    {
        var failure = Assert.Throws<UnsupportedException>(() =>
            QuantizedModel.Get("silero-vad-v5", PreprocessingPresets.Get("silero-vad-v5"), "speech_en_16k.wav").Program.Run(SileroFrame()));
        output.WriteLine($"silero-vad-v5: {failure.Message}");
        Assert.Contains("does not run control flow", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Silero_v5_at_one_frame_runs_bit_identical_to_the_integer_executor(string configuration)
    {
        var model = QuantizedModel.GetAtShapes("silero-vad-v5", PreprocessingPresets.Get("silero-vad-v5"), FrameShapes, "speech_en_16k.wav");
        var inputs = SileroFrame();
        var partition = model.Partition(configuration, inputs);
        output.WriteLine(partition.Explain());
        var hybrid = HybridRunner.Run(partition, inputs, layerReports: false);
        int compared = BitExactness.AssertIdentical(partition, hybrid, model.Program.Run(inputs));
        output.WriteLine($"{compared} NPU-produced values identical; {hybrid.Report.Summary()}");
        Assert.True(compared > 3);
        Assert.True(partition.NpuMacFraction > 0.5, $"NPU MAC fraction {partition.NpuMacFraction:P2}");
    }

    /// <summary>Silero v5's input: 64 samples of context then a 512-sample frame of speech (1.5 s into the
    /// recording), zero state.</summary>
    private static Dictionary<string, Tensor> SileroFrame()
    {
        var (samples, _) = WavFile.Read(TestAssets.Audio("speech_en_16k.wav"));
        var frame = samples.AsSpan(24000 - 64, 576).ToArray();
        return new() { ["input"] = Tensor.Create([1, 576], frame), ["state"] = Tensor.Create([2, 1, 128], new float[256]) };
    }
}
