using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Quantization.Tests;

/// <summary>Each ASSETS.md model, quantized as <see cref="AcceptanceTests"/> does, runs in ONNX Runtime and in the
/// integer reference executor on the same inputs; every int8 tensor is compared in quantization steps
/// (<see cref="IntegerOrtComparison"/>): the final ones, all of them with each engine running on its own, and each
/// integer step fed ONNX Runtime's inputs (local). docs/quantization.md has the figures.</summary>
[Collection("ort-int8")]
public sealed class IntegerOrtAgreementTests(ITestOutputHelper output)
{
    [Theory]
    // The Silero models are in SileroIntegerOrtAgreementTests (their If nodes are inlined first). endToEnd: the whole-model comparison with the Float
    // profile reaches 99.9% within one step (measured); elsewhere one-step flips propagate and only the local
    // comparison is asserted.
    [InlineData("ppocr-cls", "minmax", true)]
    [InlineData("ppocr-rec", "entropy", false)]
    [InlineData("ppocr-det", "percentile", false)]
    [InlineData("blazeface-front", "minmax", false)]
    [InlineData("blazeface-back", "mse", false)]
    [InlineData("squeezenet", "minmax", true)]
    public void IntegerExecutorAgreesWithOnnxRuntimeInInt8Steps(string model, string method, bool endToEnd)
    {
        var run = AcceptanceModels.Shared(model, method);
        var comparison = new IntegerOrtComparison(run.Quantized);
        var program = comparison.Program;
        output.WriteLine($"{model} {method}: {program.Steps.Count(s => !s.IsFloat)} integer steps, {program.Islands.Count} float islands ({string.Join(", ", program.Islands.Select(i => i.OpType).Distinct())})");
        foreach (var (o, t) in comparison.FinalTensors) output.WriteLine($"  output {o} compared as {t}");
        var samples = run.Samples.Take(AcceptanceModels.IsAudio(model) ? 4 : 2)
            .Select(s => (IReadOnlyDictionary<string, Tensor>)new SampleFeeder(run.Quantized, run.Preset).Inputs(s).ToDictionary(p => p.Key, p => (Tensor)p.Value)).ToList();
        foreach (var profile in new[] { RequantizationProfile.Reference, RequantizationProfile.TfLite, RequantizationProfile.Float })
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            var result = comparison.Compare(program.WithRequantization(profile), samples, level);
            output.WriteLine($"{profile} vs ORT {level} ({result.FusedOps} fused QLinear/Integer nodes, {samples.Count} samples)");
            foreach (var line in result.Lines()) output.WriteLine(line);
            result.AssertLocalWithinOneStep(100_000, $"{profile} {level}");
            if (level == GraphOptimizationLevel.ORT_ENABLE_ALL) Assert.True(result.FusedOps > 0, "ONNX Runtime fused no QDQ group");
            if (endToEnd && profile == RequantizationProfile.Float)
            {
                Assert.True(result.Accumulated.WithinOneStep >= 0.999, $"{profile} {level} accumulated: {result.Accumulated}");
                Assert.True(result.Final.WithinOneStep >= 0.999, $"{profile} {level} final: {result.Final}");
            }
        }
    }
}

/// <summary>The acceptance harness's quantization of each ASSETS.md model: the same data folders, presets and
/// sample counts as <see cref="AcceptanceTests"/>.</summary>
internal static class AcceptanceModels
{
    public static bool IsAudio(string model) => model.StartsWith("silero", StringComparison.Ordinal);

    private static readonly ConcurrentDictionary<(string Model, string Method), Lazy<ModelQuantization>> SharedRuns = new();

    /// <summary>One quantization per model and method for the ONNX Runtime comparisons (the "ort-int8" collection:
    /// its classes run one after the other and only read the result), instead of one per test class.</summary>
    public static ModelQuantization Shared(string model, string method) =>
        SharedRuns.GetOrAdd((model, method), key => new Lazy<ModelQuantization>(() => Quantize(key.Model, key.Method))).Value;

    public static ModelQuantization Quantize(string model, string method, bool int32Outputs = false) =>
        Quantize(model, new QuantizationOptions { Method = RangeSelection.Parse(method), Int32Outputs = int32Outputs });

    /// <summary>The acceptance data: calibration = evaluation (speech_en_16k.wav, 160 frames; the face photos;
    /// four ImageNet photos; the text images; 8 samples at most).</summary>
    public static ModelQuantization Quantize(string model, QuantizationOptions options)
    {
        bool audio = IsAudio(model);
        var folder = audio ? ModelQuantization.AudioFolder("speech_en_16k.wav")
            : model.StartsWith("blazeface", StringComparison.Ordinal) ? ModelQuantization.ImageFolder("astronaut.png", "messi5.jpg")
            : model == "squeezenet" ? ModelQuantization.ImageFolder("squirrel_cls.jpg", "fruits.jpg", "coffee.png", "chelsea.png")
            : ModelQuantization.ImageFolder("text.png", "imageTextN.png");
        // SqueezeNet 1.1 (float16, opset 7) ships in tests/assets, not in the model catalog.
        var file = model == "squeezenet" ? TestAssets.File("models", "squeezenet", "squeezenet1.1_fp16.onnx") : model;
        return ModelQuantization.Run(file, model, folder, options, maxSamples: audio ? 160 : 8);
    }
}
