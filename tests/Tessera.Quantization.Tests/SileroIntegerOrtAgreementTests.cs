using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Onnx;
using Tessera.Passes;
using Xunit.Abstractions;

namespace Tessera.Quantization.Tests;

/// <summary>The Silero VAD models against ONNX Runtime in int8 steps. Their QDQ files hold If nodes (the sample-rate
/// switch and shape tests on the batch size), which the integer executor does not run; with the frame's shapes fixed,
/// the quantization-preserving optimizer folds every condition and inlines the branch taken (as <c>tessera
/// compile</c> does), and both engines then run that same flat QDQ model. The state is carried frame to frame as the
/// application does, from the model's own float state output.</summary>
[Collection("ort-int8")]
public sealed class SileroIntegerOrtAgreementTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("silero-vad-v5", "percentile")]
    [InlineData("silero-vad-legacy", "minmax")]
    public void IntegerExecutorRunsSileroAndAgreesWithOnnxRuntime(string model, string method)
    {
        var run = AcceptanceModels.Shared(model, method);
        var feeder = new SampleFeeder(run.Quantized, run.Preset);
        var frames = new List<IReadOnlyDictionary<string, Tensor>>();
        var session = new Tessera.Runtime.InferenceSession(run.Quantized);
        // Every fourth of the 160 frames of speech_en_16k.wav: silence, then the sentence from 1.09 s on.
        foreach (var (sample, index) in run.Samples.Select((s, i) => (s, i)))
        {
            var inputs = feeder.Inputs(sample);
            if (index % 4 == 0) frames.Add(inputs.ToDictionary(p => p.Key, p => (Tensor)p.Value, StringComparer.Ordinal));
            feeder.Observe(session.Run(inputs));
        }
        Assert.Equal(40, frames.Count);

        // Control flow is rejected as such, not misread.
        Assert.Throws<UnsupportedException>(() => IntegerLowering.Lower(OnnxImporter.Load(OnnxExporter.ToBytes(run.Quantized), "qdq")));

        var flat = OnnxImporter.Load(OnnxExporter.ToBytes(run.Quantized), "qdq-flat");
        var shapes = frames[0].ToDictionary(p => p.Key, p => p.Value.Shape.ToArray(), StringComparer.Ordinal);
        GraphOptimizer.Optimize(flat, new OptimizationOptions { PreserveQuantization = true, InputShapes = shapes });
        Assert.DoesNotContain(flat.AllNodes(), n => n.Subgraphs().Any());
        int quantizers = flat.Graph.Nodes.Count(n => n.OpType == "QuantizeLinear");
        Assert.Equal(run.Quantized.AllNodes().Count(n => n.OpType == "QuantizeLinear"), quantizers);

        var comparison = new IntegerOrtComparison(flat);
        var program = comparison.Program;
        int integerSteps = program.Steps.Count(s => !s.IsFloat);
        output.WriteLine($"{model} {method}: {integerSteps} integer steps, {program.Islands.Count} float islands ({string.Join(", ", program.Islands.Select(i => i.OpType).Distinct())}), {frames.Count} frames");
        Assert.Contains(program.Steps, s => s.Kind == "int.Conv");
        foreach (var profile in new[] { RequantizationProfile.Reference, RequantizationProfile.Float, RequantizationProfile.OnnxRuntime })
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            var result = comparison.Compare(program.WithRequantization(profile), frames, level);
            output.WriteLine($"{profile} vs ORT {level} ({result.FusedOps} fused QLinear/Integer nodes)");
            foreach (var line in result.Lines()) output.WriteLine(line);
            result.AssertLocalWithinOneStep(10_000, $"{profile} {level}");
            if (level == GraphOptimizationLevel.ORT_ENABLE_ALL) Assert.True(result.FusedOps > 0, "ONNX Runtime fused no QDQ group");
            // The issue's bar, end to end: measured 100.00% exact on both models with the float and ONNX Runtime
            // profiles (the LSTMs are float islands in both engines); the reference profile is 99.42-100% within one step.
            if (profile != RequantizationProfile.Reference)
            {
                Assert.True(result.Final.WithinOneStep >= 0.999, $"{profile} {level} final: {result.Final}");
                Assert.True(result.Accumulated.WithinOneStep >= 0.999, $"{profile} {level} accumulated: {result.Accumulated}");
            }
        }
    }
}
