using Tessera.Core;
using Tessera.Onnx;
using Xunit.Abstractions;

namespace Tessera.Passes.Tests;

/// <summary>The acceptance checks on the eight real models: the optimized model computes what the
/// original computes, and the structural promises hold.</summary>
public class ModelOptimizationTests(ITestOutputHelper output)
{
    /// <summary>Backends that run the optimized (standard ONNX) model: every model is checked on each.</summary>
    public static readonly (string Name, Func<byte[], IReadOnlyDictionary<string, Tensor>, Dictionary<string, Tensor>> Run)[] Backends =
    [
        ("onnxruntime", (bytes, inputs) => OrtRunner.Run(bytes, inputs)),
        ("reference", RunReference),
    ];

    /// <summary>Runs a serialized model on the reference executor with the inputs the model declares.</summary>
    internal static Dictionary<string, Tensor> RunReference(byte[] bytes, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var model = OnnxImporter.Load(bytes);
        var feeds = inputs.Where(p => model.Graph.Inputs.Any(v => v.Name == p.Key)).ToDictionary(p => p.Key, p => p.Value);
        var session = new Runtime.InferenceSession(model, new Runtime.SessionOptions { InputShapes = feeds.ToDictionary(p => p.Key, p => p.Value.Shape) });
        return session.Run(feeds.ToDictionary(p => p.Key, p => (DataValue)p.Value))
            .Where(p => p.Value is Tensor).ToDictionary(p => p.Key, p => (Tensor)p.Value);
    }

    /// <summary>Largest difference allowed, relative to the output's magnitude (at least 1 for float16): 1e-4 for float32 outputs.
    /// For float16 outputs it is 1e-3, the type's own precision (epsilon 9.8e-4): ONNX Runtime computes
    /// float16 ops it has no float16 kernel for in float32 and rounds between them, so removing a node
    /// (Dropout) moves a rounding point and changes results by up to an fp16 ulp.</summary>
    public static double Tolerance(DataType type) => type == DataType.Float16 ? 1e-3 : 1e-4;

    /// <summary>Optimizes one real model (shapes from ONNX Runtime where the type rules are not merged yet).</summary>
    public static (Model Optimized, OptimizationResult Result, Dictionary<string, Tensor> Inputs, byte[] Original) Optimize(TestModel test, bool keepFused = true)
    {
        var path = TestModels.PathOf(test);
        var original = File.ReadAllBytes(path);
        var model = OnnxImporter.Load(path);
        var inputs = OrtRunner.Inputs(model, test.InputShapes);
        OrtRunner.AnnotateShapes(model, inputs);
        var shapes = inputs.Where(kv => test.ConstantInputs?.ContainsKey(kv.Key) != true).ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        var result = GraphOptimizer.Optimize(model, new OptimizationOptions { InputShapes = shapes, KeepFusedOps = keepFused, ConstantInputs = test.ConstantInputs });
        return (model, result, inputs, original);
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Optimized_model_gives_the_same_outputs(string name)
    {
        var test = TestModels.Get(name);
        var (model, result, inputs, original) = Optimize(test, keepFused: false);
        output.WriteLine($"{name}: nodes {result.Before.Nodes} -> {result.After.Nodes}; " + string.Join(", ", result.Statistics.RuleCounts.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.DoesNotContain(model.AllNodes(), n => n.Domain == FusedActivation.Domain);
        var expected = OrtRunner.Run(original, inputs);
        foreach (var (backend, run) in Backends)
        {
            var actual = run(OnnxExporter.ToBytes(model), inputs);
            foreach (var (outputName, reference) in expected)
            {
                Assert.True(actual.ContainsKey(outputName), $"{backend}: output {outputName} is missing after optimization");
                var got = actual[outputName];
                Assert.Equal(reference.Shape, got.Shape);
                var a = reference.ToDoubleArray();
                var b = got.ToDoubleArray();
                double magnitude = Math.Max(1e-6, a.Select(Math.Abs).DefaultIfEmpty(0).Max());
                // float16 is compared at its own resolution: an ulp near 1.0 is 9.8e-4, so for outputs
                // below 1 (probabilities) the scale is 1, as in the real-model tests.
                if (reference.DataType == DataType.Float16) magnitude = Math.Max(1, magnitude);
                double worst = a.Zip(b, (p, q) => Math.Abs(p - q)).DefaultIfEmpty(0).Max();
                output.WriteLine($"  {backend} {outputName}: max |diff| {worst:G3} (magnitude {magnitude:G3})");
                double tolerance = Tolerance(reference.DataType);
                Assert.True(worst <= tolerance * magnitude, $"{backend} {outputName}: max |diff| {worst} exceeds {tolerance} x {magnitude}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void No_batch_normalization_remains(string name)
    {
        var (model, _, _, _) = Optimize(TestModels.Get(name));
        Assert.DoesNotContain(model.AllNodes(), n => n.OpType == "BatchNormalization");
    }

    [Fact]
    public void Every_decomposed_layer_norm_of_ppocr_rec_becomes_one_node()
    {
        var test = TestModels.Get("ppocr-v4-rec");
        var before = TestModels.Load(test);
        int decomposed = before.AllNodes().Count(n => n.OpType == "Sqrt");
        var (model, _, _, _) = Optimize(test);
        Assert.True(decomposed > 0);
        Assert.Equal(decomposed, model.AllNodes().Count(n => n.OpType == "LayerNormalization"));
        Assert.DoesNotContain(model.AllNodes(), n => n.OpType is "Sqrt" or "Pow" or "ReduceMean");
    }

    [Theory]
    [InlineData("blazeface-front-128")]
    [InlineData("blazeface-back-256")]
    public void Blazeface_keeps_at_most_the_input_transpose(string name)
    {
        var (model, _, _, _) = Optimize(TestModels.Get(name));
        var transposes = model.Graph.Nodes.Where(n => n.OpType == "Transpose").ToList();
        Assert.True(transposes.Count <= 1, $"{transposes.Count} Transposes remain");
        Assert.All(transposes, t => Assert.Contains(t.Input(0), model.Graph.Inputs));
    }
}
