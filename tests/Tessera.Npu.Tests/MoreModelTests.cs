using Tessera.Core;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>Silero VAD v5 (one 512-sample frame), quantized by Tessera: the integer reference executor, the
/// specification the NPU must match, cannot run its control flow (an <c>If</c> node) yet, so there is nothing to
/// compare the NPU with. This test pins that state (reported as unsupported, not passed); when the executor runs
/// the model, it fails and moves to a bit-exactness test like <see cref="BlazeFaceTests"/>. PP-OCR det and rec,
/// once pinned here for an int32 accumulator overflow, run since the quantizer's bias-scale floor
/// (<see cref="OcrDetectionRecognitionTests"/>).</summary>
public sealed class MoreModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("silero-vad-v5", "does not run control flow")]
    public void The_integer_executor_cannot_run_the_quantized_model_yet(string model, string reason)
    {
        var failure = Assert.Throws<UnsupportedException>(() =>
        {
            var (quantized, inputs) = Load(model);
            quantized.Program.Run(inputs);
        });
        output.WriteLine($"{model}: {failure.Message}");
        Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
    }

    private static (QuantizedModel, Dictionary<string, Tensor>) Load(string model) =>
        (QuantizedModel.Get(model, PreprocessingPresets.Get(model), "speech_en_16k.wav"), SileroFrame());

    /// <summary>Silero v5's input: 64 samples of context then a 512-sample frame of speech (1.5 s into the
    /// recording), zero state.</summary>
    private static Dictionary<string, Tensor> SileroFrame()
    {
        var (samples, _) = WavFile.Read(TestAssets.Audio("speech_en_16k.wav"));
        var frame = samples.AsSpan(24000 - 64, 576).ToArray();
        return new() { ["input"] = Tensor.Create([1, 576], frame), ["state"] = Tensor.Create([2, 1, 128], new float[256]) };
    }
}
