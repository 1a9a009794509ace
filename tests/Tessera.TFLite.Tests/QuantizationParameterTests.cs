using Tessera.Core;
using Tessera.TFLite.Schema;

namespace Tessera.TFLite.Tests;

/// <summary>The int8 DS-CNN keyword spotter: its quantization parameters are read as the file states them.</summary>
public sealed class QuantizationParameterTests
{
    private static readonly TfLiteModel Kws = TfLiteModel.Parse(File.ReadAllBytes(MlperfTinyModels.Path("kws_ref_model.tflite")), "kws");

    private static TfLiteSubgraph Graph => Kws.Subgraphs.Single();

    [Fact]
    public void Input_is_asymmetric_per_tensor_int8()
    {
        var input = Graph.Tensors[Graph.Inputs.Single()];
        Assert.Equal(TfLiteType.Int8, input.Type);
        Assert.Equal([1, 49, 10, 1], input.Shape);
        var q = input.Quantization!;
        Assert.False(q.IsPerChannel);
        Assert.Equal(0.5847029f, q.Scale.Single(), 6);
        Assert.Equal(83L, q.ZeroPoint.Single());
    }

    [Fact]
    public void Convolution_filters_are_symmetric_per_output_channel()
    {
        var convolutions = Graph.Operators.Where(o => Kws.OperatorCodes[o.OpcodeIndex].Builtin == BuiltinOperators.Conv2D).ToList();
        Assert.Equal(5, convolutions.Count);
        foreach (var op in convolutions)
        {
            var filter = Graph.Tensors[op.Inputs[1]];
            var q = filter.Quantization!;
            Assert.Equal(TfLiteType.Int8, filter.Type);
            // Filters are OHWI; the TFLite int8 specification quantizes them along the output channel (axis 0).
            Assert.Equal(0, q.QuantizedDimension);
            Assert.Equal(filter.Shape[0], q.Scale.Length);
            Assert.All(q.ZeroPoint, z => Assert.Equal(0L, z));
            Assert.All(q.Scale, s => Assert.True(s > 0 && s < 1, $"scale {s}"));
            // The int32 bias scale is input scale times each filter scale.
            var bias = Graph.Tensors[op.Inputs[2]];
            Assert.Equal(TfLiteType.Int32, bias.Type);
            var inputScale = Graph.Tensors[op.Inputs[0]].Quantization!.Scale[0];
            for (int c = 0; c < q.Scale.Length; c++) Assert.Equal(inputScale * q.Scale[c], bias.Quantization!.Scale[c], 1e-6 * bias.Quantization.Scale[c] + 1e-12);
        }
    }

    [Fact]
    public void Depthwise_filters_are_quantized_along_their_channel_axis()
    {
        var depthwise = Graph.Operators.Where(o => Kws.OperatorCodes[o.OpcodeIndex].Builtin == BuiltinOperators.DepthwiseConv2D).ToList();
        Assert.Equal(4, depthwise.Count);
        foreach (var op in depthwise)
        {
            var q = Graph.Tensors[op.Inputs[1]].Quantization!;
            Assert.Equal(3, q.QuantizedDimension);
            Assert.Equal(Graph.Tensors[op.Inputs[1]].Shape[3], q.Scale.Length);
        }
    }

    [Fact]
    public void Int8_model_imports_as_qdq_with_the_files_own_parameters()
    {
        var model = MlperfTinyModels.Load("kws_ref_model.tflite");
        Assert.True(TfLiteImporter.IsPreQuantized(model));
        var graph = model.Graph;
        // The graph input and output are the file's int8 tensors.
        Assert.Equal(DataType.Int8, graph.Inputs.Single(v => v.Constant is null).TensorType!.ElementType);
        Assert.Equal(DataType.Int8, graph.Outputs.Single().TensorType!.ElementType);
        var conv = graph.Nodes.First(n => n.OpType == "Conv");
        var weights = conv.Input(1)!.Producer!;
        Assert.Equal("DequantizeLinear", weights.OpType);
        var op = Graph.Operators.First(o => Kws.OperatorCodes[o.OpcodeIndex].Builtin == BuiltinOperators.Conv2D);
        var filter = Graph.Tensors[op.Inputs[1]];
        // Per-channel scales along the output channel, unchanged (no re-quantization).
        Assert.Equal(filter.Quantization!.Scale, weights.Input(1)!.Constant!.ToFloatArray());
        Assert.Equal(DataType.Int8, weights.Input(0)!.Constant!.DataType);
        var bias = conv.Input(2)!.Producer!;
        Assert.Equal(DataType.Int32, bias.Input(0)!.Constant!.DataType);
        float inputScale = Graph.Tensors[op.Inputs[0]].Quantization!.Scale[0];
        var biasScales = bias.Input(1)!.Constant!.ToFloatArray();
        for (int c = 0; c < biasScales.Length; c++) Assert.Equal(inputScale * filter.Quantization.Scale[c], biasScales[c]);
        // The output is quantized with the output tensor's own scale and zero point.
        var output = Graph.Tensors[op.Outputs[0]].Quantization!;
        var quantize = graph.Nodes.First(n => n.OpType == "QuantizeLinear" && n.Input(0)!.Producer is { } p && (p == conv || p.Input(0)!.Producer == conv));
        Assert.Equal(output.Scale[0], quantize.Input(1)!.Constant!.ToFloatArray()[0]);
        Assert.Equal(output.ZeroPoint[0], quantize.Input(2)!.Constant!.GetInt64(0));
    }
}
