using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Integer;

/// <summary>Lowers a QDQ model (as ONNX Runtime's quantizer writes it) or an operator-style quantized model
/// (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger) to an <see cref="IntegerProgram"/>. A float node
/// whose activations all come from DequantizeLinear and whose result goes only to QuantizeLinear becomes one
/// integer step reading and writing the 8-bit tensors; anything else stays a float island, reported with its
/// reason. Quantization parameters must be constants; graph inputs that hold them (as in the ONNX conformance
/// models) can be bound to values with <c>bindings</c>.</summary>
public sealed partial class IntegerLowering
{
    private readonly Model _model;
    private readonly Graph _graph;
    private readonly OperatorRegistry _operators;
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dequantized> _dequantized = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Node>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<Node> _absorbed = [];
    private readonly List<IntegerStep> _steps = [];
    private readonly List<FloatIsland> _islands = [];

    /// <summary>A float value made by DequantizeLinear: its 8-bit (or int32) source and parameters. For 8-bit
    /// sources <see cref="Zero"/> is already in the int8 domain (see <see cref="ActivationQuantization"/>).</summary>
    private sealed record Dequantized(string Source, double[] Scale, int[] Zero, int Axis, bool Unsigned, Tensor? Constant)
    {
        public ActivationQuantization? Activation => Scale.Length == 1 ? new ActivationQuantization((float)Scale[0], Zero[0]) : null;
    }

    private IntegerLowering(Model model, OperatorRegistry operators, IReadOnlyDictionary<string, Tensor>? bindings)
    {
        _model = model;
        _graph = model.Graph;
        _operators = operators;
        foreach (var (name, value) in _graph.Initializers)
        {
            if (value.Constant is { } t) _constants[name] = t;
        }
        if (bindings is not null)
        {
            foreach (var (name, tensor) in bindings) _constants[name] = tensor;
        }
        foreach (var node in _graph.Nodes)
        {
            foreach (var input in node.Inputs)
            {
                if (input is null) continue;
                if (!_consumers.TryGetValue(input.Name, out var list)) _consumers[input.Name] = list = [];
                list.Add(node);
            }
        }
    }

    public static IntegerProgram Lower(Model model, IReadOnlyDictionary<string, Tensor>? bindings = null, OperatorRegistry? operators = null) =>
        new IntegerLowering(model, operators ?? OperatorRegistry.Default, bindings).Run();

    private IntegerProgram Run()
    {
        if (_graph.Nodes.Any(n => n.Subgraphs().Any())) throw new UnsupportedException("the integer executor does not run control flow (If, Loop, Scan)");
        foreach (var node in _graph.Nodes)
        {
            if (_absorbed.Contains(node)) continue;
            if (node.Outputs.All(o => o is null)) continue;
            if (node.Inputs.All(i => i is null || _constants.ContainsKey(i.Name)) && node.OpType != "DequantizeLinear")
            {
                FoldConstant(node);
                continue;
            }
            string? reason = node.Domain.Length > 0 ? $"domain '{node.Domain}' is not lowered" : node.OpType switch
            {
                "DequantizeLinear" => LowerDequantize(node),
                "QuantizeLinear" => LowerQuantize(node),
                "QLinearConv" or "ConvInteger" => LowerOperatorConvolution(node),
                "QLinearMatMul" or "MatMulInteger" => LowerOperatorMatMul(node),
                _ => LowerQdq(node),
            };
            if (reason is not null) AddIsland(node, reason);
        }
        var outputs = _graph.Outputs.Select(v => v.Name).ToList();
        var integerOutputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in outputs)
        {
            if (_dequantized.TryGetValue(name, out var d) && d.Constant is null) integerOutputs[name] = d.Source;
        }
        var steps = Prune(outputs.Concat(integerOutputs.Values));
        var inputs = _graph.Inputs.Where(v => v.Constant is null && !_constants.ContainsKey(v.Name)).Select(v => v.Name).ToList();
        var used = new HashSet<string>(steps.SelectMany(s => s.Inputs).Concat(outputs), StringComparer.Ordinal);
        var constants = _constants.Where(c => used.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var islandNodes = new HashSet<string>(steps.OfType<FloatNodeStep>().Select(s => s.Name), StringComparer.Ordinal);
        var islands = _islands.Where(i => islandNodes.Contains(i.Node)).ToList();
        return new IntegerProgram(steps, islands, constants, inputs, outputs, integerOutputs);
    }

    /// <summary>Keeps the steps some wanted value depends on (a DequantizeLinear whose only readers were lowered
    /// to integer steps disappears here).</summary>
    private List<IntegerStep> Prune(IEnumerable<string> wanted)
    {
        var needed = new HashSet<string>(wanted, StringComparer.Ordinal);
        var kept = new List<IntegerStep>();
        for (int i = _steps.Count - 1; i >= 0; i--)
        {
            var step = _steps[i];
            if (!step.Outputs.Any(needed.Contains)) continue;
            kept.Add(step);
            foreach (var input in step.Inputs) needed.Add(input);
        }
        kept.Reverse();
        return kept;
    }

