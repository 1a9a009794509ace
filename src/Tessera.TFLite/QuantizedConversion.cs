using Tessera.Core;
using Tessera.TFLite.Schema;

namespace Tessera.TFLite;

/// <summary>Pre-quantized (int8/uint8) TFLite models become a QDQ graph, with no re-quantization: every 8-bit
/// activation tensor keeps its own scale and zero point as a QuantizeLinear -> DequantizeLinear pair, int8
/// weights are constants behind DequantizeLinear (per-channel scales along the output channel), int32 biases
/// are constants behind DequantizeLinear with scale input scale x weight scale. Tessera.Integer lowers this
/// pattern to integer steps with TFLite's fixed-point requantization; the float reference kernels read it as
/// fake quantization. The model's metadata says it came from an int8 file (<see cref="QuantizedMetadataKey"/>).</summary>
public sealed partial class TfLiteImporter
{
    /// <summary>Set to "int8" or "uint8" in <see cref="Model.Metadata"/> for a pre-quantized model.</summary>
    public const string QuantizedMetadataKey = "tflite.quantized_activations";

    /// <summary>Whether <paramref name="model"/> was imported from a pre-quantized TFLite file: its graph is QDQ
    /// and is meant for the integer executor (Tessera.Integer), not the float backends.</summary>
    public static bool IsPreQuantized(Model model) => model.Metadata.ContainsKey(QuantizedMetadataKey);

    private TfLiteType? _quantizedType;

    /// <summary>Real values of 8-bit tensors, one DequantizeLinear per tensor.</summary>
    private readonly Dictionary<int, Value> _real = [];

