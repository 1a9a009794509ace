using Tessera.Core;
using Tessera.TFLite.Schema;

namespace Tessera.TFLite;

/// <summary>The weighted and windowed operators of pre-quantized models (CONV_2D, DEPTHWISE_CONV_2D,
/// FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D) as QDQ patterns. The NHWC &lt;-&gt; NCHW transposes around
/// convolutions and pools carry the 8-bit tensor's own parameters, so they move int8 values unchanged.</summary>
public sealed partial class TfLiteImporter
{
    /// <summary>The NCHW real value of an 8-bit NHWC tensor, shared by every convolution or pool that reads it.</summary>
    private readonly Dictionary<int, Value> _channelsFirstReal = [];

    private void QuantizedConvolution(TfLiteOperator op, bool depthwise)
    {
        var options = op.Options;
        int padding = options?.SByte(0) ?? 0, strideW = options?.Int(1, 1) ?? 1, strideH = options?.Int(2, 1) ?? 1;
        int activation = options?.SByte(depthwise ? 4 : 3) ?? 0;
        int dilationW = options?.Int(depthwise ? 5 : 4, 1) ?? 1, dilationH = options?.Int(depthwise ? 6 : 5, 1) ?? 1;
        var input = TensorAt(op, 0);
        var filter = TensorAt(op, 1);
        var weights = QuantizedConstant(op, 1);
        if (input.Shape.Length != 4 || weights.Rank != 4) throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) needs 4-D input and filter", _source);
        // OHWI -> OIHW; depthwise 1HW(C*M) -> (C*M)1HW. Either way the per-channel axis ends up first.
        var onnxWeights = depthwise ? Permute(weights, [3, 0, 1, 2]) : Permute(weights, [0, 3, 1, 2]);
        int kernelH = weights.Shape[1], kernelW = weights.Shape[2];
        var pads = Padding(padding, input.Shape[1], input.Shape[2], kernelH, kernelW, strideH, strideW, dilationH, dilationW);
        var inputs = new List<Value?>
        {
            ChannelsFirstReal(op, 0),
            QuantizedWeights(op, filter, onnxWeights, depthwise ? 3 : 0),
        };
        if (op.Inputs.Length > 2 && op.Inputs[2] >= 0) inputs.Add(QuantizedBias(op, 2, input, filter, onnxWeights.Shape[0]));
        var output = OutputTensor(op);
        var convolved = Temporary(output.Name + "/nchw_real");
        Emit(op, "Conv", inputs.ToArray(), convolved, activation,
            NodeAttribute.Ints("kernel_shape", [kernelH, kernelW]), NodeAttribute.Ints("strides", [strideH, strideW]),
            NodeAttribute.Ints("dilations", [dilationH, dilationW]), NodeAttribute.Ints("pads", pads),
            NodeAttribute.Int("group", depthwise ? input.Shape[3] : 1));
        BindChannelsLast(op, convolved);
    }

    /// <summary>Pool2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 filter_width, 4 filter_height, 5 activation.</summary>
    private void QuantizedPool(TfLiteOperator op, string opType)
    {
        var options = op.Options ?? throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) has no options", _source);
        var input = TensorAt(op, 0);
        if (input.Shape.Length != 4) throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) needs a 4-D input", _source);
        int strideW = options.Int(1, 1), strideH = options.Int(2, 1), width = options.Int(3), height = options.Int(4);
        var pads = Padding(options.SByte(0), input.Shape[1], input.Shape[2], height, width, strideH, strideW, 1, 1);
        var pooled = Temporary(OutputTensor(op).Name + "/nchw_real");
        Emit(op, opType, [ChannelsFirstReal(op, 0)], pooled, options.SByte(5),
            NodeAttribute.Ints("kernel_shape", [height, width]), NodeAttribute.Ints("strides", [strideH, strideW]), NodeAttribute.Ints("pads", pads));
        BindChannelsLast(op, pooled);
    }

    /// <summary>FULLY_CONNECTED (FullyConnectedOptions: 0 activation, 1 weights_format, 2 keep_num_dims): input
    /// flattened to [-1, K] (an 8-bit reshape), int8 weights [units, K], int32 bias, then the output shape.</summary>
    private void QuantizedFullyConnected(TfLiteOperator op)
    {
        if ((op.Options?.SByte(1) ?? 0) != 0) throw new UnsupportedException("shuffled fully-connected weights are not supported", $"{_source}, operator {op.Index}");
        var input = TensorAt(op, 0);
        var weightsTensor = TensorAt(op, 1);
        var weights = QuantizedConstant(op, 1);
        if (weights.Rank != 2) throw new ModelFormatException($"operator {op.Index} (FULLY_CONNECTED) needs 2-D weights", _source);
        var x = Real(op, 0);
        if (input.Shape.Length != 2)
        {
            var flat = Temporary(input.Name + "/flat_real");
            Add("Reshape", [x, Constant(flat.Name + "/shape", Tensor.Create([2], new long[] { -1, weights.Shape[1] }))], flat);
            x = ThroughQuantized(flat, input, input.Name + "/flat");
        }
        var inputs = new List<Value?> { x, QuantizedWeights(op, weightsTensor, weights, 0) };
        if (op.Inputs.Length > 2 && op.Inputs[2] >= 0) inputs.Add(QuantizedBias(op, 2, input, weightsTensor, weights.Shape[0]));
        var output = OutputTensor(op);
        var product = Temporary(output.Name + (output.Shape.Length == 2 ? "/real" : "/2d_real"));
        Emit(op, "Gemm", inputs.ToArray(), product, FusedActivation(op, 0), NodeAttribute.Int("transB", 1));
        if (output.Shape.Length != 2)
        {
            var real = Temporary(output.Name + "/real");
            Add("Reshape", [ThroughQuantized(product, output, output.Name + "/2d"), ShapeConstant(output.Shape, real.Name)], real);
            product = real;
        }
        BindQuantized(op, product);
    }

    /// <summary>NHWC 8-bit input -> Transpose to NCHW -> the same 8-bit parameters -> real value.</summary>
    private Value ChannelsFirstReal(TfLiteOperator op, int position)
    {
        int index = op.Inputs[position];
        if (_channelsFirstReal.TryGetValue(index, out var known)) return known;
        var tensor = TensorAt(op, position);
        var transposed = Temporary(tensor.Name + "/nchw_real");
        Add("Transpose", [Real(op, position)], transposed, NodeAttribute.Ints("perm", ToChannelsFirst));
        var real = ThroughQuantized(transposed, tensor, tensor.Name + "/nchw");
        _channelsFirstReal[index] = real;
        return real;
    }

    /// <summary>NCHW real result -> the output's 8-bit parameters -> Transpose to NHWC -> the output tensor.</summary>
    private void BindChannelsLast(TfLiteOperator op, Value channelsFirst)
    {
        var output = OutputTensor(op);
        var real = Temporary(output.Name + "/real");
        Add("Transpose", [ThroughQuantized(channelsFirst, output, output.Name + "/nchw")], real, NodeAttribute.Ints("perm", ToChannelsLast));
        BindQuantized(op, real);
    }

    /// <summary>The constant 8-bit weights of a quantized operator.</summary>
    private Tensor QuantizedConstant(TfLiteOperator op, int position)
    {
        var tensor = TensorAt(op, position);
        if (!IsQuantized8(tensor))
        {
            throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) has {tensor.Type} weights '{tensor.Name}' without 8-bit quantization, which is not supported in a quantized model", _source);
        }
        return ConstantData(tensor) ?? throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) takes its weights '{tensor.Name}' at run time; only constant weights are supported", _source);
    }

    /// <summary>DequantizeLinear of 8-bit weights already permuted to ONNX's layout, whose per-channel axis
    /// (<paramref name="fileAxis"/> in the file) is now axis 0.</summary>
    private Value QuantizedWeights(TfLiteOperator op, TfLiteTensor tensor, Tensor weights, int fileAxis)
    {
        var q = tensor.Quantization!;
        var zeroPoints = ZeroPoints(tensor);
        int[] shape = [];
        if (q.IsPerChannel)
        {
            if (q.QuantizedDimension != fileAxis || q.Scale.Length != weights.Shape[0])
            {
                throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}): weights '{tensor.Name}' have {q.Scale.Length} scales along dimension {q.QuantizedDimension}; expected {weights.Shape[0]} along dimension {fileAxis}", _source);
            }
            shape = [q.Scale.Length];
        }
        var name = UniqueName(tensor.Name + "/onnx");
        var real = Temporary(tensor.Name + "/real");
        Add("DequantizeLinear", [_graph.AddInitializer(name, weights), Constant(real.Name + "/scale", Tensor.Create(shape, (float[])q.Scale.Clone())),
            Constant(real.Name + "/zero_point", Tensor.FromInt64s(ElementType(tensor), shape, zeroPoints))], real, NodeAttribute.Int("axis", 0));
        return real;
    }

    /// <summary>An int32 bias behind DequantizeLinear with scale input scale x weight scale[c] (the product in
    /// float32, as TFLite's converter computes it; the file's own bias scale is that same product). A float
    /// bias is passed as is.</summary>
    private Value QuantizedBias(TfLiteOperator op, int position, TfLiteTensor input, TfLiteTensor weights, int channels)
    {
        var tensor = TensorAt(op, position);
        var bias = ConstantData(tensor) ?? throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) takes its bias '{tensor.Name}' at run time, which is not supported", _source);
        if (bias.DataType == DataType.Float32) return In(op, position);
        if (bias.DataType != DataType.Int32 || bias.Length != channels)
        {
            throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) has a {tensor.Type} bias of {bias.Length} values for {channels} channels; an int32 bias per channel is expected", _source);
        }
        float inputScale = input.Quantization!.Scale[0];
        var weightScales = weights.Quantization!.Scale;
        int[] shape = weightScales.Length == 1 ? [] : [channels];
        var scales = weightScales.Select(s => inputScale * s).ToArray();
        var real = Temporary(tensor.Name + "/real");
        Add("DequantizeLinear", [_graph.AddInitializer(UniqueName(tensor.Name), bias), Constant(real.Name + "/scale", Tensor.Create(shape, scales)),
            Constant(real.Name + "/zero_point", Tensor.FromInt64s(DataType.Int32, shape, new long[scales.Length]))], real, NodeAttribute.Int("axis", 0));
        return real;
    }
}
