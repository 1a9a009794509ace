using Tessera.Core;
using Tessera.Passes;

namespace Tessera.Quantization;

/// <summary>Rewrites a float model into ONNX QDQ form, the format ONNX Runtime's quantizer writes: every
/// quantized activation passes through QuantizeLinear -> DequantizeLinear (int8, scalar scale and zero
/// point); weights become int8 initializers read through DequantizeLinear (symmetric, per output channel
/// by default: axis 0 for Conv and Gemm with transB=1, axis 1 for ConvTranspose, MatMul and Gemm with
/// transB=0); biases become int32 initializers with scale input_scale * weight_scale and zero point 0.</summary>
public sealed class QdqRewriter
{
    /// <summary>Ops rewritten with QDQ around them; everything else stays float.</summary>
    public static readonly IReadOnlySet<string> QuantizableOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
        "Concat", "Relu", "Clip", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
    };

    private readonly Model _model;
    private readonly Graph _graph;
    private readonly IReadOnlyDictionary<string, TensorObserver> _observers;
    private readonly QuantizationOptions _options;
    private readonly Dictionary<Value, (Value Dequantized, QuantizationParameters Parameters)> _activations = new();
    private readonly Dictionary<Value, (Value Dequantized, float[] Scales)> _weights = new();
    private readonly HashSet<Value> _dequantized = [];

    /// <summary>Dequantized values of int16 activations (<see cref="QuantizationOptions.Int16Tensors"/>).</summary>
    private readonly HashSet<Value> _wide = [];

    /// <summary>Outputs whose only reader is a quantized Relu or Clip: the integer op applies the activation
    /// before requantizing (as ONNX Runtime fuses them), so only the activation's output gets Q/DQ.</summary>
    private readonly HashSet<Value> _fused = [];
    private readonly HashSet<string> _names;

    /// <summary>Outputs of MAC layers that only float ops or the model's outputs read (see
    /// <see cref="QuantizationOptions.Int32Outputs"/>): no Q/DQ after them, the accumulator is dequantized.</summary>
    private readonly HashSet<Value> _accumulatorOutputs = [];

    private readonly IReadOnlyDictionary<string, long>? _macs;

    private QdqRewriter(Model model, IReadOnlyDictionary<string, TensorObserver> observers, QuantizationOptions options, IReadOnlyDictionary<string, long>? macs)
    {
        _macs = macs;
        _model = model;
        _graph = model.Graph;
        _observers = observers;
        _options = options;
        _names = _graph.AllValues().Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Rewrites <paramref name="model"/> (optimized, standard ONNX, opset 13 or later) in place.</summary>
    public static QuantizationReport Rewrite(Model model, IReadOnlyDictionary<string, TensorObserver> observers, QuantizationOptions options, IReadOnlyDictionary<string, long>? macs = null)
    {
        if (model.OpsetOf(string.Empty) < 13) throw new UnsupportedException($"QDQ needs opset 13 or later, the model has {model.OpsetOf(string.Empty)}", "quantize", "upgrade the opset first (OpsetUpgrade)");
        return new QdqRewriter(model, observers, options, macs).Run();
    }

    private QuantizationReport Run()
    {
        var quantized = new List<Node>();
        var kept = new List<FloatNode>();
        foreach (var node in _graph.Nodes.ToList())
        {
            var reason = WhyFloat(node);
            if (reason is null) quantized.Add(node);
            else if (node.OpType != "Constant") kept.Add(new FloatNode(node.Name, node.OpType, reason, Macs(node)));
        }
        long total = _graph.Nodes.Sum(n => Macs(n));
        long int8 = quantized.Sum(n => Macs(n));
        var quantizedSet = quantized.ToHashSet();
        foreach (var node in quantized)
        {
            if (node.OpType is not ("Conv" or "ConvTranspose" or "Gemm" or "MatMul" or "Add") || node.Output(0) is not { } output) continue;
            var consumers = _graph.Consumers(output);
            if (consumers.Count == 1 && consumers[0].OpType is "Relu" or "Clip" && quantizedSet.Contains(consumers[0]) && !_graph.Outputs.Contains(output)) _fused.Add(output);
            if (_options.Int32Outputs && node.OpType is not "Add" && OnlyReadInFloat(output, quantizedSet)) _accumulatorOutputs.Add(output);
        }
        foreach (var node in quantized)
        {
            foreach (var input in ActivationInputs(node).ToList()) QuantizeActivation(input);
            foreach (var output in node.Outputs.ToList()) if (output is not null) QuantizeActivation(output);
        }
        foreach (var node in quantized) QuantizeConstants(node);
        _graph.SortTopologically();
        var byOp = quantized.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        long wideMacs = quantized.Where(n => n.Inputs.Any(i => i is not null && _wide.Contains(i))).Sum(n => Macs(n));
        return new QuantizationReport(byOp, kept, quantized.Select(n => n.Name).ToList(), int8, total, _activations.Count)
        {
            Int16ActivationMacs = wideMacs,
            Int16Tensors = _wide.Count,
        };
    }

    /// <summary>True when no quantized node reads <paramref name="value"/>: it is a model output or read only by ops
    /// that stay float (Reshape/Transpose to the output, a float Softmax), so an int8 step would only add error.</summary>
    private bool OnlyReadInFloat(Value value, HashSet<Node> quantized) =>
        _graph.Consumers(value) is var consumers && (consumers.Count > 0 || _graph.Outputs.Contains(value)) && consumers.All(c => !quantized.Contains(c));

    /// <summary>MACs from the concrete-shape count when given (dynamic models have none in the IR).</summary>
    private long Macs(Node node) => _macs is not null ? _macs.GetValueOrDefault(node.Name) : CostAnalysis.Layer(node).Macs;

    /// <summary>Null when the node can be quantized, else the reason it stays float.</summary>
    private string? WhyFloat(Node node)
    {
        if (node.Domain.Length != 0) return $"custom op {node.Domain}.{node.OpType}";
        if (!QuantizableOps.Contains(node.OpType)) return "no int8 form in QDQ";
        if (_options.KeepFloat.Contains(node.Name)) return "kept float by fallback";
        foreach (var input in ActivationInputs(node))
        {
            if (!IsFloat(input)) return "input is not float32";
            if (!_observers.ContainsKey(input.Name)) return $"input '{input.Name}' was not seen in calibration";
        }
        foreach (var output in node.Outputs)
        {
            if (output is null) continue;
            if (!_observers.ContainsKey(output.Name)) return $"output '{output.Name}' was not seen in calibration";
        }
        if (node.OpType is "Conv" or "ConvTranspose" && node.Input(1)?.Constant is not { DataType: DataType.Float32 }) return "weight is not a float32 constant";
        return null;
    }

    /// <summary>Calibration observed the value as float; a declared element type other than float32 (float16 models) rules it out.</summary>
    private static bool IsFloat(Value value) => (value.Constant?.DataType ?? value.TensorType?.ElementType ?? DataType.Float32) == DataType.Float32;

    /// <summary>The non-constant inputs carrying the op's data (Clip's bounds and pooling have one).</summary>
    private static IEnumerable<Value> ActivationInputs(Node node)
    {
        var inputs = node.OpType switch
        {
            "Conv" or "ConvTranspose" or "Clip" or "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool"
                or "Relu" or "LeakyRelu" or "Sigmoid" or "HardSigmoid" or "HardSwish" or "Tanh" or "PRelu" => node.Inputs.Take(1),
            "Gemm" => node.Inputs.Take(2),
            _ => node.Inputs,
        };
        return inputs.Where(v => v is not null && v.Constant is null).Select(v => v!).Distinct();
    }

    private string Unique(string name)
    {
        var candidate = name;
        for (int i = 1; !_names.Add(candidate); i++) candidate = $"{name}_{i}";
        return candidate;
    }

    private Value Constant(string name, Tensor tensor) => _graph.AddInitializer(Unique(name), tensor);

    /// <summary>Q -> DQ after the tensor. A node output keeps its name on the DequantizeLinear's output (so
    /// graph outputs and later layers see the same names); the float value becomes NAME_float.</summary>
    private void QuantizeActivation(Value value)
    {
        if (_activations.ContainsKey(value) || _dequantized.Contains(value) || _fused.Contains(value) || _accumulatorOutputs.Contains(value)) return;
        var (min, max) = RangeSelection.Select(_observers[value.Name], _options.Method, _options.Percentile);
        var name = value.Name;
        bool wide = _options.Int16Tensors.Contains(name);
        // int16 (W8A16): the same range in 65,536 levels; the zero point's type makes Q/DQ int16.
        var (scaleValue, zeroPointTensor, elementType) = wide ? Int16Parameters(min, max, _options.Symmetric) : Int8Parameters(min, max, _options.Symmetric);
        // The rewrite reads only the scale back (bias scale = input scale x weight scale); int16 keeps its own zero point tensor.
        var parameters = wide ? new QuantizationParameters(scaleValue, 0) : QuantizationParameters.FromRange(min, max, _options.Symmetric);
        var producer = value.Producer;
        bool isInput = producer is null;
        var dequantized = new Value(isInput ? Unique(name + "_dequantized") : name, value.Type);
        if (!isInput)
        {
            _names.Remove(name);
            value.Name = Unique(name + "_float");
            _names.Add(name);
        }
        _graph.ReplaceAllUses(value, dequantized);
        var scale = Constant(name + "_scale", Tensor.Scalar(scaleValue));
        var zeroPoint = Constant(name + "_zero_point", zeroPointTensor);
        var quantizedValue = new Value(Unique(name + "_quantized"), new TensorType(elementType, value.TensorType?.Shape));
        var domain = wide ? WideDomain() : string.Empty;
        var quantize = new Node("QuantizeLinear", [value, scale, zeroPoint], [quantizedValue], domain, Unique(name + "_QuantizeLinear"));
        var dequantize = new Node("DequantizeLinear", [quantizedValue, scale, zeroPoint], [dequantized], domain, Unique(name + "_DequantizeLinear"));
        int at = producer is null ? 0 : _graph.Nodes.IndexOf(producer) + 1;
        _graph.Nodes.InsertRange(at, [quantize, dequantize]);
        _activations[value] = (dequantized, parameters);
        _dequantized.Add(dequantized);
        if (wide) _wide.Add(dequantized);
    }

    /// <summary>The domain of an int16 Q/DQ pair: ONNX QuantizeLinear/DequantizeLinear take int16 from opset 21; below
    /// that the pair is written as ONNX Runtime's com.microsoft QuantizeLinear/DequantizeLinear (same inputs and
    /// arithmetic, int16 allowed), so the file stays a valid model that ONNX Runtime loads.</summary>
    private string WideDomain()
    {
        if (_model.OpsetOf(string.Empty) >= 21) return string.Empty;
        _model.Opsets.TryAdd(MicrosoftDomain, 1);
        return MicrosoftDomain;
    }

    private const string MicrosoftDomain = "com.microsoft";

    private static (float Scale, Tensor ZeroPoint, DataType Type) Int8Parameters(double min, double max, bool symmetric)
    {
        var p = QuantizationParameters.FromRange(min, max, symmetric);
        return (p.Scale, Tensor.Scalar(p.ZeroPoint), DataType.Int8);
    }

    /// <summary>int16 parameters covering [min, max] widened to include 0: symmetric max|x|/32767 with zero point 0,
    /// else the 65,536 levels span the range.</summary>
    internal static (float Scale, Tensor ZeroPoint, DataType Type) Int16Parameters(double min, double max, bool symmetric)
    {
        min = System.Math.Min(min, 0);
        max = System.Math.Max(max, 0);
        if (symmetric || max - min <= 0)
        {
            double bound = System.Math.Max(-min, max);
            return (bound > 0 ? (float)(bound / 32767) : 1f, Tensor.Scalar((short)0), DataType.Int16);
        }
        float scale = (float)((max - min) / 65535);
        double zero = System.Math.Round(-32768 - min / scale, MidpointRounding.ToEven);
        return (scale, Tensor.Scalar((short)System.Math.Clamp(zero, short.MinValue, short.MaxValue)), DataType.Int16);
    }

    private (Value Dequantized, QuantizationParameters Parameters)? ActivationOf(Value? dequantized)
    {
        foreach (var (_, entry) in _activations) if (entry.Dequantized == dequantized) return entry;
        return null;
    }

    private void QuantizeConstants(Node node)
    {
        switch (node.OpType)
        {
            case "Conv":
                QuantizeWeight(node, 1, _options.PerChannel ? 0 : null, biasIndex: 2);
                QuantizeBias(node, 2, 0, 1);
                break;
            case "ConvTranspose":
            {
                // With groups, axis 1 holds Cout/group channels, which do not line up with the bias.
                bool grouped = node.Attribute("group")?.Value is long g && g > 1;
                QuantizeWeight(node, 1, _options.PerChannel && !grouped ? 1 : null, biasIndex: 2);
                QuantizeBias(node, 2, 0, 1);
                break;
            }
            case "Gemm":
            {
                bool transposed = node.Attribute("transB")?.Value is long t && t != 0;
                if (node.Input(1)?.Constant is not null) QuantizeWeight(node, 1, _options.PerChannel ? (transposed ? 0 : 1) : null, biasIndex: 2);
                if (node.Input(0)?.Constant is not null) QuantizeWeight(node, 0, null);
                if (node.Input(2)?.Constant is { } c && c.Rank >= 1 && c.Shape[^1] == c.Length) QuantizeBias(node, 2, c.Rank - 1, 1);
                else if (node.Input(2)?.Constant is not null) QuantizeWeight(node, 2, null);
                break;
            }
            case "MatMul":
                for (int i = 0; i < 2; i++)
                {
                    if (node.Input(i)?.Constant is not { } w) continue;
                    QuantizeWeight(node, i, _options.PerChannel && i == 1 && w.Rank == 2 ? 1 : null);
                }
                break;
            default:
                // Constant operands of Add, Mul, Concat, PRelu: per-tensor symmetric int8.
                if (node.OpType is "Clip") break;
                for (int i = 0; i < node.Inputs.Count; i++)
                {
                    if (node.Inputs[i]?.Constant is { DataType: DataType.Float32 }) QuantizeWeight(node, i, null);
                }
                break;
        }
    }

    /// <summary>Symmetric int8 weight (zero point 0, levels -127..127) read through DequantizeLinear; per
    /// channel along <paramref name="axis"/> or per tensor when it is null. With <paramref name="biasIndex"/>,
    /// a channel's scale is raised where needed so its int32 bias plus every possible sum of products still
    /// fits the 32-bit accumulator (see <see cref="BiasScaleFloor"/>).</summary>
    private void QuantizeWeight(Node node, int index, int? axis, int? biasIndex = null)
    {
        var weight = node.Input(index)!;
        if (weight.Constant is not { DataType: DataType.Float32 } tensor) return;
        if (_weights.TryGetValue(weight, out var done))
        {
            node.SetInput(index, done.Dequantized);
            return;
        }
        var values = tensor.As<float>();
        int channels = axis is { } a ? tensor.Shape[a] : 1;
        int inner = axis is { } b ? tensor.Shape.Skip(b + 1).Aggregate(1, (x, y) => x * y) : values.Length;
        var scales = new float[channels];
        for (int i = 0; i < values.Length; i++)
        {
            int c = i / inner % channels;
            scales[c] = System.Math.Max(scales[c], System.Math.Abs(values[i]));
        }
        for (int c = 0; c < channels; c++) scales[c] = scales[c] > 0 ? scales[c] / 127 : 1f;
        if (biasIndex is { } bi) RaiseForBias(node, bi, scales, values.Length);
        var quantized = new sbyte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            quantized[i] = (sbyte)System.Math.Clamp(System.Math.Round(values[i] / scales[i / inner % channels], MidpointRounding.ToEven), -127, 127);
        }
        if (node.OpType == "Conv" && index == 1 && _options.WeightRounding.TryGetValue(node.Name, out var patches)) RoundAdaptively(values, scales, axis, tensor.Shape[0], patches, quantized);
        var name = weight.Name;
        var q = Constant(name + "_quantized", Tensor.Create((int[])tensor.Shape.Clone(), quantized));
        var scale = Constant(name + "_scale", axis is null ? Tensor.Scalar(scales[0]) : Tensor.Create([channels], scales));
        var zero = Constant(name + "_zero_point", axis is null ? Tensor.Scalar((sbyte)0) : Tensor.Create([channels], new sbyte[channels]));
        var dequantized = new Value(Unique(name + "_dequantized"), new TensorType(DataType.Float32, TensorShape.FromConcrete(tensor.Shape)));
        var dq = new Node("DequantizeLinear", [q, scale, zero], [dequantized], string.Empty, Unique(name + "_DequantizeLinear"));
        if (axis is { } axisValue) dq.SetAttribute(NodeAttribute.Int("axis", axisValue));
        _graph.Nodes.Insert(0, dq);
        node.SetInput(index, dequantized);
        _weights[weight] = (dequantized, scales);
        if (!_graph.Nodes.Any(n => n.Inputs.Contains(weight)) && !_graph.Outputs.Contains(weight)) _graph.Initializers.Remove(weight.Name);
    }

    /// <summary>Replaces nearest rounding of a Conv weight [Cout, Cin/group, taps...] by <see cref="AdaptiveRounding"/>'s,
    /// output channel by output channel, when the statistics match the weight's layout.</summary>
    private static void RoundAdaptively(float[] values, float[] scales, int? axis, int rows, PatchStatistics patches, sbyte[] quantized)
    {
        if (rows == 0 || values.Length % rows != 0 || values.Length / rows != patches.Patch || rows % patches.Groups != 0) return;
        int patch = patches.Patch, perGroup = rows / patches.Groups;
        var scaled = new float[patch];
        for (int r = 0; r < rows; r++)
        {
            float scale = scales[axis is null ? 0 : r];
            for (int k = 0; k < patch; k++) scaled[k] = values[r * patch + k] / scale;
            AdaptiveRounding.Round(scaled, patches, r / perGroup).CopyTo(quantized, r * patch);
        }
    }

    /// <summary>A channel whose weights are tiny next to its bias gets a weight scale so small that the bias,
    /// divided by input_scale * weight_scale, leaves int32 (saturating it would change the result, and the
    /// integer executor would reject the overflowing sum). The scale is raised to |bias| / (input_scale x
    /// limit), where limit leaves room for the largest sum of K products of |x - zx| <= 255 and |w| <= 127;
    /// the weights of that channel then use fewer levels, which costs nothing measurable because they are
    /// negligible next to the bias.</summary>
    private void RaiseForBias(Node node, int biasIndex, float[] scales, int weightCount)
    {
        if (node.Input(biasIndex)?.Constant is not { DataType: DataType.Float32 } bias || ActivationOf(node.Input(0)) is not { } input) return;
        var values = BiasValues(node, bias);
        if (values.Length == 0 || (scales.Length > 1 && values.Length != scales.Length)) return;
        double depth = (double)weightCount / values.Length;
        double levels = node.Input(0) is { } x && _wide.Contains(x) ? 65535 : 255;
        double limit = int.MaxValue - depth * 127 * levels;
        if (limit <= 0) return;
        for (int i = 0; i < values.Length; i++)
        {
            int c = scales.Length == 1 ? 0 : i;
            scales[c] = System.Math.Max(scales[c], BiasScaleFloor(values[i], input.Parameters.Scale, limit));
        }
    }

    /// <summary>The float bias less the node's correction (<see cref="QuantizationOptions.BiasCorrections"/>), if any.</summary>
    private float[] BiasValues(Node node, Tensor bias)
    {
        var values = bias.As<float>();
        if (!_options.BiasCorrections.TryGetValue(node.Name, out var correction) || correction.Length != values.Length) return values;
        return values.Select((v, i) => v - correction[i]).ToArray();
    }

    /// <summary>The smallest weight scale for which bias / (input_scale x weight_scale) stays within limit.</summary>
    internal static float BiasScaleFloor(float bias, float inputScale, double limit)
    {
        double floor = System.Math.Abs((double)bias) / (inputScale * limit);
        // Rounded up to the next float so the quotient never exceeds the limit by rounding.
        return floor == 0 ? 0f : MathF.BitIncrement((float)floor);
    }

    /// <summary>int32 bias with scale input_scale * weight_scale[c] and zero point 0, so the integer
    /// accumulator adds it without rescaling.</summary>
    private void QuantizeBias(Node node, int index, int axis, int weightIndex)
    {
        var bias = node.Input(index);
        if (bias?.Constant is not { DataType: DataType.Float32 } tensor) return;
        var input = ActivationOf(node.Input(0));
        var weight = node.Input(weightIndex) is { } w ? _weights.Values.FirstOrDefault(e => e.Dequantized == w) : default;
        if (input is null || weight.Scales is null) return;
        var weightScales = weight.Scales;
        bool perChannel = weightScales.Length > 1;
        int channels = perChannel ? weightScales.Length : 1;
        if (perChannel && tensor.Length != channels) return;
        var scales = new float[channels];
        for (int c = 0; c < channels; c++) scales[c] = input.Value.Parameters.Scale * weightScales[c];
        var values = BiasValues(node, tensor);
        var quantized = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float s = scales[perChannel ? i : 0];
            quantized[i] = (int)System.Math.Clamp(System.Math.Round(values[i] / s, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        }
        var name = bias.Name;
        var q = Constant(name + "_quantized", Tensor.Create((int[])tensor.Shape.Clone(), quantized));
        var scale = Constant(name + "_scale", perChannel ? Tensor.Create([channels], scales) : Tensor.Scalar(scales[0]));
        var zero = Constant(name + "_zero_point", perChannel ? Tensor.Create([channels], new int[channels]) : Tensor.Scalar(0));
        var dequantized = new Value(Unique(name + "_dequantized"), new TensorType(DataType.Float32, TensorShape.FromConcrete(tensor.Shape)));
        var dq = new Node("DequantizeLinear", [q, scale, zero], [dequantized], string.Empty, Unique(name + "_DequantizeLinear"));
        if (perChannel) dq.SetAttribute(NodeAttribute.Int("axis", axis));
        _graph.Nodes.Insert(0, dq);
        node.SetInput(index, dequantized);
        if (!_graph.Nodes.Any(n => n.Inputs.Contains(bias)) && !_graph.Outputs.Contains(bias)) _graph.Initializers.Remove(bias.Name);
    }
}
