using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Quantization.Tests;

/// <summary>The <see cref="RequantizationProfile.OnnxRuntime"/> profile against ONNX Runtime itself on the models and
/// quantizations of <see cref="IntegerOrtAgreementTests"/>: with default graph optimizations (the QLinear* fusions,
/// what users run) the whole-model agreement is asserted at the measured level; with optimizations off it is only
/// printed. docs/quantization.md has the figures (x64 with AVX-512 VNNI; MLAS picks kernels by instruction set).</summary>
[Collection("ort-int8")]
public sealed class IntegerOrtProfileTests(ITestOutputHelper output)
{
    [Theory]
    // Whole-model floors: the int8 tensors the outputs dequantize (final) and every QuantizeLinear output
    // (accumulated), fraction within one step, as measured on 2026-12-07 (depthwise convolutions summed as ORT's
    // single-row SGEMM); bitExact: every int8 tensor of the whole model equal to ONNX Runtime's.
    [InlineData("ppocr-cls", "minmax", 1.0, 1.0, true)]
    [InlineData("ppocr-det", "percentile", 0.99991, 0.99999, false)]
    [InlineData("blazeface-front", "minmax", 1.0, 1.0, true)]
    [InlineData("blazeface-back", "mse", 1.0, 1.0, true)]
    [InlineData("ppocr-rec", "entropy", 0.99985, 0.99975, false)]
    [InlineData("squeezenet", "minmax", 1.0, 1.0, true)]
    public void OnnxRuntimeProfileMatchesOnnxRuntime(string model, string method, double finalFloor, double accumulatedFloor, bool bitExact)
    {
        var run = AcceptanceModels.Shared(model, method);
        var comparison = new IntegerOrtComparison(run.Quantized);
        var samples = run.Samples.Take(2)
            .Select(s => (IReadOnlyDictionary<string, Tensor>)new SampleFeeder(run.Quantized, run.Preset).Inputs(s).ToDictionary(p => p.Key, p => (Tensor)p.Value)).ToList();
        var program = comparison.Program.WithRequantization(RequantizationProfile.OnnxRuntime);
        foreach (var level in new[] { GraphOptimizationLevel.ORT_ENABLE_ALL, GraphOptimizationLevel.ORT_DISABLE_ALL })
        {
            var result = comparison.Compare(program, samples, level);
            output.WriteLine($"{model} OnnxRuntime profile vs ORT {level} ({result.FusedOps} fused nodes, {samples.Count} samples)");
            foreach (var line in result.Lines()) output.WriteLine(line);
            Assert.True(result.Local.Maximum <= 1, $"{level} local: {result.Local}");
            if (level != GraphOptimizationLevel.ORT_ENABLE_ALL) continue;
            Assert.True(result.FusedOps > 0, "ONNX Runtime fused no QDQ group");
            // The arithmetic reproduced exactly: QLinearAdd/QLinearMul (MLAS), QLinearConcat, QLinearGlobalAveragePool,
            // MaxPool, the input QuantizeLinear, and every convolution: QLinearConv, and the float Conv ORT runs for
            // int8 activations (its SGEMM's fused multiply-add chain, or for depthwise its single-row SGEMM).
            foreach (var kind in new[] { "int.Add", "int.Mul", "int.Concat", "int.GlobalAveragePool", "int.MaxPool", "int.Conv", "quantize" })
            {
                if (result.LocalByKind.TryGetValue(kind, out var a)) Assert.True(a.Exact == a.Count, $"{kind}: {a}");
            }
            Assert.True(result.Final.WithinOneStep >= finalFloor, $"final: {result.Final}");
            Assert.True(result.Accumulated.WithinOneStep >= accumulatedFloor, $"accumulated: {result.Accumulated}");
            if (bitExact) Assert.True(result.Accumulated.Exact == result.Accumulated.Count && result.Final.Exact == result.Final.Count, $"accumulated: {result.Accumulated}");
        }
    }
}
