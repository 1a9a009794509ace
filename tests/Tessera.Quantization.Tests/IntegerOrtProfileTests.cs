using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Quantization.Tests;

/// <summary>The <see cref="RequantizationProfile.OnnxRuntime"/> profile against ONNX Runtime itself (default graph
/// optimizations, the QLinear* fusions, and optimizations off), on the models and quantizations of
/// <see cref="IntegerOrtAgreementTests"/>: each integer step fed ONNX Runtime's inputs (local), and whole models.</summary>
public sealed class IntegerOrtProfileTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ppocr-cls", "minmax")]
    [InlineData("ppocr-rec", "entropy")]
    [InlineData("ppocr-det", "percentile")]
    [InlineData("blazeface-front", "minmax")]
    [InlineData("blazeface-back", "mse")]
    [InlineData("squeezenet", "minmax")]
    public void OnnxRuntimeProfileMatchesOnnxRuntime(string model, string method)
    {
        var run = AcceptanceModels.Quantize(model, method);
        IntegerOrtComparison.Diagnostics = output.WriteLine;
        var comparison = new IntegerOrtComparison(run.Quantized);
        var samples = run.Samples.Take(2)
            .Select(s => (IReadOnlyDictionary<string, Tensor>)new SampleFeeder(run.Quantized, run.Preset).Inputs(s).ToDictionary(p => p.Key, p => (Tensor)p.Value)).ToList();
        foreach (var profile in new[] { RequantizationProfile.Float, RequantizationProfile.OnnxRuntime })
        foreach (var level in new[] { GraphOptimizationLevel.ORT_ENABLE_ALL, GraphOptimizationLevel.ORT_DISABLE_ALL })
        {
            var result = comparison.Compare(comparison.Program.WithRequantization(profile), samples, level);
            output.WriteLine($"{model} {profile} vs ORT {level} ({result.FusedOps} fused nodes, {samples.Count} samples)");
            output.WriteLine($"  final:       {result.Final}");
            output.WriteLine($"  accumulated: {result.Accumulated}");
            output.WriteLine($"  local:       {result.Local}");
            foreach (var (kind, a) in result.LocalByKind) output.WriteLine($"    {kind}: {a} ({a.Count - a.Exact} not exact)");
            foreach (var (tensor, a) in result.AccumulatedByTensor.Where(t => t.Agreement.Exact < t.Agreement.Count).Take(6)) output.WriteLine($"    accumulated {tensor}: {a}");
        }
    }
}
