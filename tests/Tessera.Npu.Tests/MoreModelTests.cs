using Tessera.Core;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>PP-OCR detection (96x96), recognition (48x64) and Silero VAD v5 (one 512-sample frame), quantized by
/// Tessera at these sizes: the integer reference executor, the specification the NPU must match, cannot run
/// them yet, so there is nothing to compare the NPU with. These tests pin that state (reported as unsupported,
/// not passed); when the executor runs a model, its case here fails and moves to a bit-exactness test like
/// <see cref="BlazeFaceTests"/>.</summary>
public sealed class MoreModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ppocr-det", "an int32 accumulator overflows")]
    [InlineData("ppocr-rec", "an int32 accumulator overflows")]
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

    private static (QuantizedModel, Dictionary<string, Tensor>) Load(string model) => model switch
    {
        "ppocr-det" => (QuantizedModel.Get(model, PreprocessingPresets.Get(model) with { Width = 96, Height = 96 }, "imageTextN.png"), RealModelInputs.Detection(96, 96)),
        "ppocr-rec" => (QuantizedModel.Get(model, PreprocessingPresets.Get(model) with { Width = 64 }, "text.png"), RealModelInputs.TextLine(64)),
        _ => (QuantizedModel.Get(model, PreprocessingPresets.Get(model), "speech_en_16k.wav"), SileroFrame()),
    };

    /// <summary>Silero v5's input: 64 samples of context then a 512-sample frame of speech (1.5 s into the
    /// recording), zero state.</summary>
    private static Dictionary<string, Tensor> SileroFrame()
    {
        var (samples, _) = WavFile.Read(TestAssets.Audio("speech_en_16k.wav"));
        var frame = samples.AsSpan(24000 - 64, 576).ToArray();
        return new() { ["input"] = Tensor.Create([1, 576], frame), ["state"] = Tensor.Create([2, 1, 128], new float[256]) };
    }
}
