using Tessera.Core;

namespace Tessera.Ops.Fused;

using Math = System.Math;

/// <summary>Element-wise math of the activations the optimizer fuses (the specification of the fused kernels).</summary>
public static class ActivationMath
{
    public static double Apply(string name, float[] p, double x) => name switch
    {
        "Relu" => Math.Max(x, 0),
        "Sigmoid" => 1 / (1 + Math.Exp(-x)),
        "Tanh" => Math.Tanh(x),
        "LeakyRelu" => x < 0 ? p[0] * x : x,
        "HardSigmoid" => Math.Clamp(p[0] * x + p[1], 0, 1),
        "HardSwish" => x * Math.Clamp(x / 6 + 0.5, 0, 1),
        "Silu" => x / (1 + Math.Exp(-x)),
        "Clip" => Math.Min(Math.Max(x, p[0]), p[1]),
        _ => throw new UnsupportedException($"fused activation '{name}' is not known"),
    };

    public static double Gelu(double x, bool tanh) => tanh
        ? 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
        : 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>erf to about 1e-13: its Taylor series below 2.5, the continued fraction of erfc above
    /// (Abramowitz-Stegun 7.1.26 would be too coarse for a reference kernel).</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 2.5)
        {
            double sum = 0, term = ax;
            for (int n = 0; n < 60; n++)
            {
                sum += term / (2 * n + 1);
                term *= -ax * ax / (n + 1);
            }
            return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * sum;
        }
        double fraction = 0;
        for (int k = 60; k >= 1; k--) fraction = k / 2.0 / (ax + fraction);
        double complement = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / (ax + fraction);
        return Math.Sign(x) * (1 - complement);
    }

    /// <summary>Permutes the axes: result dim i is input dim perm[i].</summary>
    public static Tensor Transpose(Tensor x, int[] perm)
    {
        int rank = x.Rank;
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var result = Tensor.Zeros(x.DataType, shape);
        var inStrides = ShapeMath.Strides(x.Shape);
        var index = new int[rank];
        for (int k = 0; k < result.Length; k++)
        {
            long source = 0;
            for (int d = 0; d < rank; d++) source += (long)index[d] * inStrides[perm[d]];
            result.Data.SetValue(x.Data.GetValue(source), k);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }
}

/// <summary>tessera.FusedConv, FusedConvTranspose, FusedGemm: the standard op (its registered reference
/// kernel, run on the same inputs and attributes), then FusedConv's optional fourth input added (a residual of
/// the convolution's output shape), then the fused activation (attributes activation,
/// activation_params), then the output layout (output_perm). Written by the optimizer's fusion rules.</summary>
[Op("FusedConv", "tessera")]
[Op("FusedConvTranspose", "tessera")]
[Op("FusedGemm", "tessera")]
[Op("FusedMatMul", "tessera")]
[Op("FusedMatMul", "com.microsoft")]
public sealed class FusedProducer : Operator
{
    public static readonly string[] OwnAttributes = ["activation", "activation_params", "output_perm"];

    /// <summary>Opset handed to the base kernel: Conv, ConvTranspose and Gemm compute the same thing in
    /// every opset for the attributes the optimizer copies.</summary>
    public const long BaseOpset = 22;

    public override void Execute(KernelContext context)
    {
        var baseType = BaseType(context.OpType);
        if (!OperatorRegistry.Default.TryGet(string.Empty, baseType, out var baseOp))
        {
            throw context.Unsupported($"{baseType} (the base of {context.OpType})");
        }
        // FusedConv's optional fourth input: a residual added to the convolution before the activation.
        var residual = baseType == "Conv" && context.InputCount > 3 ? context.OptionalInput(3) : null;
        var baseNode = new Node(baseType, residual is null ? context.Node.Inputs : context.Node.Inputs.Take(3), context.Node.Outputs.Select(o => o is null ? null : new Value(o.Name)), string.Empty, context.Node.Name);
        foreach (var a in context.Node.Attributes.Values)
        {
            if (!OwnAttributes.Contains(a.Name)) baseNode.SetAttribute(a);
        }
        var inputs = Enumerable.Range(0, residual is null ? context.InputCount : 3).Select(context.InputValue).ToList();
        if (baseType == "MatMul")
        {
            // transA/transB belong to FusedMatMul (MatMul has none): swap the operand's last two axes first.
            // com.microsoft.FusedMatMul (what `optimize -o` writes for ONNX Runtime) adds alpha and batch
            // transposes; the batch forms are not produced by Tessera and are reported as unsupported.
            if (context.GetInt("transBatchA", 0) != 0 || context.GetInt("transBatchB", 0) != 0) throw context.Unsupported("FusedMatMul with transBatchA/transBatchB");
            foreach (var name in (string[])["transA", "transB", "alpha", "transBatchA", "transBatchB"]) baseNode.Attributes.Remove(name);
            if (context.GetInt("transA", 0) != 0) inputs[0] = SwapLastAxes(context.Input(0));
            if (context.GetInt("transB", 0) != 0) inputs[1] = SwapLastAxes(context.Input(1));
        }
        var inner = new KernelContext(baseNode, BaseOpset, inputs);
        baseOp.Execute(inner);
        var result = (Tensor)inner.Outputs[0]!;
        if (residual is not null)
        {
            if (!residual.Shape.SequenceEqual(result.Shape)) throw context.Invalid($"residual input has shape [{string.Join(",", residual.Shape)}], expected the convolution's [{string.Join(",", result.Shape)}]");
            var sum = Tensor.Zeros(result.DataType, result.Shape.ToArray());
            for (int i = 0; i < sum.Length; i++) sum.SetDouble(i, result.GetDouble(i) + residual.GetDouble(i));
            result = sum;
        }
        if (context.GetFloat("alpha", 1f) is var alpha && alpha != 1f)
        {
            result = Elementwise.UnaryFloat(result, x => alpha * x);
        }
        if (context.GetString("activation", string.Empty) is { Length: > 0 } activation)
        {
            var parameters = context.GetFloats("activation_params") ?? [];
            result = Elementwise.UnaryFloat(result, x => ActivationMath.Apply(activation, parameters, x));
        }
        if (context.GetInts("output_perm") is { } perm) result = ActivationMath.Transpose(result, perm.Select(p => (int)p).ToArray());
        context.SetOutput(0, result);
    }

