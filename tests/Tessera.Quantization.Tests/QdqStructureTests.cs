using Tessera.Core;

namespace Tessera.Quantization.Tests;

/// <summary>The QDQ contract on small graphs: per-channel int8 weights with the right axis, int32 bias with
/// scale input_scale * weight_scale, Q/DQ pairs on activations, names of outputs kept.</summary>
public sealed class QdqStructureTests
{
    private static Tensor Random(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i % 3);
        return Tensor.Create(shape, data);
    }

    /// <summary>x [1,2,5,5] -> Conv(3 filters, bias) -> Relu -> y, and x -> ConvTranspose(2 -> 4) -> z.</summary>
    private static Model ConvModel()
    {
        var graph = new Graph();
        var x = new Value("x", new TensorType(DataType.Float32, new TensorShape(1, 2, 5, 5)));
        graph.Inputs.Add(x);
        var w = graph.AddInitializer("w", Random(1, 3, 2, 3, 3));
        var b = graph.AddInitializer("b", Tensor.Create([3], new[] { 0.5f, -0.25f, 0.125f }));
        var wt = graph.AddInitializer("wt", Random(2, 2, 4, 2, 2));
        var conv = new Value("conv");
        var y = new Value("y");
        var z = new Value("z");
        graph.AddNode("Conv", [x, w, b], [conv], name: "conv_node").SetAttribute(NodeAttribute.Ints("pads", [1, 1, 1, 1]));
        graph.AddNode("Relu", [conv], [y], name: "relu_node");
        graph.AddNode("ConvTranspose", [x, wt], [z], name: "deconv_node");
        graph.Outputs.Add(y);
        graph.Outputs.Add(z);
        var model = new Model(graph);
        model.Opsets[string.Empty] = 13;
        return model;
    }

    private static (Model Model, QuantizationReport Report) Quantize(Model model, QuantizationOptions options)
    {
        var samples = Enumerable.Range(0, 4).Select(i => new CalibrationSample(new Dictionary<string, Tensor> { ["x"] = Random(10 + i, 1, 2, 5, 5) }, true, "random"));
        var calibration = Quantizer.Calibrate(model, _ => samples, null, optimize: true);
        return Quantizer.Rewrite(calibration, options);
    }

    private static Node ProducerOf(Model model, Node consumer, int input) => consumer.Input(input)!.Producer
        ?? throw new Xunit.Sdk.XunitException($"input {input} of {consumer.DisplayName} has no producer");

    [Fact]
    public void Int32OutputsLeaveTheOutputLayerWithoutRequantizationAndItsMacsInInt8()
    {
        var (int8, int8Report) = Quantize(ConvModel(), new QuantizationOptions());
        var (int32, int32Report) = Quantize(ConvModel(), new QuantizationOptions { Int32Outputs = true });
        Node Deconv(Model m) => m.Graph.Nodes.Single(n => n.OpType == "ConvTranspose");
        bool Requantized(Model m, Value v) => m.Graph.Consumers(v).Any(n => n.OpType == "QuantizeLinear");
        // Default: the ConvTranspose writes z_float, which is quantized and dequantized into the output z.
        Assert.True(Requantized(int8, Deconv(int8).Output(0)!));
        // --int32-outputs: the ConvTranspose writes the output z itself; its input and weights stay int8.
        var deconv = Deconv(int32);
        Assert.Equal("z", deconv.Output(0)!.Name);
        Assert.False(Requantized(int32, deconv.Output(0)!));
        Assert.Equal("DequantizeLinear", ProducerOf(int32, deconv, 0).OpType);
        Assert.Equal("DequantizeLinear", ProducerOf(int32, deconv, 1).OpType);
        // The Conv before the quantized Relu is not a model output: y keeps its Q/DQ.
        var relu = int32.Graph.Nodes.Single(n => n.OpType == "Relu");
        Assert.True(Requantized(int32, relu.Output(0)!));
        Assert.Equal(int8Report.Int8Macs, int32Report.Int8Macs);
        Assert.Equal(int8Report.QuantizedTensors - 1, int32Report.QuantizedTensors);
    }

    [Fact]
    public void ConvWeightsArePerChannelInt8AlongAxisZeroWithInt32Bias()
    {
        var original = ConvModel();
        var weights = original.Graph.Initializers["w"].Constant!.As<float>().ToArray();
        var (model, report) = Quantize(original, new QuantizationOptions());
        var conv = model.Graph.Nodes.Single(n => n.OpType == "Conv");
        var weightDq = ProducerOf(model, conv, 1);
        Assert.Equal("DequantizeLinear", weightDq.OpType);
        Assert.Equal(0L, weightDq.Attribute("axis")!.Value);
        var q = weightDq.Input(0)!.Constant!;
        var scale = weightDq.Input(1)!.Constant!.As<float>();
        Assert.Equal(DataType.Int8, q.DataType);
        Assert.Equal([3, 2, 3, 3], q.Shape);
        Assert.Equal(3, scale.Length);
        Assert.All(weightDq.Input(2)!.Constant!.As<sbyte>(), v => Assert.Equal(0, v));
        for (int c = 0; c < 3; c++)
        {
            float max = weights.Skip(c * 18).Take(18).Max(System.Math.Abs);
            Assert.Equal(max / 127, scale[c], 6);
        }

        var inputDq = ProducerOf(model, conv, 0);
        var inputQ = ProducerOf(model, inputDq, 0);
        Assert.Equal("QuantizeLinear", inputQ.OpType);
        Assert.Equal("x", inputQ.Input(0)!.Name);
        float inputScale = inputDq.Input(1)!.Constant!.As<float>()[0];
        Assert.Equal(DataType.Int8, inputDq.Input(2)!.Constant!.DataType);

        var biasDq = ProducerOf(model, conv, 2);
        Assert.Equal(DataType.Int32, biasDq.Input(0)!.Constant!.DataType);
        var biasScale = biasDq.Input(1)!.Constant!.As<float>();
        for (int c = 0; c < 3; c++) Assert.Equal(inputScale * scale[c], biasScale[c], 9);
        Assert.All(biasDq.Input(2)!.Constant!.As<int>(), v => Assert.Equal(0, v));
        Assert.Equal(0.5f, biasDq.Input(0)!.Constant!.As<int>()[0] * biasScale[0], 3);

        Assert.Equal(2, report.QuantizedByOp.GetValueOrDefault("Conv") + report.QuantizedByOp.GetValueOrDefault("ConvTranspose"));
    }

    [Fact]
    public void ActivationsGetQdqPairsAndOutputsKeepTheirNames()
    {
        var (model, _) = Quantize(ConvModel(), new QuantizationOptions());
        Assert.Equal(["y", "z"], model.Graph.Outputs.Select(o => o.Name));
        foreach (var output in model.Graph.Outputs)
        {
            var dq = output.Producer!;
            Assert.Equal("DequantizeLinear", dq.OpType);
            Assert.Equal("QuantizeLinear", ProducerOf(model, dq, 0).OpType);
            Assert.Equal([], dq.Input(1)!.Constant!.Shape);
        }
        // Conv's output is read only by Relu: the pair sits after the Relu, not between them.
        var relu = model.Graph.Nodes.Single(n => n.OpType == "Relu");
        Assert.Equal("Conv", ProducerOf(model, relu, 0).OpType);
    }

    [Fact]
    public void ConvTransposeWeightsUseAxisOne()
    {
        var (model, _) = Quantize(ConvModel(), new QuantizationOptions());
        var deconv = model.Graph.Nodes.Single(n => n.OpType == "ConvTranspose");
        var dq = ProducerOf(model, deconv, 1);
        Assert.Equal(1L, dq.Attribute("axis")!.Value);
        Assert.Equal([4], dq.Input(1)!.Constant!.Shape);
    }

    [Fact]
    public void PerTensorAndSymmetricOptions()
    {
        var (model, _) = Quantize(ConvModel(), new QuantizationOptions { PerChannel = false, Symmetric = true });
        var conv = model.Graph.Nodes.Single(n => n.OpType == "Conv");
        var dq = ProducerOf(model, conv, 1);
        Assert.False(dq.HasAttribute("axis"));
        Assert.Equal([], dq.Input(1)!.Constant!.Shape);
        foreach (var q in model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear")) Assert.Equal(0, q.Input(2)!.Constant!.As<sbyte>()[0]);
    }

    [Fact]
    public void MatMulWeightsUseAxisOne()
    {
        var graph = new Graph();
        var x = new Value("x", new TensorType(DataType.Float32, new TensorShape(3, 4)));
        graph.Inputs.Add(x);
        var w = graph.AddInitializer("w", Random(3, 4, 5));
        var y = new Value("y");
        graph.AddNode("MatMul", [x, w], [y], name: "matmul");
        graph.Outputs.Add(y);
        var model = new Model(graph);
        model.Opsets[string.Empty] = 13;
        var samples = new[] { new CalibrationSample(new Dictionary<string, Tensor> { ["x"] = Random(4, 3, 4) }, true, "random") };
        var (quantized, _) = Quantizer.Rewrite(Quantizer.Calibrate(model, _ => samples, null, optimize: false), new QuantizationOptions());
        var matmul = quantized.Graph.Nodes.Single(n => n.OpType == "MatMul");
        var dq = ProducerOf(quantized, matmul, 1);
        Assert.Equal(1L, dq.Attribute("axis")!.Value);
        Assert.Equal([5], dq.Input(1)!.Constant!.Shape);
    }

    [Fact]
    public void UnsupportedOpsStayFloatWithAReason()
    {
        var graph = new Graph();
        var x = new Value("x", new TensorType(DataType.Float32, new TensorShape(2, 6)));
        graph.Inputs.Add(x);
        var y = new Value("y");
        graph.AddNode("Softmax", [x], [y], name: "softmax").SetAttribute(NodeAttribute.Int("axis", -1));
        graph.Outputs.Add(y);
        var model = new Model(graph);
        model.Opsets[string.Empty] = 13;
        var samples = new[] { new CalibrationSample(new Dictionary<string, Tensor> { ["x"] = Random(5, 2, 6) }, true, "random") };
        var (quantized, report) = Quantizer.Rewrite(Quantizer.Calibrate(model, _ => samples, null, optimize: false), new QuantizationOptions());
        var kept = Assert.Single(report.KeptFloat);
        Assert.Equal("Softmax", kept.OpType);
        Assert.DoesNotContain(quantized.Graph.Nodes, n => n.OpType == "QuantizeLinear");
    }
}