    private long Opset(Node node) => _model.OpsetOf(node.Domain) is var v && v > 0 ? v : 21;

    private Tensor? ConstantOf(Value? value) => value is not null && _constants.TryGetValue(value.Name, out var t) ? t : null;

    private void FoldConstant(Node node)
    {
        var kernel = _operators.Get(node);
        var context = new KernelContext(node, Opset(node), node.Inputs.Select(v => v is null ? null : (DataValue)_constants[v.Name]).ToArray());
        kernel.Execute(context);
        for (int i = 0; i < node.Outputs.Count; i++)
        {
            if (node.Outputs[i] is { } output && context.Outputs[i] is Tensor t) _constants[output.Name] = t;
        }
    }

    private void AddIsland(Node node, string reason)
    {
        if (!_operators.TryGet(Node.NormalizeDomain(node.Domain), node.OpType, out var kernel))
        {
            throw new UnsupportedException($"{node.OpType} can neither be lowered to integers ({reason}) nor run as a float island (no reference kernel)", node.DisplayName);
        }
        _steps.Add(new FloatNodeStep(node, Opset(node), kernel, reason));
        _islands.Add(new FloatIsland(node.DisplayName, node.OpType, reason));
    }

    private string? LowerDequantize(Node node)
    {
        var scale = ConstantOf(node.Input(1));
        var zero = ConstantOf(node.Input(2));
        if (scale is null || node.Input(2) is not null && zero is null) return "the scale or zero point is not a constant";
        var x = node.Input(0)!;
        var constant = ConstantOf(x);
        var elementType = constant?.DataType ?? zero?.DataType ?? x.TensorType?.ElementType ?? DataType.UInt8;
        bool unsigned = elementType == DataType.UInt8;
        int offset = unsigned ? 128 : 0;
        int axis = (int)(node.Attribute("axis")?.Value as long? ?? 1);
        var zeros = zero is null ? new int[scale.Length] : Enumerable.Range(0, zero.Length).Select(i => (int)zero.GetInt64(i) - offset).ToArray();
        var dequantized = new Dequantized(x.Name, scale.ToDoubleArray(), zeros, axis, unsigned, constant);
        var output = node.Output(0)!;
        _dequantized[output.Name] = dequantized;
        if (constant is not null)
        {
            FoldConstant(node);
            return null;
        }
        if (elementType is not (DataType.Int8 or DataType.UInt8) || dequantized.Activation is not { } activation)
        {
            return "only per-tensor int8/uint8 activations are dequantized by the integer graph";
        }
        _steps.Add(new DequantizeStep(node.DisplayName, x.Name, output.Name, activation));
        return null;
    }

    private string? LowerQuantize(Node node)
    {
        if (OutputQuantization(node) is not var (quantization, unsigned)) return "the scale or zero point is not a per-tensor int8/uint8 constant";
        var input = node.Input(0)!;
        var output = node.Output(0)!.Name;
        if (_dequantized.TryGetValue(input.Name, out var d) && d.Constant is null && d.Activation is { } from)
        {
            _steps.Add(new RequantizeStep(node.DisplayName, d.Source, output, from, quantization, unsigned));
            return null;
        }
        _steps.Add(new QuantizeStep(node.DisplayName, input.Name, output, quantization, unsigned));
        return null;
    }

    /// <summary>The per-tensor int8/uint8 parameters a QuantizeLinear node writes, with the zero point in the int8
    /// domain; null for other forms (per-axis, 16-bit, non-constant).</summary>
    private (ActivationQuantization Quantization, bool Unsigned)? OutputQuantization(Node quantize)
    {
        var scale = ConstantOf(quantize.Input(1));
        var zero = ConstantOf(quantize.Input(2));
        if (scale is not { Length: 1 } || quantize.Input(2) is not null && zero is not { Length: 1 }) return null;
        if (quantize.Attribute("output_dtype")?.Value is long code && code != 0 && (DataType)code is not (DataType.Int8 or DataType.UInt8)) return null;
        var type = zero?.DataType ?? (quantize.Attribute("output_dtype")?.Value is long c && c != 0 ? (DataType)c : DataType.UInt8);
        if (type is not (DataType.Int8 or DataType.UInt8)) return null;
        bool unsigned = type == DataType.UInt8;
        float s = (float)scale.GetDouble(0);
        if (!(s > 0) || float.IsInfinity(s)) return null;
        return (new ActivationQuantization(s, (int)(zero?.GetInt64(0) ?? 0) - (unsigned ? 128 : 0)), unsigned);
    }
}