    /// <summary>The base op's inference on the same inputs and attributes (the residual, the activation and alpha
    /// keep the shape), then output_perm. Without it a fused op's output keeps only its declared type, and a
    /// shape query downstream (Silero legacy's If on the Shape of its output, fused after the optimizer's first
    /// round) cannot fold. FusedMatMul with transposed operands keeps its declared type.</summary>
    public override void InferTypes(InferenceContext context)
    {
        var baseType = BaseType(context.OpType);
        if (!OperatorRegistry.Default.TryGet(string.Empty, baseType, out var baseOp)) return;
        if (baseType == "MatMul" && (context.GetInt("transA", 0) != 0 || context.GetInt("transB", 0) != 0 || context.GetInt("transBatchA", 0) != 0 || context.GetInt("transBatchB", 0) != 0)) return;
        int count = baseType == "Conv" ? Math.Min(context.InputCount, 3) : context.InputCount;
        var baseNode = new Node(baseType, context.Node.Inputs.Take(count), context.Node.Outputs.Select(o => o is null ? null : new Value(o.Name)), string.Empty, context.Node.Name);
        foreach (var a in context.Node.Attributes.Values)
        {
            if (!OwnAttributes.Contains(a.Name)) baseNode.SetAttribute(a);
        }
        var inner = new InferenceContext(baseNode, BaseOpset,
            Enumerable.Range(0, count).Select(context.InputType).ToList(),
            Enumerable.Range(0, count).Select(context.InputConstant).ToList());
        baseOp.InferTypes(inner);
        if (inner.OutputTypes.Count == 0 || inner.OutputTypes[0] is not TensorType type) return;
        if (context.GetInts("output_perm") is { } perm && type.Shape is { } shape)
        {
            if (perm.Length != shape.Rank) return;
            type = new TensorType(type.ElementType, new TensorShape(perm.Select(p => shape[(int)p])));
        }
        context.SetOutputType(0, type);
    }

    public override long Macs(CostContext context) =>
        OperatorRegistry.Default.TryGet(string.Empty, BaseType(context.OpType), out var baseOp) ? baseOp.Macs(context) : 0;

    /// <summary>The standard op a fused op wraps: FusedConv -> Conv.</summary>
    private static string BaseType(string opType) => opType.StartsWith("Fused", StringComparison.Ordinal) ? opType["Fused".Length..] : opType;

    private static Tensor SwapLastAxes(Tensor x)
    {
        var perm = Enumerable.Range(0, x.Rank).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return ActivationMath.Transpose(x, perm);
    }
}

/// <summary>tessera.Silu (x * sigmoid x), tessera.HardSwish (for models below opset 14) and tessera.Gelu
/// {approximate = none | tanh}: activations the optimizer recognizes in decomposed form.</summary>
[Op("Silu", "tessera")]
[Op("HardSwish", "tessera")]
[Op("Gelu", "tessera")]
public sealed class RecognizedActivation : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Invalid($"{context.OpType} needs a float input, not {DataTypes.Name(x.DataType)}");
        bool tanh = context.GetString("approximate", "none") == "tanh";
        context.SetOutput(0, context.OpType == "Gelu"
            ? Elementwise.UnaryFloat(x, v => ActivationMath.Gelu(v, tanh))
            : Elementwise.UnaryFloat(x, v => ActivationMath.Apply(context.OpType, [], v)));
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);

    public override long Macs(CostContext context) => context.OutputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;
}
