using Tessera.Core;
using Tessera.TFLite.Schema;

namespace Tessera.TFLite;

/// <summary>Builtin TFLite operators mapped onto ONNX-style IR operators. Options are read by their
/// field id in the TFLite schema; each mapping names the options table it reads.</summary>
public sealed partial class TfLiteImporter
{
    private static readonly long[] ToChannelsFirst = [0, 3, 1, 2];
    private static readonly long[] ToChannelsLast = [0, 2, 3, 1];

    private void Convert(TfLiteOperator op)
    {
        var code = _file.OperatorCodes[op.OpcodeIndex];
        switch (code.Builtin)
        {
            case BuiltinOperators.Conv2D: Convolution(op, depthwise: false); break;
            case BuiltinOperators.DepthwiseConv2D: Convolution(op, depthwise: true); break;
            case BuiltinOperators.AveragePool2D: Pool(op, "AveragePool"); break;
            case BuiltinOperators.MaxPool2D: Pool(op, "MaxPool"); break;
            case BuiltinOperators.FullyConnected: FullyConnected(op); break;
            // AddOptions / SubOptions / MulOptions: 0 fused_activation_function.
            case BuiltinOperators.Add: Emit(op, "Add", [In(op, 0), In(op, 1)], Output(op), FusedActivation(op, 0)); break;
            case BuiltinOperators.Sub: Emit(op, "Sub", [In(op, 0), In(op, 1)], Output(op), FusedActivation(op, 0)); break;
            case BuiltinOperators.Mul: Emit(op, "Mul", [In(op, 0), In(op, 1)], Output(op), FusedActivation(op, 0)); break;
            // ConcatenationOptions: 0 axis, 1 fused_activation_function.
            case BuiltinOperators.Concatenation:
                Emit(op, "Concat", op.Inputs.Select((_, i) => (Value?)In(op, i)).ToArray(), Output(op), FusedActivation(op, 1),
                    NodeAttribute.Int("axis", op.Options?.Int(0) ?? 0));
                break;
            case BuiltinOperators.Reshape:
            case BuiltinOperators.Squeeze:
                // The file stores every output shape, so the target shape is taken from the output tensor itself.
                var target = Output(op);
                Add("Reshape", [In(op, 0), ShapeConstant(target)], target);
                break;
            case BuiltinOperators.Softmax: Softmax(op); break;
            case BuiltinOperators.Logistic: Add("Sigmoid", [In(op, 0)], Output(op)); break;
            case BuiltinOperators.Tanh: Add("Tanh", [In(op, 0)], Output(op)); break;
            case BuiltinOperators.Relu: Activation(In(op, 0), Output(op), 1); break;
            case BuiltinOperators.ReluMinus1To1: Activation(In(op, 0), Output(op), 2); break;
            case BuiltinOperators.Relu6: Activation(In(op, 0), Output(op), 3); break;
            case BuiltinOperators.Pad: Pad(op); break;
            case BuiltinOperators.Mean:
                // ReducerOptions: 0 keep_dims.
                Add("ReduceMean", [In(op, 0)], Output(op), NodeAttribute.Ints("axes", ConstantInts(op, 1)),
                    NodeAttribute.Int("keepdims", op.Options?.Bool(0) == true ? 1 : 0));
                break;
            case BuiltinOperators.Transpose: Add("Transpose", [In(op, 0)], Output(op), NodeAttribute.Ints("perm", ConstantInts(op, 1))); break;
            case BuiltinOperators.Dequantize: Dequantize(op); break;
            default:
                if (ConvertSlicingAndElementwise(op, code.Builtin)) break;
                throw new UnsupportedException($"TFLite operator {code.Name} (operator {op.Index}) is not supported", _source,
                    code.Builtin == TfLiteOperatorCode.Custom ? "custom operators run only where Tessera implements them" : null);
        }
    }

