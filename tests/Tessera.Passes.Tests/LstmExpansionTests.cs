using Tessera.Core;
using Tessera.Onnx;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Passes.Tests;

/// <summary><see cref="ExpandLstm"/>: the expanded graph computes what the LSTM operator computes (Tessera's
/// reference kernel and ONNX Runtime) on random weights and states, and on the Silero VADs' real weights and a
/// real speech frame; variants it does not reproduce stay LSTM. Also the fused-op shape inference that lets
/// Silero legacy's last If fold.</summary>
public sealed class LstmExpansionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 1, 5, 4, true, true, 1)]
    [InlineData(1, 3, 7, 6, true, false, 2)]
    [InlineData(1, 2, 3, 9, false, true, 3)]
    [InlineData(3, 2, 5, 4, true, true, 4)]
    [InlineData(4, 1, 1, 3, false, false, 5)]
    [InlineData(2, 3, 6, 5, true, true, 6)]
    public void Expanded_lstm_matches_the_operator_on_random_weights(int steps, int batch, int input, int hidden, bool bias, bool initialState, int seed)
    {
        var test = Lstm(steps, batch, input, hidden, bias, initialState, seed, out var inputs);
        var original = OnnxExporter.ToBytes(test.Model);
        var reference = ModelOptimizationTests.RunReference(original, inputs);
        var ort = OrtRunner.Run(original, inputs);
        Assert.Equal(1, ExpandLstm.Run(test.Model));
        Assert.DoesNotContain(test.Graph.Nodes, n => n.OpType == "LSTM");
        Assert.DoesNotContain(test.Graph.Nodes, n => n.OpType is "Split" or "Gather");
        var bytes = OnnxExporter.ToBytes(test.Model);
        var expandedReference = ModelOptimizationTests.RunReference(bytes, inputs);
        var expandedOrt = OrtRunner.Run(bytes, inputs);
        foreach (var name in new[] { "y", "y_h", "y_c" })
        {
            AssertClose(reference[name], expandedReference[name], 1e-5, $"{name} (reference)");
            AssertClose(ort[name], expandedOrt[name], 1e-5, $"{name} (onnxruntime)");
            AssertClose(reference[name], ort[name], 1e-5, $"{name} (operator, reference vs onnxruntime)");
        }
        // One Gemm/MatMul per gate for the input and one for the state; without an initial state the first step has
        // neither the recurrent products nor the forget gate.
        int products = test.Graph.Nodes.Count(n => n.OpType is "Gemm" or "MatMul");
        int expected = initialState ? 8 * steps : 8 * steps - 5;
        Assert.Equal(expected, products);
    }

    [Fact]
    public void Unused_outputs_are_not_built()
    {
        var test = new TestGraph();
        var x = test.Input("x", 1, 2, 3);
        var w = test.Constant("w", [1, 16, 3], 1);
        var r = test.Constant("r", [1, 16, 4], 2);
        var yc = new Value("y_c", null);
        var node = test.Graph.AddNode("LSTM", [x, w, r], [null, null, yc]);
        node.SetAttribute(NodeAttribute.Int("hidden_size", 4));
        test.Output(yc);
        var inputs = new Dictionary<string, Tensor> { ["x"] = Random([1, 2, 3], 3) };
        var expected = ModelOptimizationTests.RunReference(OnnxExporter.ToBytes(test.Model), inputs);
        Assert.Equal(1, ExpandLstm.Run(test.Model));
        // Without a state: the input gate, candidate and output gate products; no forget gate in the first step,
        // and the output gate's value only feeds h, which nothing reads.
        Assert.DoesNotContain(test.Graph.Nodes, n => n.OpType == "Concat");
        AssertClose(expected["y_c"], ModelOptimizationTests.RunReference(OnnxExporter.ToBytes(test.Model), inputs)["y_c"], 1e-6, "y_c");
    }

    [Theory]
    [InlineData("direction", "bidirectional")]
    [InlineData("direction", "reverse")]
    [InlineData("layout", "1")]
    [InlineData("clip", "0.5")]
    [InlineData("input_forget", "1")]
    [InlineData("activations", "Tanh,Tanh,Tanh")]
    [InlineData("dynamic", "")]
    [InlineData("peepholes", "")]
    [InlineData("sequence_lens", "")]
    public void Variants_it_does_not_reproduce_stay_lstm(string what, string value)
    {
        var test = new TestGraph();
        var x = what == "dynamic" ? new Value("x", new TensorType(DataType.Float32, new TensorShape([Dim.Unknown, Dim.Known(1), Dim.Known(3)]))) : test.Input("x", 2, 1, 3);
        if (what == "dynamic") test.Graph.Inputs.Add(x);
        int directions = value == "bidirectional" ? 2 : 1;
        var w = test.Constant("w", [directions, 16, 3], 1);
        var r = test.Constant("r", [directions, 16, 4], 2);
        Value? lengths = what == "sequence_lens" ? test.Constant("lengths", Tensor.Create([1], new[] { 2 })) : null;
        Value? peepholes = what == "peepholes" ? test.Constant("p", [1, 12], 3) : null;
        var y = new Value("y", null);
        var node = test.Graph.AddNode("LSTM", [x, w, r, null, lengths, null, null, peepholes], [y]);
        node.SetAttribute(NodeAttribute.Int("hidden_size", 4));
        switch (what)
        {
            case "direction": node.SetAttribute(NodeAttribute.String("direction", value)); break;
            case "layout": node.SetAttribute(NodeAttribute.Int("layout", 1)); break;
            case "clip": node.SetAttribute(NodeAttribute.Float("clip", 0.5f)); break;
            case "input_forget": node.SetAttribute(NodeAttribute.Int("input_forget", 1)); break;
            case "activations": node.SetAttribute(NodeAttribute.Strings("activations", value.Split(','))); break;
        }
        test.Output(y);
        Assert.Equal(0, ExpandLstm.Run(test.Model));
        Assert.Contains(test.Graph.Nodes, n => n.OpType == "LSTM");
    }

    /// <summary>The Silero VADs at one frame with the sample rate bound, optimized as the quantizer prepares them:
    /// no If is left (legacy's last one tests the Shape of an output behind fused convolutions), and expanding
    /// their LSTMs (real weights) changes no output beyond float rounding, on a real speech frame with a
    /// non-zero state.</summary>
    [Theory]
    [InlineData("silero-vad-legacy")]
    [InlineData("silero-vad-v5")]
    public void Silero_lstms_expand_to_the_same_outputs(string name)
    {
        var model = OnnxImporter.Load(TestAssets.Model(name));
        var (samples, _) = WavFile.Read(TestAssets.Audio("speech_en_16k.wav"));
        var random = new Random(5);
        Dictionary<string, Tensor> inputs = name == "silero-vad-v5"
            ? new() { ["input"] = Tensor.Create([1, 576], samples.AsSpan(24000 - 64, 576).ToArray()), ["state"] = Random([2, 1, 128], 9, 0.5) }
            : new() { ["input"] = Tensor.Create([1, 512], samples.AsSpan(24000, 512).ToArray()), ["h"] = Random([2, 1, 64], 9, 0.5), ["c"] = Random([2, 1, 64], 10, 0.5) };
        GraphOptimizer.Optimize(model, new OptimizationOptions
        {
            InputShapes = inputs.ToDictionary(p => p.Key, p => p.Value.Shape),
            ConstantInputs = new Dictionary<string, Tensor> { ["sr"] = Tensor.Scalar(16000L) },
            KeepFusedOps = false,
        });
        Assert.DoesNotContain(model.AllNodes(), n => n.OpType == "If");
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "LSTM");
        var before = ModelOptimizationTests.RunReference(OnnxExporter.ToBytes(model), inputs);
        var ort = OrtRunner.Run(OnnxExporter.ToBytes(model), inputs);
        ShapeSource.Infer(model, null);
        int expanded = ExpandLstm.Run(model);
        output.WriteLine($"{name}: {expanded} LSTM expanded, {model.Graph.Nodes.Count} nodes");
        Assert.True(expanded >= 1);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "LSTM");
        var after = ModelOptimizationTests.RunReference(OnnxExporter.ToBytes(model), inputs);
        foreach (var (outputName, tensor) in before)
        {
            output.WriteLine($"  {outputName}: {string.Join(", ", tensor.ToDoubleArray().Take(3).Select(v => v.ToString("G6")))}");
            AssertClose(tensor, after[outputName], 1e-5, outputName);
            AssertClose(ort[outputName], after[outputName], 1e-4, outputName + " vs onnxruntime");
        }
    }

    [Fact]
    public void Fused_convolution_output_shape_is_inferred_with_its_output_perm()
    {
        var test = new TestGraph();
        var x = test.Input("x", 1, 6, 10);
        var w = test.Constant("w", [4, 3, 3], 1);
        var y = new Value("y", null);
        var node = test.Graph.AddNode("FusedConv", [x, w], [y], "tessera");
        node.SetAttribute(NodeAttribute.Int("group", 2));
        node.SetAttribute(NodeAttribute.Ints("pads", [1, 1]));
        node.SetAttribute(NodeAttribute.Ints("strides", [2]));
        node.SetAttribute(NodeAttribute.String("activation", "Relu"));
        node.SetAttribute(NodeAttribute.Ints("output_perm", [2, 0, 1]));
        test.Model.Opsets["tessera"] = 1;
        test.Output(y);
        ShapeSource.Infer(test.Model, null);
        Assert.Equal([5, 1, 4], RuleContext.Shape(y) ?? []);
    }

    private static TestGraph Lstm(int steps, int batch, int input, int hidden, bool bias, bool initialState, int seed, out Dictionary<string, Tensor> inputs)
    {
        var test = new TestGraph();
        var x = test.Input("x", steps, batch, input);
        var w = test.Constant("w", [1, 4 * hidden, input], seed, 0.6);
        var r = test.Constant("r", [1, 4 * hidden, hidden], seed + 100, 0.6);
        var b = bias ? test.Constant("b", [1, 8 * hidden], seed + 200, 0.5) : null;
        var h0 = initialState ? test.Input("h0", 1, batch, hidden) : null;
        var c0 = initialState ? test.Input("c0", 1, batch, hidden) : null;
        var y = new Value("y", null);
        var yh = new Value("y_h", null);
        var yc = new Value("y_c", null);
        var node = test.Graph.AddNode("LSTM", [x, w, r, b, null, h0, c0], [y, yh, yc]);
        node.SetAttribute(NodeAttribute.Int("hidden_size", hidden));
        if (seed % 2 == 0) node.SetAttribute(NodeAttribute.Strings("activations", ["Sigmoid", "Tanh", "Tanh"]));
        test.Output(y);
        test.Output(yh);
        test.Output(yc);
        inputs = new Dictionary<string, Tensor> { ["x"] = Random([steps, batch, input], seed + 300, 2) };
        if (initialState)
        {
            inputs["h0"] = Random([1, batch, hidden], seed + 400);
            inputs["c0"] = Random([1, batch, hidden], seed + 500, 2);
        }
        return test;
    }

    private static Tensor Random(int[] shape, int seed, double scale = 1)
    {
        var random = new Random(seed);
        return Tensor.FromDoubles(DataType.Float32, shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => scale * (random.NextDouble() * 2 - 1)).ToArray());
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var a = expected.ToDoubleArray();
        var b = actual.ToDoubleArray();
        double scale = Math.Max(1, a.Select(Math.Abs).DefaultIfEmpty().Max());
        double worst = a.Zip(b, (p, q) => Math.Abs(p - q)).DefaultIfEmpty().Max();
        Assert.True(worst <= tolerance * scale, $"{what} differs by {worst}");
    }
}
