using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Quantization.Tests;

/// <summary>Every ASSETS.md ONNX model quantizes with its preset on the test images or speech, the QDQ file
/// runs in ONNX Runtime and agrees with Tessera's reference execution of it, and the output cosine against
/// the float model is at least the floor measured for the method (docs/quantization.md has the table).</summary>
public sealed class AcceptanceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ppocr-cls", "minmax", 0.995)]
    [InlineData("ppocr-rec", "entropy", 0.985)]
    [InlineData("ppocr-det", "percentile", 0.985)]
    [InlineData("blazeface-front", "minmax", 0.99)]
    [InlineData("blazeface-back", "mse", 0.92)]
    [InlineData("blazeface-back", "mse", 0.92, true)]
    [InlineData("silero-vad-v5", "percentile", 0.984)]
    [InlineData("silero-vad-legacy", "minmax", 0.98)]
    [InlineData("squeezenet", "minmax", 0.99)]
    public void ModelQuantizesRunsInOnnxRuntimeAndKeepsItsOutput(string model, string method, double floor, bool int32Outputs = false)
    {
        var run = AcceptanceModels.Quantize(model, method, int32Outputs);
        var analysis = run.Analyze();
        var (difference, largest, ortCosine) = run.OrtAgreement();
        output.WriteLine($"{model} {method}{(int32Outputs ? " int32-outputs" : "")}: output cosine {analysis.OutputCosine:F5}; ORT vs Tessera cosine {ortCosine:F6}, max |diff| {difference:G3} of {largest:G3}; int8 MACs {run.Report.Int8Macs}/{run.Report.TotalMacs}");
        foreach (var o in analysis.Outputs) output.WriteLine($"  output {o.Key}: cosine {o.Value.Cosine:F5} SNR {o.Value.SnrDb:F1} dB");
        Assert.NotEmpty(run.Report.QuantizedByOp);
        Assert.True(ortCosine >= 0.99, $"ONNX Runtime and Tessera disagree on the QDQ model: cosine {ortCosine}");
        Assert.True(analysis.OutputCosine >= floor, $"output cosine {analysis.OutputCosine} < {floor}");
    }
}