    private Value In(TfLiteOperator op, int position)
    {
        if (position >= op.Inputs.Length || op.Inputs[position] < 0)
        {
            throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) lacks input {position}", _source);
        }
        return ValueOf(op.Inputs[position], $"operator {op.Index} ({OperatorName(op)})");
    }

    private Value? OptionalIn(TfLiteOperator op, int position) =>
        position < op.Inputs.Length && op.Inputs[position] >= 0 ? In(op, position) : null;

    private TfLiteTensor TensorAt(TfLiteOperator op, int position) => _subgraph.Tensors[op.Inputs[position]];

    private long[] ConstantInts(TfLiteOperator op, int position)
    {
        var value = In(op, position);
        return value.Constant?.ToInt64Array() ?? throw new UnsupportedException(
            $"operator {op.Index} ({OperatorName(op)}) takes input {position} at run time; only constant values are supported", _source);
    }

    private int FusedActivation(TfLiteOperator op, int fieldId) => op.Options?.SByte(fieldId) ?? 0;

    /// <summary>Runs <paramref name="opType"/> and then the fused activation, the last node writing <paramref name="output"/>.</summary>
    private void Emit(TfLiteOperator op, string opType, Value?[] inputs, Value output, int activation, params NodeAttribute[] attributes)
    {
        if (activation == 0)
        {
            Add(opType, inputs, output, attributes);
            return;
        }
        var raw = Temporary(output.Name + "/pre_activation");
        Add(opType, inputs, raw, attributes);
        Activation(raw, output, activation, op);
    }

    /// <summary>TFLite ActivationFunctionType: 0 NONE, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6, 4 TANH.</summary>
    private void Activation(Value input, Value output, int activation, TfLiteOperator? op = null)
    {
        switch (activation)
        {
            case 1: Add("Relu", [input], output); break;
            case 2: Add("Clip", [input, Constant("minus_one", Tensor.Scalar(-1f)), Constant("one", Tensor.Scalar(1f))], output); break;
            case 3: Add("Clip", [input, Constant("zero", Tensor.Scalar(0f)), Constant("six", Tensor.Scalar(6f))], output); break;
            case 4: Add("Tanh", [input], output); break;
            default:
                throw new UnsupportedException($"fused activation {activation} is not supported", op is null ? _source : $"{_source}, operator {op.Index}");
        }
    }

    private Value ShapeConstant(Value target)
    {
        var shape = target.TensorType!.Shape!.ToConcrete()!;
        return Constant(target.Name + "/shape", Tensor.Create([shape.Length], shape.Select(d => (long)d).ToArray()));
    }

    /// <summary>CONV_2D (Conv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 activation, 4 dilation_w, 5 dilation_h)
    /// and DEPTHWISE_CONV_2D (0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier, 4 activation, 5 dilation_w,
    /// 6 dilation_h). Filters are OHWI (depthwise: 1HW(C*M)); ONNX wants OIHW (depthwise: (C*M)1HW, group C).</summary>
    private void Convolution(TfLiteOperator op, bool depthwise)
    {
        var options = op.Options;
        int padding = options?.SByte(0) ?? 0, strideW = options?.Int(1, 1) ?? 1, strideH = options?.Int(2, 1) ?? 1;
        int activation = options?.SByte(depthwise ? 4 : 3) ?? 0;
        int dilationW = options?.Int(depthwise ? 5 : 4, 1) ?? 1, dilationH = options?.Int(depthwise ? 6 : 5, 1) ?? 1;
        var input = TensorAt(op, 0);
        var filter = In(op, 1);
        var weights = FloatWeights(op, 1, filter.Constant ?? throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) has a non-constant filter", _source));
        if (input.Shape.Length != 4 || weights.Rank != 4) throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) needs 4-D input and filter", _source);
        int channels = input.Shape[3];
        var onnxWeights = depthwise ? Permute(weights, [3, 0, 1, 2]) : Permute(weights, [0, 3, 1, 2]);
        int kernelH = weights.Shape[1], kernelW = weights.Shape[2];
        var pads = Padding(padding, input.Shape[1], input.Shape[2], kernelH, kernelW, strideH, strideW, dilationH, dilationW);
        var inputs = new List<Value?> { null, Constant(filter.Name + "/oihw", onnxWeights) };
        if (OptionalIn(op, 2) is { } bias) inputs.Add(bias);
        var output = Output(op);
        var channelsFirst = ChannelsFirst(In(op, 0));
        inputs[0] = channelsFirst;
        var convolved = Temporary(output.Name + "/nchw");
        Emit(op, "Conv", inputs.ToArray(), convolved, activation,
            NodeAttribute.Ints("kernel_shape", [kernelH, kernelW]), NodeAttribute.Ints("strides", [strideH, strideW]),
            NodeAttribute.Ints("dilations", [dilationH, dilationW]), NodeAttribute.Ints("pads", pads),
            NodeAttribute.Int("group", depthwise ? channels : 1));
        Add("Transpose", [convolved], output, NodeAttribute.Ints("perm", ToChannelsLast));
    }

    /// <summary>Pool2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 filter_width, 4 filter_height, 5 activation.
    /// TFLite's SAME average pool divides by the in-bounds count only, as ONNX's count_include_pad=0 does.</summary>
    private void Pool(TfLiteOperator op, string opType)
    {
        var options = op.Options ?? throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) has no options", _source);
        var input = TensorAt(op, 0);
        if (input.Shape.Length != 4) throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) needs a 4-D input", _source);
        int strideW = options.Int(1, 1), strideH = options.Int(2, 1), width = options.Int(3), height = options.Int(4);
        var pads = Padding(options.SByte(0), input.Shape[1], input.Shape[2], height, width, strideH, strideW, 1, 1);
        var output = Output(op);
        var pooled = Temporary(output.Name + "/nchw");
        Emit(op, opType, [ChannelsFirst(In(op, 0))], pooled, options.SByte(5),
            NodeAttribute.Ints("kernel_shape", [height, width]), NodeAttribute.Ints("strides", [strideH, strideW]), NodeAttribute.Ints("pads", pads));
        Add("Transpose", [pooled], output, NodeAttribute.Ints("perm", ToChannelsLast));
    }

    private Value ChannelsFirst(Value input)
    {
        var result = Temporary(input.Name + "/nchw");
        Add("Transpose", [input], result, NodeAttribute.Ints("perm", ToChannelsFirst));
        return result;
    }

    /// <summary>ONNX pads [top, left, bottom, right] for TFLite Padding (0 SAME: output = ceil(in / stride),
    /// the odd pixel at the end; 1 VALID: none).</summary>
    private long[] Padding(int padding, int height, int width, int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW)
    {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || kernelH < 1 || kernelW < 1)
        {
            throw new ModelFormatException("a convolution or pool has a non-positive stride, dilation or window", _source);
        }
        if (padding == 1) return [0, 0, 0, 0];
        if (padding != 0) throw new UnsupportedException($"padding mode {padding} is not supported", _source);
        static long Total(int size, int kernel, int stride, int dilation)
        {
            long outSize = (size + stride - 1) / stride;
            return Math.Max((outSize - 1) * stride + (long)(kernel - 1) * dilation + 1 - size, 0);
        }
        long padH = Total(height, kernelH, strideH, dilationH), padW = Total(width, kernelW, strideW, dilationW);
        return [padH / 2, padW / 2, padH - padH / 2, padW - padW / 2];
    }

    /// <summary>FULLY_CONNECTED (FullyConnectedOptions: 0 activation, 1 weights_format, 2 keep_num_dims):
    /// input flattened to [-1, K], weights [units, K], output = input * weights^T + bias.</summary>
    private void FullyConnected(TfLiteOperator op)
    {
        if ((op.Options?.SByte(1) ?? 0) != 0) throw new UnsupportedException("shuffled fully-connected weights are not supported", $"{_source}, operator {op.Index}");
        var weights = In(op, 1);
        if (weights.Constant is { } constant && constant.DataType != DataType.Float32)
        {
            weights = Constant(weights.Name + "/float", FloatWeights(op, 1, constant));
        }
        var weightShape = TensorAt(op, 1).Shape;
        if (weightShape.Length != 2) throw new ModelFormatException($"operator {op.Index} (FULLY_CONNECTED) needs 2-D weights", _source);
        var input = In(op, 0);
        if (TensorAt(op, 0).Shape.Length != 2)
        {
            var flat = Temporary(input.Name + "/flat");
            Add("Reshape", [input, Constant(flat.Name + "/shape", Tensor.Create([2], new long[] { -1, weightShape[1] }))], flat);
            input = flat;
        }
        var output = Output(op);
        var inputs = new List<Value?> { input, weights };
        if (OptionalIn(op, 2) is { } bias) inputs.Add(bias);
        bool reshapeAfter = output.TensorType!.Shape!.Rank != 2;
        var product = reshapeAfter ? Temporary(output.Name + "/2d") : output;
        Emit(op, "Gemm", inputs.ToArray(), product, FusedActivation(op, 0), NodeAttribute.Int("transB", 1));
        if (reshapeAfter) Add("Reshape", [product, ShapeConstant(output)], output);
    }

    /// <summary>SoftmaxOptions: 0 beta; softmax(beta * x) over the last axis.</summary>
    private void Softmax(TfLiteOperator op)
    {
        float beta = op.Options?.Float(0, 1f) ?? 1f;
        var input = In(op, 0);
        if (beta != 1f)
        {
            var scaled = Temporary(input.Name + "/scaled");
            Add("Mul", [input, Constant("beta", Tensor.Scalar(beta))], scaled);
            input = scaled;
        }
        Add("Softmax", [input], Output(op), NodeAttribute.Int("axis", -1));
    }

    /// <summary>PAD: paddings [rank, 2] of (before, after) per axis; ONNX wants all befores then all afters.</summary>
    private void Pad(TfLiteOperator op)
    {
        var paddings = ConstantInts(op, 1);
        int rank = paddings.Length / 2;
        var pads = new long[2 * rank];
        for (int i = 0; i < rank; i++)
        {
            pads[i] = paddings[2 * i];
            pads[rank + i] = paddings[2 * i + 1];
        }
        Add("Pad", [In(op, 0), Constant("pads", Tensor.Create([pads.Length], pads))], Output(op));
    }

    /// <summary>DEQUANTIZE of float16 weights is a cast; of int8/uint8 data, DequantizeLinear with the tensor's parameters.</summary>
    private void Dequantize(TfLiteOperator op)
    {
        var source = TensorAt(op, 0);
        if (source.Type == TfLiteType.Float16)
        {
            Add("Cast", [In(op, 0)], Output(op), NodeAttribute.Int("to", (long)DataType.Float32));
            return;
        }
        var q = source.Quantization ?? throw new ModelFormatException($"operator {op.Index} (DEQUANTIZE) reads tensor '{source.Name}', which has no quantization", _source);
        var zeroPoints = q.ZeroPoint.Length == 0 ? new long[q.Scale.Length] : q.ZeroPoint;
        var zeroType = ElementType(source);
        int[] shape = q.IsPerChannel ? [q.Scale.Length] : [];
        var zero = Tensor.FromInt64s(zeroType, shape, zeroPoints);
        var scale = Tensor.Create(shape, (float[])q.Scale.Clone());
        Add("DequantizeLinear", [In(op, 0), Constant(source.Name + "/scale", scale), Constant(source.Name + "/zero_point", zero)], Output(op),
            NodeAttribute.Int("axis", q.QuantizedDimension));
    }

    /// <summary>Float weights for a float operator. Hybrid models ("float" files with int8 weights, such as
    /// MLPerf Tiny's DS-CNN) store weights as int8 with per-channel scales; they are dequantized once here,
    /// real = scale[c] * (q - zero_point[c]) along the quantized dimension.</summary>
    private Tensor FloatWeights(TfLiteOperator op, int position, Tensor weights)
    {
        if (weights.DataType == DataType.Float32) return weights;
        var tensor = TensorAt(op, position);
        if (TensorAt(op, 0).Type != TfLiteType.Float32 || weights.DataType is not (DataType.Int8 or DataType.UInt8) || tensor.Quantization is not { } q)
        {
            throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) has {tensor.Type} weights '{tensor.Name}', which are not supported here", _source);
        }
        int axis = q.IsPerChannel ? q.QuantizedDimension : -1;
        if (axis >= weights.Rank || (axis >= 0 && weights.Shape[axis] != q.Scale.Length))
        {
            throw new ModelFormatException($"tensor '{tensor.Name}' has {q.Scale.Length} scales for quantized dimension {q.QuantizedDimension} of shape [{string.Join(",", tensor.Shape)}]", _source);
        }
        int inner = 1;
        for (int i = axis + 1; i < weights.Rank && axis >= 0; i++) inner *= weights.Shape[i];
        var result = new float[weights.Length];
        for (int i = 0; i < result.Length; i++)
        {
            int channel = axis < 0 ? 0 : i / inner % q.Scale.Length;
            long zero = q.ZeroPoint.Length == 0 ? 0 : q.ZeroPoint[channel];
            result[i] = (float)(q.Scale[channel] * (double)(weights.GetInt64(i) - zero));
        }
        return Tensor.Create((int[])weights.Shape.Clone(), result);
    }

    /// <summary>Transposed copy of a constant: result axis i is source axis <paramref name="permutation"/>[i].</summary>
    internal static Tensor Permute(Tensor source, int[] permutation)
    {
        int rank = source.Rank;
        var shape = permutation.Select(p => source.Shape[p]).ToArray();
        var sourceStrides = new int[rank];
        for (int i = rank - 1, stride = 1; i >= 0; i--) { sourceStrides[i] = stride; stride *= source.Shape[i]; }
        var result = Array.CreateInstance(source.Data.GetType().GetElementType()!, source.Length);
        var index = new int[rank];
        for (int flat = 0; flat < source.Length; flat++)
        {
            int offset = 0;
            for (int i = 0; i < rank; i++) offset += index[i] * sourceStrides[permutation[i]];
            Array.Copy(source.Data, offset, result, flat, 1);
            for (int i = rank - 1; i >= 0 && ++index[i] == shape[i]; i--) index[i] = 0;
        }
        return Tensor.FromArray(source.DataType, shape, result);
    }
}
