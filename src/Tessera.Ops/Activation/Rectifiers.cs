using System.Numerics;
using Tessera.Core;

namespace Tessera.Ops.Activation;

/// <summary>Piecewise-linear and exponential-linear activations: Relu (every signed numeric type from opset 14),
/// LeakyRelu, Elu, Selu, Celu, ThresholdedRelu (floating point) and Shrink (every numeric type).
/// Attribute defaults are the ONNX ones. Formulas use max/min instead of branches (the same values, e.g.
/// elu(x) = max(x, 0) + alpha * (exp(min(x, 0)) - 1)): data-dependent branches mispredict on real activations.</summary>
[Op("Relu")]
[Op("LeakyRelu")]
[Op("Elu")]
[Op("Selu")]
[Op("Celu")]
[Op("ThresholdedRelu")]
[Op("Shrink")]
public sealed class Rectifiers : Operator
{
    public const double SeluAlpha = 1.67326319217681884765625;
    public const double SeluGamma = 1.05070102710723876953125;

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var op = context.OpType;
        bool numeric = op is "Relu" or "Shrink";
        if (numeric ? !DataTypes.IsNumeric(x.DataType) : !DataTypes.IsFloat(x.DataType))
        {
            throw context.Unsupported($"{op} on {DataTypes.Name(x.DataType)}");
        }
        context.SetOutput(0, op switch
        {
            "Relu" => ElementwiseKernels.MapNumber(x, default(ReluFunction)),
            "Shrink" => ElementwiseKernels.MapNumber(x, new ShrinkFunction(context.GetFloat("lambd", 0.5f), context.GetFloat("bias", 0f))),
            "LeakyRelu" => ElementwiseKernels.Map(x, new LeakyReluFunction(context.GetFloat("alpha", 0.01f))),
            "Elu" => ElementwiseKernels.Map(x, new EluFunction(context.GetFloat("alpha", 1f))),
            "Selu" => ElementwiseKernels.Map(x, new SeluFunction(context.GetFloat("alpha", (float)SeluAlpha), context.GetFloat("gamma", (float)SeluGamma))),
            "Celu" => ElementwiseKernels.Map(x, new CeluFunction(context.GetFloat("alpha", 1f))),
            _ => ElementwiseKernels.Map(x, new ThresholdedReluFunction(context.GetFloat("alpha", 1f))),
        });
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);

    private readonly struct ReluFunction : INumberFunction
    {
        public T Invoke<T>(T x) where T : INumber<T> => T.Max(x, T.Zero);
    }

    /// <summary>x &lt; -lambd: x + bias; x &gt; lambd: x - bias; else 0 (compared in double so integer inputs work).</summary>
    private readonly struct ShrinkFunction(double lambd, double bias) : INumberFunction
    {
        public T Invoke<T>(T x) where T : INumber<T>
        {
            double v = double.CreateTruncating(x);
            return v < -lambd ? T.CreateTruncating(v + bias) : v > lambd ? T.CreateTruncating(v - bias) : T.Zero;
        }
    }

    private readonly struct LeakyReluFunction(double alpha) : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Max(x, T.Zero) + T.CreateTruncating(alpha) * T.Min(x, T.Zero);
    }

    private readonly struct EluFunction(double alpha) : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Max(x, T.Zero) + T.CreateTruncating(alpha) * (T.Exp(T.Min(x, T.Zero)) - T.One);
    }

    private readonly struct SeluFunction(double alpha, double gamma) : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> =>
            T.CreateTruncating(gamma) * (T.Max(x, T.Zero) + T.CreateTruncating(alpha) * (T.Exp(T.Min(x, T.Zero)) - T.One));
    }

    /// <summary>max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).</summary>
    private readonly struct CeluFunction(double alpha) : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T>
        {
            var a = T.CreateTruncating(alpha);
            return T.Max(x, T.Zero) + a * (T.Exp(T.Min(x, T.Zero) / a) - T.One);
        }
    }

    private readonly struct ThresholdedReluFunction(double alpha) : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => x > T.CreateTruncating(alpha) ? x : T.Zero;
    }
}

/// <summary>PRelu: x &lt; 0 ? slope * x : x, the slope broadcast unidirectionally to X (opset 7+). Before
/// opset 7 a 1-D slope holds one value per channel (axis 1).</summary>
[Op("PRelu")]
public sealed class ParametricRelu : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var slope = context.Input(1);
        if (!DataTypes.IsNumeric(x.DataType)) throw context.Unsupported($"PRelu on {DataTypes.Name(x.DataType)}");
        if (slope.DataType != x.DataType) throw context.Invalid($"slope has type {DataTypes.Name(slope.DataType)} but X has {DataTypes.Name(x.DataType)}");
        if (context.Opset < 7 && slope.Rank == 1 && slope.Length > 1 && x.Rank >= 2 && slope.Length == x.Shape[1])
        {
            var perChannel = new int[x.Rank - 1];
            Array.Fill(perChannel, 1);
            perChannel[0] = slope.Length;
            slope = slope.Reshape(perChannel);
        }
        var shape = ShapeMath.TryBroadcast(x.Shape, slope.Shape);
        if (shape is null || !shape.AsSpan().SequenceEqual(x.Shape))
        {
            throw context.Invalid($"slope of shape {ShapeMath.Format(slope.Shape)} cannot be broadcast to X of shape {ShapeMath.Format(x.Shape)}");
        }
        context.SetOutput(0, ElementwiseKernels.Binary(x, slope, default(PReluFunction)));
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);

    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;

    private readonly struct PReluFunction : IBinaryNumberFunction
    {
        public T Invoke<T>(T x, T slope) where T : INumber<T> => T.Max(x, T.Zero) + slope * T.Min(x, T.Zero);
    }
}
