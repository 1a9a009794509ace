using Tessera.Quantization;
using Xunit.Abstractions;

namespace Tessera.Quantization.Tests;

public sealed class ExploreTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ppocr-cls", "text.png", "imageTextN.png")]
    [InlineData("blazeface-front", "astronaut.png", "messi5.jpg")]
    [InlineData("silero-vad-v5", "speech_en_16k.wav", null)]
    [InlineData("silero-vad-legacy", "speech_en_16k.wav", null)]
    [InlineData("ppocr-rec", "text.png", "imageTextN.png")]
    [InlineData("blazeface-back", "astronaut.png", "messi5.jpg")]
    [InlineData("ppocr-det", "text.png", "imageTextN.png")]
    public void Explore(string model, string first, string? second)
    {
        var folder = first.EndsWith(".wav", StringComparison.Ordinal) ? ModelQuantization.AudioFolder(first) : ModelQuantization.ImageFolder(first, second!);
        var run = ModelQuantization.Run(model, model, folder, maxSamples: first.EndsWith(".wav", StringComparison.Ordinal) ? 160 : 8);
        var analysis = run.Analyze();
        output.WriteLine($"{model}: output cosine {analysis.OutputCosine:F5}; int8 MACs {run.Report.Int8Macs}/{run.Report.TotalMacs}; quantized {string.Join(", ", run.Report.QuantizedByOp.Select(kv => kv.Key + " " + kv.Value))}");
        foreach (var f in run.Report.KeptFloat.GroupBy(k => k.OpType + ": " + k.Reason)) output.WriteLine($"  float {f.Key} x{f.Count()}");
        foreach (var o in analysis.Outputs) output.WriteLine($"  output {o.Key}: cos {o.Value.Cosine:F5} snr {o.Value.SnrDb:F1}");
        foreach (var l in analysis.Layers.Take(5)) output.WriteLine($"  {l.Node} {l.OpType} acc {l.Accumulated.Cosine:F4} local {l.Local?.Cosine:F4}");
    }
}
