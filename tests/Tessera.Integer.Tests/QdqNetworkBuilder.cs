using Tessera.Core;

namespace Tessera.Integer.Tests;

/// <summary>Test scaffolding (not the product quantizer): builds a small network twice from the same description,
/// first in float to calibrate (min/max of every activation), then as a QDQ model laid out as ONNX Runtime's
/// quantizer writes it: int8 weights with per-channel scales, int32 biases at input scale x weight scale,
/// activations as QuantizeLinear -> DequantizeLinear pairs. Weights come from a seeded generator, so both
/// passes see the same network.</summary>
public sealed class QdqNetworkBuilder
{
    private readonly Graph _graph = new() { Name = "qdq" };
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, (float Minimum, float Maximum)>? _ranges;
    private readonly Random _random;
    private readonly bool _unsigned;
    private int _counter;

    public QdqNetworkBuilder(int seed, IReadOnlyDictionary<string, (float Minimum, float Maximum)>? ranges, bool unsigned = false)
    {
        _random = new Random(seed);
        _ranges = ranges;
        _unsigned = unsigned;
    }

    private bool Quantized => _ranges is not null;

    /// <summary>Names of the int8 values the QDQ model also exposes as outputs (the tensors before the final
    /// DequantizeLinear), by float output name.</summary>
    public Dictionary<string, string> IntegerOutputs { get; } = new(StringComparer.Ordinal);

    public Model Build()
    {
        var model = new Model(_graph);
        model.Opsets[""] = 21;
        return model;
    }

    private Value Get(string name) => _values.TryGetValue(name, out var v) ? v : _values[name] = new Value(name);

    private void Node(string op, string[] inputs, string output, params NodeAttribute[] attributes)
    {
        var node = _graph.AddNode(op, inputs.Select(i => i.Length == 0 ? null : Get(i)), [Get(output)], name: output + "_" + op);
        foreach (var a in attributes) node.SetAttribute(a);
    }

    private string Constant(string name, Tensor tensor)
    {
        _values[name] = _graph.AddInitializer(name, tensor);
        return name;
    }

    private string Fresh() => "v" + _counter++;

    public (float Scale, long Zero) ActivationParameters(string name)
    {
        var (low, high) = _ranges![name];
        low = Math.Min(low, 0);
        high = Math.Max(high, 0);
        float scale = Math.Max(high - low, 1e-6f) / 255f;
        long zero = (long)Math.Round((_unsigned ? 0 : -128) - low / scale);
        return (scale, Math.Clamp(zero, _unsigned ? 0 : -128, _unsigned ? 255 : 127));
    }

    /// <summary>Adds QuantizeLinear -> DequantizeLinear after a float activation; returns the float name readers use.</summary>
    private string QuantizeActivation(string name)
    {
        if (!Quantized) return name;
        var (scale, zero) = ActivationParameters(name);
        string s = Constant(name + "_scale", Tensor.Scalar(scale));
        string z = Constant(name + "_zero", _unsigned ? Tensor.Scalar((byte)zero) : Tensor.Scalar((sbyte)zero));
        Node("QuantizeLinear", [name, s, z], name + "_q");
        Node("DequantizeLinear", [name + "_q", s, z], name + "_dq");
        return name + "_dq";
    }

    public string Input(string name, int[] shape)
    {
        var value = Get(name);
        value.Type = new TensorType(DataType.Float32, TensorShape.FromConcrete(shape));
        _graph.Inputs.Add(value);
        return QuantizeActivation(name);
    }

    public void Output(string x)
    {
        // x is a dequantized activation "vN_dq" (or the float "vN" in the calibration pass).
        var value = Get(x);
        value.Type = new TensorType(DataType.Float32, null);
        _graph.Outputs.Add(value);
        if (!Quantized) return;
        string integer = x[..^3] + "_q";
        var q = Get(integer);
        q.Type = new TensorType(_unsigned ? DataType.UInt8 : DataType.Int8, null);
        _graph.Outputs.Add(q);
        IntegerOutputs[x] = integer;
    }

    private float[] RandomValues(int count, double range) =>
        Enumerable.Range(0, count).Select(_ => (float)((_random.NextDouble() * 2 - 1) * range)).ToArray();