    /// <summary>Whether any operator writes a quantized 8-bit tensor (so the file is a pre-quantized model). A
    /// 16-bit quantized activation is refused by name: TFLite's int16 kernels are not implemented.</summary>
    private void DetectQuantizedActivations()
    {
        foreach (var op in _subgraph.Operators)
        {
            foreach (var index in op.Outputs)
            {
                if (index < 0) continue;
                var t = _subgraph.Tensors[index];
                if (t.Quantization is null || t.Quantization.Scale.Length == 0) continue;
                if (t.Type == TfLiteType.Int16)
                {
                    throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) produces int16 tensor '{t.Name}'; 16-bit quantized activations are not supported",
                        _source, "use an int8 or float32 model");
                }
                if (t.Type is TfLiteType.Int8 or TfLiteType.UInt8) _quantizedType ??= t.Type;
            }
        }
    }

    private static bool IsQuantized8(TfLiteTensor t) =>
        t.Type is TfLiteType.Int8 or TfLiteType.UInt8 && t.Quantization is { Scale.Length: > 0 };

    /// <summary>Whether the operator reads or writes an 8-bit quantized activation (or a quantized constant
    /// in place of one); others in a quantized model (float shape arithmetic) are imported as usual.</summary>
    private bool TouchesQuantized(TfLiteOperator op) =>
        op.Outputs.Any(i => i >= 0 && IsQuantized8(_subgraph.Tensors[i])) ||
        op.Inputs.Any(i => i >= 0 && IsQuantized8(_subgraph.Tensors[i]) && _file.Buffers[_subgraph.Tensors[i].Buffer].Length == 0);

    private void ConvertQuantized(TfLiteOperator op)
    {
        var code = _file.OperatorCodes[op.OpcodeIndex];
        switch (code.Builtin)
        {
            case BuiltinOperators.Conv2D: QuantizedConvolution(op, depthwise: false); break;
            case BuiltinOperators.DepthwiseConv2D: QuantizedConvolution(op, depthwise: true); break;
            case BuiltinOperators.AveragePool2D: QuantizedPool(op, "AveragePool"); break;
            case BuiltinOperators.MaxPool2D: QuantizedPool(op, "MaxPool"); break;
            case BuiltinOperators.FullyConnected: QuantizedFullyConnected(op); break;
            case BuiltinOperators.Add: QuantizedEmit(op, "Add", [Real(op, 0), Real(op, 1)], FusedActivation(op, 0)); break;
            case BuiltinOperators.Sub: QuantizedEmit(op, "Sub", [Real(op, 0), Real(op, 1)], FusedActivation(op, 0)); break;
            case BuiltinOperators.Mul: QuantizedEmit(op, "Mul", [Real(op, 0), Real(op, 1)], FusedActivation(op, 0)); break;
            case BuiltinOperators.Concatenation:
                QuantizedEmit(op, "Concat", op.Inputs.Select((_, i) => (Value?)Real(op, i)).ToArray(), FusedActivation(op, 1),
                    NodeAttribute.Int("axis", op.Options?.Int(0) ?? 0));
                break;
            case BuiltinOperators.Reshape:
            case BuiltinOperators.Squeeze:
                var reshaped = Temporary(OutputTensor(op).Name + "/real");
                Add("Reshape", [Real(op, 0), ShapeConstant(OutputTensor(op).Shape, reshaped.Name)], reshaped);
                BindQuantized(op, reshaped);
                break;
            case BuiltinOperators.Softmax:
                // SoftmaxOptions: 0 beta. softmax(beta * x): beta is folded into this reader's dequantization scale.
                QuantizedEmit(op, "Softmax", [Real(op, 0, op.Options?.Float(0, 1f) ?? 1f)], 0, NodeAttribute.Int("axis", -1));
                break;
            case BuiltinOperators.Logistic: QuantizedEmit(op, "Sigmoid", [Real(op, 0)], 0); break;
            case BuiltinOperators.Tanh: QuantizedEmit(op, "Tanh", [Real(op, 0)], 0); break;
            case BuiltinOperators.Relu: QuantizedActivation(op, 1); break;
            case BuiltinOperators.ReluMinus1To1: QuantizedActivation(op, 2); break;
            case BuiltinOperators.Relu6: QuantizedActivation(op, 3); break;
            case BuiltinOperators.Pad:
                var paddings = ConstantInts(op, 1);
                QuantizedEmit(op, "Pad", [Real(op, 0), Constant("pads", Tensor.Create([paddings.Length], OnnxPads(paddings)))], 0);
                break;
            case BuiltinOperators.Mean:
                // ReducerOptions: 0 keep_dims.
                QuantizedEmit(op, "ReduceMean", [Real(op, 0)], 0, NodeAttribute.Ints("axes", ConstantInts(op, 1)),
                    NodeAttribute.Int("keepdims", op.Options?.Bool(0) == true ? 1 : 0));
                break;
            case BuiltinOperators.Transpose: QuantizedEmit(op, "Transpose", [Real(op, 0)], 0, NodeAttribute.Ints("perm", ConstantInts(op, 1))); break;
            case BuiltinOperators.Quantize: Quantize(op); break;
            case BuiltinOperators.Dequantize: Dequantize(op); break;
            default:
                throw new UnsupportedException($"TFLite operator {code.Name} (operator {op.Index}) on quantized {_quantizedType} tensors is not supported", _source,
                    code.Builtin == TfLiteOperatorCode.Custom ? "custom operators run only where Tessera implements them" : "use the float32 model");
        }
    }

    private TfLiteTensor OutputTensor(TfLiteOperator op, int position = 0)
    {
        if (position >= op.Outputs.Length || op.Outputs[position] < 0)
        {
            throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) lacks output {position}", _source);
        }
        return _subgraph.Tensors[op.Outputs[position]];
    }

    /// <summary>QUANTIZE: float -> 8-bit (QuantizeLinear), or 8-bit -> 8-bit with other parameters (a
    /// DequantizeLinear -> QuantizeLinear pair, which the integer graph runs as a fixed-point rescale).</summary>
    private void Quantize(TfLiteOperator op)
    {
        var source = TensorAt(op, 0);
        BindQuantized(op, IsQuantized8(source) ? Real(op, 0) : In(op, 0));
    }

    private void QuantizedActivation(TfLiteOperator op, int activation)
    {
        var real = Temporary(OutputTensor(op).Name + "/real");
        Activation(Real(op, 0), real, activation, op);
        BindQuantized(op, real);
    }

    /// <summary>Runs <paramref name="opType"/> on real values, then the fused activation, then quantizes into the
    /// operator's output tensor.</summary>
    private void QuantizedEmit(TfLiteOperator op, string opType, Value?[] inputs, int activation, params NodeAttribute[] attributes)
    {
        var real = Temporary(OutputTensor(op).Name + "/real");
        Emit(op, opType, inputs, real, activation, attributes);
        BindQuantized(op, real);
    }

    /// <summary>The real value of the operator's input: the DequantizeLinear of an 8-bit tensor (one per tensor,
    /// or a separate one when <paramref name="scaleFactor"/> folds a constant factor into the scale), or the
    /// value itself for other types.</summary>
    private Value Real(TfLiteOperator op, int position, float scaleFactor = 1f)
    {
        var value = In(op, position);
        var tensor = TensorAt(op, position);
        if (!IsQuantized8(tensor)) return value;
        if (scaleFactor == 1f && _real.TryGetValue(tensor.Index, out var known)) return known;
        var q = tensor.Quantization!;
        if (q.IsPerChannel)
        {
            throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) reads per-channel quantized tensor '{tensor.Name}' as an activation, which is not supported", _source);
        }
        var real = Dequantized(value, tensor, q.Scale[0] * scaleFactor, scaleFactor == 1f ? "real" : "real_scaled");
        if (scaleFactor == 1f) _real[tensor.Index] = real;
        return real;
    }

    /// <summary>DequantizeLinear of a per-tensor 8-bit value with the parameters of <paramref name="like"/>.</summary>
    private Value Dequantized(Value source, TfLiteTensor like, float scale, string suffix)
    {
        var real = Temporary(source.Name + "/" + suffix);
        var zeroPoint = ZeroPoints(like)[0];
        Add("DequantizeLinear", [source, Constant(real.Name + "/scale", Tensor.Scalar(scale)),
            Constant(real.Name + "/zero_point", Tensor.FromInt64s(ElementType(like), [], [zeroPoint]))], real);
        return real;
    }

    /// <summary>QuantizeLinear of <paramref name="real"/> into the operator's output tensor, with its parameters.</summary>
    private Value BindQuantized(TfLiteOperator op, Value real, int position = 0)
    {
        var tensor = OutputTensor(op, position);
        if (!IsQuantized8(tensor)) throw new UnsupportedException($"operator {op.Index} ({OperatorName(op)}) writes {tensor.Type} tensor '{tensor.Name}' in a quantized model, which is not supported", _source);
        var output = Output(op, position);
        Quantized(real, tensor, output);
        return output;
    }

    private void Quantized(Value real, TfLiteTensor like, Value output)
    {
        var q = like.Quantization!;
        if (q.IsPerChannel) throw new UnsupportedException($"tensor '{like.Name}' is a per-channel quantized activation, which is not supported", _source);
        Add("QuantizeLinear", [real, Constant(output.Name + "/scale", Tensor.Scalar(q.Scale[0])),
            Constant(output.Name + "/zero_point", Tensor.FromInt64s(ElementType(like), [], [ZeroPoints(like)[0]]))], output);
    }

    /// <summary>Quantizes <paramref name="real"/> with the parameters of <paramref name="like"/> and dequantizes it
    /// again: an 8-bit intermediate the importer introduces (around layout transposes and reshapes), so the
    /// integer graph keeps it in 8 bits.</summary>
    private Value ThroughQuantized(Value real, TfLiteTensor like, string name)
    {
        var quantized = Temporary(name);
        Quantized(real, like, quantized);
        return Dequantized(quantized, like, like.Quantization!.Scale[0], "real");
    }

    private long[] ZeroPoints(TfLiteTensor tensor)
    {
        var q = tensor.Quantization!;
        if (q.ZeroPoint.Length == 0) return new long[q.Scale.Length];
        if (q.ZeroPoint.Length != q.Scale.Length)
        {
            throw new ModelFormatException($"tensor '{tensor.Name}' has {q.Scale.Length} scales but {q.ZeroPoint.Length} zero points", _source);
        }
        return q.ZeroPoint;
    }

    private Value ShapeConstant(int[] shape, string name) =>
        Constant(name + "/shape", Tensor.Create([shape.Length], shape.Select(d => (long)d).ToArray()));

    /// <summary>TFLite paddings [rank, 2] of (before, after) per axis as ONNX pads (all befores, then all afters).</summary>
    private static long[] OnnxPads(long[] paddings)
    {
        int rank = paddings.Length / 2;
        var pads = new long[2 * rank];
        for (int i = 0; i < rank; i++)
        {
            pads[i] = paddings[2 * i];
            pads[rank + i] = paddings[2 * i + 1];
        }
        return pads;
    }
}
