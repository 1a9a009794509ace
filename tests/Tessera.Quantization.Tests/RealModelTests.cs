namespace Tessera.Quantization.Tests;

/// <summary>Real models on real data: accuracy of the QDQ model against the float model, and ONNX Runtime
/// agreeing with Tessera's reference backend on the QDQ file.</summary>
public sealed class RealModelTests
{
    [Fact]
    public void TextOrientationClassifierKeepsItsOutputAndRunsInOnnxRuntime()
    {
        var run = ModelQuantization.Run("ppocr-cls", "ppocr-cls", ModelQuantization.ImageFolder("text.png", "imageTextN.png"));
        Assert.All(run.Report.QuantizedByOp.Keys, op => Assert.Contains(op, QdqRewriter.QuantizableOps));
        Assert.Equal(run.Report.TotalMacs, run.Report.Int8Macs);
        var analysis = run.Analyze();
        Assert.True(analysis.OutputCosine >= 0.99, $"output cosine {analysis.OutputCosine}");
        Assert.NotEmpty(analysis.Layers);
        Assert.Contains(analysis.Layers, l => l.Local is not null);
        var (difference, largest, _) = run.OrtAgreement();
        Assert.True(difference <= 1e-4 * largest, $"ORT and Tessera differ by {difference} (largest value {largest})");
    }

    [Fact]
    public void AutoFallbackReachesTheTargetCosineOnBlazeFace()
    {
        var run = ModelQuantization.Run("blazeface-front", "blazeface-front", ModelQuantization.ImageFolder("astronaut.png", "messi5.jpg"));
        var result = AutoFallback.Run(run.Calibration, new QuantizationOptions(), run.Samples, run.Preset, 0.99);
        Assert.True(result.Reached, $"output cosine {result.Analysis.OutputCosine} after {result.FloatNodes.Count} fallbacks");
        Assert.True(result.Analysis.OutputCosine >= 0.99);
        Assert.All(result.FloatNodes, name => Assert.Contains(result.Report.KeptFloat, k => k.Name == name && k.Reason == "kept float by fallback"));
        Assert.True(result.Report.Int8Macs < result.Report.TotalMacs || result.FloatNodes.Count == 0);
    }
}
