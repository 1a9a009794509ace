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
    public void AutoFallbackKeepsTheLayerWithTheBestMeasuredGainOnBlazeFace()
    {
        // Cross-layer equalization already brings blazeface-front to 0.991, so the target is set above it.
        var run = ModelQuantization.Run("blazeface-front", "blazeface-front", ModelQuantization.ImageFolder("astronaut.png", "messi5.jpg"));
        var result = AutoFallback.Run(run.Calibration, new QuantizationOptions(), run.Samples, run.Preset, 0.999, maxSteps: 2);
        Assert.Equal(2, result.Steps.Count);
        Assert.Equal(result.FloatNodes, result.Steps.SelectMany(s => s.Nodes));
        Assert.All(result.FloatNodes, name => Assert.Contains(result.Report.KeptFloat, k => k.Name == name && k.Reason == "kept float by fallback"));
        // Each step's measured cosine is what the next step's full analysis finds (the probe and the analysis
        // run the same models on the same data), and the greedy choice raised the output cosine overall.
        for (int i = 0; i < result.Steps.Count; i++)
        {
            double next = i + 1 < result.Steps.Count ? result.Steps[i + 1].CosineBefore : result.Analysis.OutputCosine;
            Assert.Equal(result.Steps[i].CosineAfter, next, 9);
        }
        Assert.True(result.Analysis.OutputCosine > result.Steps[0].CosineBefore, $"output cosine {result.Steps[0].CosineBefore} -> {result.Analysis.OutputCosine}");
        Assert.Equal(result.Report.TotalMacs - result.Steps.Sum(s => s.Macs), result.Report.Int8Macs);
    }
}
