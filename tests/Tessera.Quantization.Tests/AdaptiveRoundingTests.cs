using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Quantization.Tests;

/// <summary>Adaptive weight rounding (<see cref="AdaptiveRounding"/>): the patch statistics give a weight change's
/// output error exactly, the greedy rounding never does worse than nearest rounding on them, and on held-out data of
/// the same distribution a Conv's output error drops.</summary>
public sealed class AdaptiveRoundingTests
{
    private static Tensor Random(int seed, float offset, params int[] shape)
    {
        var random = new Random(seed);
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1 + offset) * (1 + i % 3);
        return Tensor.Create(shape, data);
    }

    /// <summary>x [batch, channels, (height,) width] -> Conv(weight) -> y, no bias.</summary>
    private static Model ConvModel(int[] inputShape, Tensor weight, Action<Node> attributes)
    {
        var graph = new Graph();
        var x = new Value("x", new TensorType(DataType.Float32, TensorShape.FromConcrete(inputShape)));
        graph.Inputs.Add(x);
        var w = graph.AddInitializer("w", weight);
        var y = new Value("y");
        attributes(graph.AddNode("Conv", [x, w], [y], name: "conv_node"));
        graph.Outputs.Add(y);
        var model = new Model(graph);
        model.Opsets[string.Empty] = 13;
        return model;
    }

    private static List<CalibrationSample> Samples(int first, int count, int[] shape, float offset = 0.2f) =>
        Enumerable.Range(first, count).Select(i => new CalibrationSample(new Dictionary<string, Tensor> { ["x"] = Random(i, offset, shape) }, true, "random")).ToList();

    private static float[] Run(Model model, CalibrationSample sample) =>
        ((Tensor)new InferenceSession(model).Run(new Dictionary<string, DataValue> { ["x"] = sample.Inputs["x"] })["y"]).As<float>().ToArray();

    private static float[] ConvOutput(Model model, CalibrationSample sample)
    {
        float[]? output = null;
        var session = new InferenceSession(model) { NodeExecuted = (n, o) => { if (n.OpType == "Conv") output = ((Tensor)o[0]!).As<float>().ToArray(); } };
        session.Run(new Dictionary<string, DataValue> { ["x"] = sample.Inputs["x"] });
        return output!;
    }

    public static TheoryData<int[], int[], int, long[], long[], long[]> Convolutions() => new()
    {
        // input shape, weight shape, group, pads, strides, dilations
        { [1, 3, 7, 9], [4, 3, 3, 3], 1, [1, 1, 1, 1], [1, 1], [1, 1] },
        { [2, 4, 8, 7], [6, 2, 3, 2], 2, [0, 1, 2, 0], [2, 1], [1, 2] },
        { [1, 5, 17, 5], [5, 1, 5, 5], 5, [2, 2, 2, 2], [2, 2], [1, 1] },
        { [1, 4, 17], [3, 4, 3], 1, [1, 1], [1], [2] },
        { [1, 6, 11], [4, 3, 1], 2, [0, 0], [2], [1] },
        { [1, 1, 1, 1], [2, 1, 1, 1], 1, [0, 0, 0, 0], [1, 1], [1, 1] },
    };

    /// <summary>With every output position measured, change^T H change is the sum of squares of the Conv (same
    /// attributes, weight = the change) over all outputs of the samples: the im2col order, padding, strides,
    /// dilations, groups and 1-D layout all have to be right for this to hold.</summary>
    [Theory]
    [MemberData(nameof(Convolutions))]
    public void StatisticsGiveTheOutputErrorOfAWeightChange(int[] inputShape, int[] weightShape, int group, long[] pads, long[] strides, long[] dilations)
    {
        var weight = Random(3, 0, weightShape);
        void Attributes(Node node)
        {
            node.SetAttribute(NodeAttribute.Int("group", group));
            node.SetAttribute(NodeAttribute.Ints("pads", pads));
            node.SetAttribute(NodeAttribute.Ints("strides", strides));
            node.SetAttribute(NodeAttribute.Ints("dilations", dilations));
        }
        var samples = Samples(20, 3, inputShape);
        var calibration = Quantizer.Calibrate(ConvModel(inputShape, weight, Attributes), _ => samples, null, optimize: false, equalize: false);
        var statistics = AdaptiveRounding.Measure(calibration, samples, null, positionsPerSample: 1 << 20)["conv_node"];
        int outputs = weightShape[0], patch = weight.Length / outputs;
        Assert.Equal(patch, statistics.Patch);
        Assert.Equal(group, statistics.Groups);

        // A change with a different value per output channel and tap.
        var change = Random(7, 0, weightShape);
        var changeModel = ConvModel(inputShape, change, Attributes);
        double expected = samples.Sum(s => Run(changeModel, s).Sum(v => (double)v * v));
        var values = change.As<float>();
        double actual = 0;
        for (int c = 0; c < outputs; c++)
        {
            var row = new double[patch];
            for (int k = 0; k < patch; k++) row[k] = values[c * patch + k];
            actual += statistics.OutputError(c / (outputs / group), row);
        }
        Assert.True(expected > 0);
        Assert.Equal(expected, actual, expected * 1e-5);
        long positions = samples.Sum(s => (long)Run(changeModel, s).Length / outputs);
        Assert.Equal(positions, statistics.Positions);
    }

    /// <summary>On inputs with a non-zero mean (correlated taps, as after a ReLU; with white inputs nearest rounding is
    /// already optimal) and random weights: every level is the floor or ceiling of its
    /// value inside [-127, 127], and the error is never above nearest rounding's (it starts there and only takes
    /// improving flips); on most draws it is strictly lower, and by 10 % on a third of them.</summary>
    [Fact]
    public void RoundingIsFloorOrCeilingAndNeverWorseThanNearest()
    {
        var inputShape = new[] { 1, 2, 6, 6 };
        int lower = 0, muchLower = 0;
        const int draws = 40;
        for (int seed = 0; seed < draws; seed++)
        {
            var weight = Random(100 + seed, 0, 3, 2, 3, 3);
            var samples = Samples(200 + seed, 2, inputShape, offset: 0.2f + 0.2f * (seed % 5));
            var calibration = Quantizer.Calibrate(ConvModel(inputShape, weight, n => n.SetAttribute(NodeAttribute.Ints("pads", [1, 1, 1, 1]))), _ => samples, null, optimize: false, equalize: false);
            var statistics = AdaptiveRounding.Measure(calibration, samples, null)["conv_node"];
            var random = new Random(seed);
            // Scaled weights with a few at the clamp, some exactly on a level, some on a half.
            var scaled = Enumerable.Range(0, statistics.Patch).Select(i => i switch
            {
                0 => 127f,
                1 => -126.6f,
                2 => 3f,
                3 => -2.5f,
                _ => (float)(random.NextDouble() * 60 - 30),
            }).ToArray();
            var q = AdaptiveRounding.Round(scaled, statistics, 0);
            for (int k = 0; k < q.Length; k++)
            {
                Assert.True(q[k] == System.Math.Floor(scaled[k]) || q[k] == System.Math.Ceiling(scaled[k]), $"level {q[k]} for {scaled[k]}");
                Assert.InRange(q[k], -127, 127);
            }
            Assert.Equal(3, q[2]);
            double Error(IEnumerable<double> levels) => statistics.OutputError(0, levels.Zip(scaled, (l, w) => l - w).ToArray());
            double nearest = Error(scaled.Select(w => System.Math.Clamp(System.Math.Round((double)w, MidpointRounding.ToEven), -127, 127)));
            double adaptive = Error(q.Select(v => (double)v));
            Assert.True(adaptive <= nearest * (1 + 1e-12), $"seed {seed}: {adaptive} against nearest {nearest}");
            if (adaptive < nearest * (1 - 1e-9)) lower++;
            if (adaptive < nearest * 0.9) muchLower++;
        }
        Assert.True(lower >= draws * 3 / 4, $"lower on {lower} of {draws} draws");
        Assert.True(muchLower >= draws / 3, $"10 % lower on {muchLower} of {draws} draws");
    }

    /// <summary>The Conv -> Relu model of the bias-correction tests, quantized with nearest and with adaptive weight
    /// rounding (statistics from the calibration samples), its Conv output compared with float on held-out samples
    /// from the same distribution: the squared error drops.</summary>
    [Fact]
    public void HeldOutConvolutionErrorDrops()
    {
        var inputShape = new[] { 1, 8, 10, 10 };
        var weight = Random(5, 0, 16, 8, 3, 3);
        var model = ConvModel(inputShape, weight, n => n.SetAttribute(NodeAttribute.Ints("pads", [1, 1, 1, 1])));
        var calibrationSamples = Samples(300, 8, inputShape, offset: 0.5f);
        var heldOut = Samples(400, 8, inputShape, offset: 0.5f);
        var calibration = Quantizer.Calibrate(model, _ => calibrationSamples, null, optimize: false, equalize: false);
        var options = new QuantizationOptions();
        var rounding = AdaptiveRounding.Measure(calibration, calibrationSamples, null);
        Assert.Equal(["conv_node"], rounding.Keys);
        var (nearest, _) = Quantizer.Rewrite(calibration, options);
        var (adaptive, _) = Quantizer.Rewrite(calibration, options with { WeightRounding = rounding });
        var weights = (Model m) => m.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear" && n.Input(0)!.Constant is { DataType: DataType.Int8 } c && c.Rank == 4).Input(0)!.Constant!.As<sbyte>().ToArray();
        var changed = weights(nearest).Zip(weights(adaptive)).Count(p => p.First != p.Second);
        Assert.InRange(changed, 1, weight.Length / 2);
        Assert.All(weights(nearest).Zip(weights(adaptive)), p => Assert.InRange(p.First - p.Second, -1, 1));

        // The Conv's own output (before the output's Q/DQ), so the error is the weights' and the input's.
        double Error(Model quantized) => heldOut.Sum(s => ConvOutput(quantized, s).Zip(Run(model, s), (q, f) => (double)(q - f) * (q - f)).Sum());
        double nearestError = Error(nearest), adaptiveError = Error(adaptive);
        Assert.True(adaptiveError < nearestError * 0.95, $"held-out squared error {adaptiveError} against nearest {nearestError}");
    }
}
