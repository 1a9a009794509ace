using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Quantization.Tests;

/// <summary>int16 activations (<see cref="QuantizationOptions.Int16Tensors"/>) and empirical bias correction
/// (<see cref="BiasCorrection"/>) on a small Conv -> Relu graph.</summary>
public sealed class Int16AndBiasCorrectionTests
{
    private static Tensor Random(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        // A positive mean, so a weight's rounding error does not average out over the positions.
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 1.5 - 0.25) * (1 + i % 3);
        return Tensor.Create(shape, data);
    }

    /// <summary>x [1,4,8,8] -> Conv(6 filters 3x3, bias) -> Relu -> y.</summary>
    private static Model ConvModel()
    {
        var graph = new Graph();
        var x = new Value("x", new TensorType(DataType.Float32, new TensorShape(1, 4, 8, 8)));
        graph.Inputs.Add(x);
        var w = graph.AddInitializer("w", Random(1, 6, 4, 3, 3));
        var b = graph.AddInitializer("b", Tensor.Create([6], new[] { 0.5f, -0.25f, 0.125f, 0f, 1f, -1f }));
        var conv = new Value("conv");
        var y = new Value("y");
        graph.AddNode("Conv", [x, w, b], [conv], name: "conv_node").SetAttribute(NodeAttribute.Ints("pads", [1, 1, 1, 1]));
        graph.AddNode("Relu", [conv], [y], name: "relu_node");
        graph.Outputs.Add(y);
        var model = new Model(graph);
        model.Opsets[string.Empty] = 13;
        return model;
    }

    private static List<CalibrationSample> Samples() =>
        Enumerable.Range(0, 6).Select(i => new CalibrationSample(new Dictionary<string, Tensor> { ["x"] = Random(10 + i, 1, 4, 8, 8) }, true, "random")).ToList();

    /// <summary>The output of the node named <paramref name="node"/> on every sample.</summary>
    private static List<float[]> Outputs(Model model, string node, IEnumerable<CalibrationSample> samples)
    {
        float[]? last = null;
        var session = new InferenceSession(model) { NodeExecuted = (n, o) => { if (n.Name == node) last = ((Tensor)o[0]!).As<float>().ToArray(); } };
        var result = new List<float[]>();
        foreach (var sample in samples)
        {
            session.Run(new Dictionary<string, DataValue> { ["x"] = sample.Inputs["x"] });
            result.Add(last!);
        }
        return result;
    }

    private static List<float[]> ModelOutputs(Model model, IEnumerable<CalibrationSample> samples)
    {
        var session = new InferenceSession(model);
        return samples.Select(s => ((Tensor)session.Run(new Dictionary<string, DataValue> { ["x"] = s.Inputs["x"] })["y"]).As<float>().ToArray()).ToList();
    }

    [Fact]
    public void Int16TensorsGetInt16QuantizeDequantizeAndLessError()
    {
        var samples = Samples();
        var calibration = Quantizer.Calibrate(ConvModel(), _ => samples, null, optimize: true, equalize: false);
        var (int8, int8Report) = Quantizer.Rewrite(calibration, new QuantizationOptions());
        var (int16, report) = Quantizer.Rewrite(calibration, new QuantizationOptions { Int16Tensors = new HashSet<string>(["x", "y"], StringComparer.Ordinal) });
        var quantizers = int16.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.Equal(2, quantizers.Count);
        Assert.Equal(2, report.Int16Tensors);
        Assert.Equal(0, int8Report.Int16Tensors);
        // The Conv reads the int16 x: all its MACs are int8 weights x int16 activations.
        Assert.Equal(6L * 4 * 9 * 64, report.Int16ActivationMacs);
        Assert.Equal(report.Int8Macs, report.Int16ActivationMacs);
        Assert.All(quantizers, q => Assert.Equal(DataType.Int16, q.Input(2)!.Constant!.DataType));
        Assert.All(quantizers, q => Assert.Equal(DataType.Int16, q.Output(0)!.TensorType!.ElementType));
        Assert.All(int8.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear"), q => Assert.Equal(DataType.Int8, q.Input(2)!.Constant!.DataType));
        // Weights stay int8 either way.
        var conv = int16.Graph.Nodes.Single(n => n.OpType == "Conv");
        Assert.Equal(DataType.Int8, conv.Input(1)!.Producer!.Input(0)!.Constant!.DataType);

        double Error(Model model) => ModelOutputs(model, samples).Zip(ModelOutputs(calibration.FloatModel, samples))
            .SelectMany(p => p.First.Zip(p.Second, (q, f) => System.Math.Abs(q - f))).Max();
        double int8Error = Error(int8), int16Error = Error(int16);
        // The int8 weights stay, so the output error drops less than the activation step (0.205 against 0.378 measured).
        Assert.True(int16Error < int8Error * 0.75, $"int16 max error {int16Error} against int8 {int8Error}");
        // Same range, 65,535 steps instead of 255.
        float Scale(Model model, string tensor) => model.Graph.Nodes.Single(n => n.OpType == "QuantizeLinear" && n.Input(0)!.Name == tensor).Input(1)!.Constant!.As<float>()[0];
        Assert.Equal(65535.0 / 255, Scale(int8, "x") / Scale(int16, "x"), 2);
    }

    /// <summary>ONNX QuantizeLinear takes int16 only from opset 21: below it the int16 pairs are ONNX Runtime's
    /// com.microsoft Q/DQ, so the file loads in ONNX Runtime, which computes what Tessera's reference does.</summary>
    [Theory]
    [InlineData(13, "com.microsoft")]
    [InlineData(21, "")]
    public void Int16PairsAreAModelOnnxRuntimeRuns(int opset, string domain)
    {
        var samples = Samples();
        var model = ConvModel();
        model.Opsets[string.Empty] = opset;
        var calibration = Quantizer.Calibrate(model, _ => samples, null, optimize: true, equalize: false);
        var (int16, _) = Quantizer.Rewrite(calibration, new QuantizationOptions { Int16Tensors = new HashSet<string>(["x"], StringComparer.Ordinal) });
        var wide = int16.Graph.Nodes.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" && n.Input(2)!.Constant!.DataType == DataType.Int16).ToList();
        Assert.Equal(2, wide.Count);
        Assert.All(wide, n => Assert.Equal(domain, n.Domain));
        // The int8 pairs (weights, y) stay in the ONNX domain.
        Assert.All(int16.Graph.Nodes.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear").Except(wide), n => Assert.Equal(string.Empty, n.Domain));

        var input = samples[0].Inputs["x"];
        var (ort, _) = IntegerOrtComparison.RunOrt(Tessera.Onnx.OnnxExporter.ToBytes(int16), new Dictionary<string, Tensor> { ["x"] = input }, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL);
        var ours = ModelOutputs(int16, [samples[0]])[0];
        var theirs = ort["y"].As<float>().ToArray();
        Assert.Equal(ours.Length, theirs.Length);
        // Both dequantize the same int8 y: equal, or one step apart where a float32 sum rounds across a half.
        float step = int16.Graph.Nodes.Single(n => n.OpType == "QuantizeLinear" && n.Input(0)!.Name.StartsWith("y", StringComparison.Ordinal)).Input(1)!.Constant!.As<float>()[0];
        Assert.All(ours.Zip(theirs), p => Assert.True(System.Math.Abs(p.First - p.Second) <= step * 1.001f, $"{p.First} against ONNX Runtime {p.Second}"));
        Assert.True(ours.Zip(theirs).Count(p => p.First == p.Second) >= ours.Length * 0.99);
    }

    [Fact]
    public void BiasCorrectionRemovesTheMeanErrorOfEachOutputChannel()
    {
        var samples = Samples();
        var calibration = Quantizer.Calibrate(ConvModel(), _ => samples, null, optimize: true, equalize: false);
        // Per-tensor weights: the small channels round coarsely, so their mean error is large.
        var options = new QuantizationOptions { PerChannel = false };
        var corrections = BiasCorrection.Measure(calibration, options, samples, null);
        Assert.Equal(6, corrections["conv_node"].Length);

        double[] MeanError(Model model)
        {
            var reference = Outputs(calibration.FloatModel, "conv_node", samples);
            var quantized = Outputs(model, "conv_node", samples);
            var sums = new double[6];
            for (int s = 0; s < samples.Count; s++)
                for (int i = 0; i < reference[s].Length; i++) sums[i / 64] += quantized[s][i] - reference[s][i];
            return sums.Select(v => v / (samples.Count * 64)).ToArray();
        }
        var before = MeanError(Quantizer.Rewrite(calibration, options).Model);
        var after = MeanError(Quantizer.Rewrite(calibration, options with { BiasCorrections = corrections }).Model);
        for (int c = 0; c < 6; c++) Assert.Equal(before[c], corrections["conv_node"][c], 4);
        Assert.True(after.Max(System.Math.Abs) < before.Max(System.Math.Abs) / 4, $"mean channel error {after.Max(System.Math.Abs)} after, {before.Max(System.Math.Abs)} before");
    }
}