    /// <summary>A weight tensor: float in calibration, int8 with per-channel (axis) symmetric scales behind a
    /// DequantizeLinear in the QDQ model.</summary>
    private string Weight(string name, int[] shape, int axis, double range)
    {
        var values = RandomValues((int)ShapeMath.ElementCount(shape), range);
        if (!Quantized) return Constant(name, Tensor.Create(shape, values));
        int channels = shape[axis];
        int inner = (int)ShapeMath.ElementCount(shape.AsSpan(axis + 1));
        var scales = new float[channels];
        for (int i = 0; i < values.Length; i++) scales[i / inner % channels] = Math.Max(scales[i / inner % channels], Math.Abs(values[i]) / 127f);
        var q = new sbyte[values.Length];
        for (int i = 0; i < values.Length; i++) q[i] = (sbyte)Math.Clamp(Math.Round(values[i] / scales[i / inner % channels]), -127, 127);
        Constant(name + "_int8", Tensor.Create(shape, q));
        Constant(name + "_scale", Tensor.Create([channels], scales));
        Constant(name + "_zero", Tensor.Create([channels], new sbyte[channels]));
        Node("DequantizeLinear", [name + "_int8", name + "_scale", name + "_zero"], name, NodeAttribute.Int("axis", axis));
        WeightScales[name] = scales;
        return name;
    }

    private Dictionary<string, float[]> WeightScales { get; } = new(StringComparer.Ordinal);

    /// <summary>A bias: float in calibration; int32 at scale input x weight[c] behind a DequantizeLinear.</summary>
    private string Bias(string name, int channels, string input, string weight)
    {
        var values = RandomValues(channels, 0.2);
        if (!Quantized) return Constant(name, Tensor.Create([channels], values));
        float inputScale = ActivationParameters(input[..^3]).Scale;
        var scales = WeightScales[weight].Select(s => inputScale * s).ToArray();
        var q = values.Select((v, c) => (int)Math.Round(v / scales[c])).ToArray();
        Constant(name + "_int32", Tensor.Create([channels], q));
        Constant(name + "_scale", Tensor.Create([channels], scales));
        Constant(name + "_zero", Tensor.Create([channels], new int[channels]));
        Node("DequantizeLinear", [name + "_int32", name + "_scale", name + "_zero"], name, NodeAttribute.Int("axis", 0));
        return name;
    }

    public string Conv(string x, int inChannels, int outChannels, int kernel, int stride = 1, int pad = 0, int group = 1, int dilation = 1, string? activation = null)
    {
        string y = Fresh();
        string w = Weight(y + "_w", [outChannels, inChannels / group, kernel, kernel], 0, 0.5);
        string b = Bias(y + "_b", outChannels, x, w);
        string convolved = activation is null ? y : y + "_pre";
        Node("Conv", [x, w, b], convolved, NodeAttribute.Ints("strides", [stride, stride]), NodeAttribute.Ints("pads", [pad, pad, pad, pad]),
            NodeAttribute.Int("group", group), NodeAttribute.Ints("dilations", [dilation, dilation]));
        if (activation is not null) Node(activation, [convolved], y);
        return QuantizeActivation(y);
    }

    /// <summary>ConvTranspose with weights [in][out][k][k] quantized per output channel (axis 1), as ONNX Runtime's
    /// quantizer does.</summary>
    public string ConvTranspose(string x, int inChannels, int outChannels, int kernel, int stride, int pad = 0, int outputPadding = 0, string? activation = null)
    {
        string y = Fresh();
        string w = Weight(y + "_w", [inChannels, outChannels, kernel, kernel], 1, 0.5);
        string b = Bias(y + "_b", outChannels, x, w);
        string convolved = activation is null ? y : y + "_pre";
        Node("ConvTranspose", [x, w, b], convolved, NodeAttribute.Ints("strides", [stride, stride]), NodeAttribute.Ints("pads", [pad, pad, pad, pad]),
            NodeAttribute.Ints("output_padding", [outputPadding, outputPadding]));
        if (activation is not null) Node(activation, [convolved], y);
        return QuantizeActivation(y);
    }

    public string Gemm(string x, int inFeatures, int outFeatures)
    {
        string y = Fresh();
        string w = Weight(y + "_w", [outFeatures, inFeatures], 0, 0.3);
        string b = Bias(y + "_b", outFeatures, x, w);
        Node("Gemm", [x, w, b], y, NodeAttribute.Int("transB", 1));
        return QuantizeActivation(y);
    }

    public string MatMul(string x, int inFeatures, int outFeatures)
    {
        string y = Fresh();
        string w = Weight(y + "_w", [inFeatures, outFeatures], 1, 0.3);
        Node("MatMul", [x, w], y);
        return QuantizeActivation(y);
    }

    /// <summary>Any op whose inputs are activations and whose attributes are given.</summary>
    public string Op(string op, string[] inputs, params NodeAttribute[] attributes)
    {
        string y = Fresh();
        Node(op, inputs, y, attributes);
        return QuantizeActivation(y);
    }

    /// <summary>An op with constant extra inputs (Reshape's shape, Pad's pads), not quantized.</summary>
    public string OpWithConstants(string op, string x, Tensor[] constants, params NodeAttribute[] attributes)
    {
        string y = Fresh();
        var names = constants.Select((c, i) => Constant($"{y}_c{i}", c)).ToArray();
        Node(op, [x, .. names], y, attributes);
        return QuantizeActivation(y);
    }
}
