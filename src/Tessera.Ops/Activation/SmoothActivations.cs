using System.Numerics;
using Tessera.Core;
using Tessera.Ops.Math;

namespace Tessera.Ops.Activation;

/// <summary>Smooth and hard sigmoid-family activations on floating-point tensors: Sigmoid, HardSigmoid,
/// HardSwish, Tanh, Softplus, Softsign, Gelu (approximate = none | tanh), Mish. Formulas are written in
/// their overflow-free forms (e.g. softplus(x) = max(x, 0) + log1p(exp(-|x|))).</summary>
[Op("Sigmoid")]
[Op("HardSigmoid")]
[Op("HardSwish")]
[Op("Tanh")]
[Op("Softplus")]
[Op("Softsign")]
[Op("Gelu")]
[Op("Mish")]
public sealed class SmoothActivations : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var op = context.OpType;
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{op} on {DataTypes.Name(x.DataType)}");
        context.SetOutput(0, op switch
        {
            "Sigmoid" => ElementwiseKernels.Map(x, default(SigmoidFunction)),
            "HardSigmoid" => ElementwiseKernels.Map(x, new HardSigmoidFunction(context.GetFloat("alpha", 0.2f), context.GetFloat("beta", 0.5f))),
            "HardSwish" => ElementwiseKernels.Map(x, default(HardSwishFunction)),
            "Tanh" => ElementwiseKernels.Map(x, default(TanhFunction)),
            "Softplus" => ElementwiseKernels.Map(x, default(SoftplusFunction)),
            "Softsign" => ElementwiseKernels.Map(x, default(SoftsignFunction)),
            "Mish" => ElementwiseKernels.Map(x, default(MishFunction)),
            _ => context.GetString("approximate", "none") switch
            {
                "none" => ElementwiseKernels.Map(x, default(GeluFunction)),
                "tanh" => ElementwiseKernels.Map(x, default(GeluTanhFunction)),
                var other => throw context.Unsupported($"Gelu approximate='{other}'"),
            },
        });
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);

    /// <summary>max(0, min(1, x)) without branches (NaN stays NaN).</summary>
    private static T Unit<T>(T x) where T : IFloatingPointIeee754<T> => T.Min(T.Max(x, T.Zero), T.One);

    private static T Softplus<T>(T x) where T : IFloatingPointIeee754<T> =>
        T.Max(x, T.Zero) + T.LogP1(T.Exp(-T.Abs(x)));

    private readonly struct SigmoidFunction : IFloatFunction
    {
        // exp(-x) overflowing to infinity for very negative x gives exactly 0, so no branch is needed.
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));
    }

    /// <summary>max(0, min(1, alpha * x + beta)).</summary>
    private readonly struct HardSigmoidFunction(double alpha, double beta) : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> =>
            Unit(T.CreateTruncating(alpha) * x + T.CreateTruncating(beta));
    }

    /// <summary>x * max(0, min(1, alpha * x + beta)) with alpha = 1/6, beta = 1/2.</summary>
    private readonly struct HardSwishFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> =>
            x * Unit(T.CreateTruncating(1.0 / 6) * x + T.CreateTruncating(0.5));
    }

    private readonly struct TanhFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Tanh(x);
    }

    private readonly struct SoftplusFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => Softplus(x);
    }

    private readonly struct SoftsignFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => x / (T.One + T.Abs(x));
    }

    private readonly struct MishFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => x * T.Tanh(Softplus(x));
    }

    /// <summary>x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), computed in double.</summary>
    private readonly struct GeluFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T>
        {
            double v = double.CreateTruncating(x);
            return T.CreateTruncating(0.5 * v * (1 + ErrorFunction.Erf(v / System.Math.Sqrt(2))));
        }
    }

    /// <summary>0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), computed in double.</summary>
    private readonly struct GeluTanhFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T>
        {
            double v = double.CreateTruncating(x);
            return T.CreateTruncating(0.5 * v * (1 + System.Math.Tanh(System.Math.Sqrt(2 / System.Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }
}
