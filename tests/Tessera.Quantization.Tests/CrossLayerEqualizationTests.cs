using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Quantization.Tests;

/// <summary>Cross-layer equalization keeps the float function and repairs the case it exists for: a Relu
/// output whose channels differ in range by orders of magnitude, read by a conv that amplifies the small ones
/// (BlazeFace back's last block and its classifier head).</summary>
public sealed class CrossLayerEqualizationTests
{
    private const int Channels = 8;

    /// <summary>x [1,4,6,6] -> Conv1 (channel c scaled by 10^-(c mod 4)) -> Relu -> Conv2 (input channel c
    /// scaled by 10^(c mod 4)) -> y: every channel matters equally to y, but Relu's output spans 1000:1.</summary>
    private static Model Imbalanced()
    {
        var random = new Random(5);
        var graph = new Graph();
        var x = new Value("x", new TensorType(DataType.Float32, new TensorShape(1, 4, 6, 6)));
        graph.Inputs.Add(x);
        var w1 = new float[Channels * 4 * 3 * 3];
        for (int i = 0; i < w1.Length; i++) w1[i] = (float)((random.NextDouble() * 2 - 1) * System.Math.Pow(10, -(i / 36 % 4)));
        var b1 = Enumerable.Range(0, Channels).Select(c => (float)(0.1 * System.Math.Pow(10, -(c % 4)))).ToArray();
        var w2 = new float[3 * Channels];
        for (int i = 0; i < w2.Length; i++) w2[i] = (float)((random.NextDouble() * 2 - 1) * System.Math.Pow(10, i % Channels % 4));
        var conv = new Value("conv");
        var relu = new Value("relu");
        var y = new Value("y");
        graph.AddNode("Conv", [x, graph.AddInitializer("w1", Tensor.Create([Channels, 4, 3, 3], w1)), graph.AddInitializer("b1", Tensor.Create([Channels], b1))], [conv], name: "conv1")
            .SetAttribute(NodeAttribute.Ints("pads", [1, 1, 1, 1]));
        graph.AddNode("Relu", [conv], [relu], name: "relu");
        graph.AddNode("Conv", [relu, graph.AddInitializer("w2", Tensor.Create([3, Channels, 1, 1], w2))], [y], name: "conv2");
        graph.Outputs.Add(y);
        var model = new Model(graph);
        model.Opsets[string.Empty] = 13;
        return model;
    }

    private static List<CalibrationSample> Samples()
    {
        var random = new Random(9);
        return Enumerable.Range(0, 4).Select(_ =>
        {
            var data = Enumerable.Range(0, 4 * 36).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new CalibrationSample(new Dictionary<string, Tensor> { ["x"] = Tensor.Create([1, 4, 6, 6], data) }, true, "random");
        }).ToList();
    }

    [Fact]
    public void EqualizedModelComputesTheSameFunction()
    {
        var original = Imbalanced();
        var equalized = Quantizer.Copy(original);
        var pairs = CrossLayerEqualization.Run(equalized.Graph);
        var pair = Assert.Single(pairs);
        Assert.Equal(("conv1", "conv2", Channels), (pair.First, pair.Second, pair.Channels));
        // Channel weights 1000x apart meet in the middle: factors span about 10^-3 (1000^-1/2 over 1000^1/2).
        Assert.InRange(pair.LargestScale / pair.SmallestScale, 300, 3000);
        foreach (var sample in Samples())
        {
            var inputs = sample.Inputs.ToDictionary(kv => kv.Key, kv => (DataValue)kv.Value);
            var expected = ((Tensor)new InferenceSession(original).Run(inputs)["y"]).ToFloatArray();
            var actual = ((Tensor)new InferenceSession(equalized).Run(inputs)["y"]).ToFloatArray();
            for (int i = 0; i < expected.Length; i++) Assert.True(System.Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + System.Math.Abs(expected[i])), $"y[{i}]: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void EqualizationRepairsTheOutputOfAnImbalancedReluTensor()
    {
        double Cosine(bool equalize)
        {
            var samples = Samples();
            var calibration = Quantizer.Calibrate(Imbalanced(), _ => samples, null, optimize: false, equalize: equalize);
            Assert.Equal(equalize ? 1 : 0, calibration.Equalized.Count);
            var (quantized, _) = Quantizer.Rewrite(calibration, new QuantizationOptions());
            return QuantizationAnalysis.Compare(calibration.FloatModel, quantized, samples, null).OutputCosine;
        }
        double plain = Cosine(false), equalized = Cosine(true);
        Assert.True(plain < 0.99, $"without equalization the small channels should be lost: cosine {plain}");
        Assert.True(equalized > 0.999, $"with equalization: cosine {equalized} (without: {plain})");
    }

    [Fact]
    public void PairsItCannotRescaleAreLeftAlone()
    {
        // A Relu output that is also a graph output, or read by a non-Conv, must keep its values.
        var model = Imbalanced();
        model.Graph.Outputs.Add(model.Graph.Nodes.Single(n => n.Name == "relu").Output(0)!);
        Assert.Empty(CrossLayerEqualization.Run(model.Graph));
        var other = Imbalanced();
        var relu = other.Graph.Nodes.Single(n => n.Name == "relu").Output(0)!;
        var extra = new Value("extra");
        other.Graph.AddNode("Sigmoid", [relu], [extra], name: "sigmoid");
        other.Graph.Outputs.Add(extra);
        Assert.Empty(CrossLayerEqualization.Run(other.Graph));
    }
}
