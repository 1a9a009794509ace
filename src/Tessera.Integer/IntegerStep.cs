using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Integer;

/// <summary>One step of an <see cref="IntegerProgram"/>: reads values from and writes values to an
/// <see cref="IntegerState"/>. Integer steps use integer arithmetic only; <see cref="IsFloat"/> marks the
/// boundaries (quantize, dequantize) and the float islands.</summary>
public abstract class IntegerStep(string name, string[] inputs, string[] outputs)
{
    /// <summary>The node this step came from.</summary>
    public string Name { get; } = name;

    public IReadOnlyList<string> Inputs { get; } = inputs;

    public IReadOnlyList<string> Outputs { get; } = outputs;

    /// <summary>What the step does, as shown in reports: "int.Conv", "float.Sigmoid", "quantize", ...</summary>
    public abstract string Kind { get; }

    public virtual bool IsFloat => false;

    /// <summary>The constants of the step (multipliers, shifts, zero points, table) in a short text.</summary>
    public virtual string Parameters => string.Empty;

    public abstract void Execute(IntegerState state);

    public override string ToString() => $"{Kind} {Name}: {string.Join(", ", Inputs)} -> {string.Join(", ", Outputs)} {Parameters}".TrimEnd();
}

/// <summary>Float to int8 at the edge of the integer graph (QuantizeLinear: round half to even, saturate).</summary>
public sealed class QuantizeStep(string name, string input, string output, ActivationQuantization quantization, bool unsigned)
    : IntegerStep(name, [input], [output])
{
    public override string Kind => "quantize";

    public ActivationQuantization Quantization => quantization;

    /// <summary>Whether the output is uint8 (held as int8 shifted by -128).</summary>
    public bool Unsigned => unsigned;

    public override bool IsFloat => true;

    public override string Parameters => $"scale={quantization.Scale:R} zero={quantization.ZeroPoint}";

    public override void Execute(IntegerState state)
    {
        var x = state.Get(Inputs[0]).ToFloatArray(copy: false);
        var data = new sbyte[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double q = MathF.Round(x[i] / quantization.Scale) + (double)quantization.ZeroPoint;
            data[i] = (sbyte)Math.Clamp(q, sbyte.MinValue, sbyte.MaxValue);
        }
        state.SetInt8(Outputs[0], Tensor.Create((int[])state.Get(Inputs[0]).Shape.Clone(), data), unsigned);
    }
}

/// <summary>Int8 to float at the edge of the integer graph or in front of a float island: (q - zero) * scale.</summary>
public sealed class DequantizeStep(string name, string input, string output, ActivationQuantization quantization)
    : IntegerStep(name, [input], [output])
{
    public override string Kind => "dequantize";

    public ActivationQuantization Quantization => quantization;

    public override bool IsFloat => true;

    public override string Parameters => $"scale={quantization.Scale:R} zero={quantization.ZeroPoint}";

    public override void Execute(IntegerState state)
    {
        var q = state.Int8(Inputs[0]);
        var source = q.As<sbyte>();
        var data = new float[source.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (source[i] - quantization.ZeroPoint) * quantization.Scale;
        state.Set(Outputs[0], Tensor.Create((int[])q.Shape.Clone(), data));
    }
}

/// <summary>Int8 to int8 with another scale or zero point (a DequantizeLinear -> QuantizeLinear pair).</summary>
public sealed class RequantizeStep : IntegerStep
{
    private readonly int _inputZero;
    private readonly Requantizer _requantizer;
    private readonly bool _unsigned;

    public RequantizeStep(string name, string input, string output, ActivationQuantization from, ActivationQuantization to, bool unsigned, bool onnxRuntime = false)
        : base(name, [input], [output])
    {
        _inputZero = from.ZeroPoint;
        _requantizer = Requantizer.ForValues((double)from.Scale / to.Scale, to.ZeroPoint);
        _unsigned = unsigned;
        From = from;
        To = to;
        OnnxRuntime = onnxRuntime;
    }

    public ActivationQuantization From { get; }

    public ActivationQuantization To { get; }

    /// <summary>Dequantize and quantize in float32 as ONNX Runtime's DequantizeLinear -> QuantizeLinear pair does
    /// (<see cref="IntegerKernels.RequantizeFloat"/>).</summary>
    public bool OnnxRuntime { get; }

    /// <summary>This step in ONNX Runtime's arithmetic (<see cref="OnnxRuntime"/>).</summary>
    public RequantizeStep WithOnnxRuntimeArithmetic() => OnnxRuntime ? this : new RequantizeStep(Name, Inputs[0], Outputs[0], From, To, _unsigned, onnxRuntime: true);

    public override string Kind => "int.Requantize";

    public int InputZero => _inputZero;

    public Requantizer Requantizer => _requantizer;

    public override string Parameters => $"multiplier={_requantizer.Multipliers[0]} shift={_requantizer.Shifts[0]} input_shift={_requantizer.InputShift} zero={_inputZero}->{_requantizer.ZeroPoint}";

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        state.SetInt8(Outputs[0], OnnxRuntime ? IntegerKernels.RequantizeFloat(x, From, To) : IntegerKernels.Requantize(x, _inputZero, _requantizer), _unsigned);
    }
}

/// <summary>A float island: one node run by its reference kernel on float (or original-typed) tensors.</summary>
public sealed class FloatNodeStep(Node node, long opset, Operator kernel, string reason)
    : IntegerStep(node.DisplayName, node.Inputs.Select(v => v?.Name ?? string.Empty).ToArray(), node.Outputs.Select(v => v?.Name ?? string.Empty).ToArray())
{
    public Node Node { get; } = node;

    /// <summary>The reference kernel that runs the island (its cost function counts the island's MACs).</summary>
    public Operator Kernel { get; } = kernel;

    public string Reason { get; } = reason;

    public override string Kind => "float." + Node.OpType;

    public override bool IsFloat => true;

    public override void Execute(IntegerState state)
    {
        var inputs = Inputs.Select(n => n.Length == 0 ? null : (DataValue)state.Original(n)).ToArray();
        var context = new KernelContext(Node, opset, inputs);
        Kernel.Execute(context);
        for (int i = 0; i < Outputs.Count; i++)
        {
            if (Outputs[i].Length > 0 && context.Outputs[i] is Tensor t) state.Set(Outputs[i], t);
        }
    }
}
