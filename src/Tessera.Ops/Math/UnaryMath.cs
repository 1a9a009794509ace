using System.Numerics;
using Tessera.Core;

namespace Tessera.Ops.Math;

/// <summary>Element-wise unary math. Abs, Neg and Sign take every numeric type; the rest take floating-point
/// types (float16/bfloat16 computed in float32). Round rounds half to even; Sign keeps NaN.</summary>
[Op("Abs")]
[Op("Neg")]
[Op("Sign")]
[Op("Exp")]
[Op("Log")]
[Op("Sqrt")]
[Op("Reciprocal")]
[Op("Floor")]
[Op("Ceil")]
[Op("Round")]
[Op("Erf")]
[Op("Sin")]
[Op("Cos")]
[Op("Tan")]
[Op("Asin")]
[Op("Acos")]
[Op("Atan")]
[Op("Sinh")]
[Op("Cosh")]
[Op("Asinh")]
[Op("Acosh")]
[Op("Atanh")]
public sealed class UnaryMath : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var op = context.OpType;
        if (op is "Abs" or "Neg" or "Sign")
        {
            if (!DataTypes.IsNumeric(x.DataType)) throw context.Unsupported($"{op} on {DataTypes.Name(x.DataType)}");
            context.SetOutput(0, op switch
            {
                "Abs" => ElementwiseKernels.MapNumber(x, default(AbsFunction)),
                "Neg" => ElementwiseKernels.MapNumber(x, default(NegateFunction)),
                _ => ElementwiseKernels.MapNumber(x, default(SignFunction)),
            });
            return;
        }
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{op} on {DataTypes.Name(x.DataType)}");
        context.SetOutput(0, op switch
        {
            "Exp" => ElementwiseKernels.Map(x, default(ExpFunction)),
            "Log" => ElementwiseKernels.Map(x, default(LogFunction)),
            "Sqrt" => ElementwiseKernels.Map(x, default(SqrtFunction)),
            "Reciprocal" => ElementwiseKernels.Map(x, default(ReciprocalFunction)),
            "Floor" => ElementwiseKernels.Map(x, default(FloorFunction)),
            "Ceil" => ElementwiseKernels.Map(x, default(CeilFunction)),
            "Round" => ElementwiseKernels.Map(x, default(RoundFunction)),
            "Erf" => ElementwiseKernels.Map(x, default(ErfFunction)),
            "Sin" => ElementwiseKernels.Map(x, default(SinFunction)),
            "Cos" => ElementwiseKernels.Map(x, default(CosFunction)),
            "Tan" => ElementwiseKernels.Map(x, default(TanFunction)),
            "Asin" => ElementwiseKernels.Map(x, default(AsinFunction)),
            "Acos" => ElementwiseKernels.Map(x, default(AcosFunction)),
            "Atan" => ElementwiseKernels.Map(x, default(AtanFunction)),
            "Sinh" => ElementwiseKernels.Map(x, default(SinhFunction)),
            "Cosh" => ElementwiseKernels.Map(x, default(CoshFunction)),
            "Asinh" => ElementwiseKernels.Map(x, default(AsinhFunction)),
            "Acosh" => ElementwiseKernels.Map(x, default(AcoshFunction)),
            "Atanh" => ElementwiseKernels.Map(x, default(AtanhFunction)),
            _ => throw context.Unsupported(op),
        });
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);

    private readonly struct AbsFunction : INumberFunction
    {
        public T Invoke<T>(T x) where T : INumber<T> => T.IsNegative(x) ? -x : x;
    }

    private readonly struct NegateFunction : INumberFunction
    {
        public T Invoke<T>(T x) where T : INumber<T> => -x;
    }

    private readonly struct SignFunction : INumberFunction
    {
        public T Invoke<T>(T x) where T : INumber<T> => x > T.Zero ? T.One : x < T.Zero ? -T.One : x;
    }

    private readonly struct ExpFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Exp(x);
    }

    private readonly struct LogFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Log(x);
    }

    private readonly struct SqrtFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Sqrt(x);
    }

    private readonly struct ReciprocalFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.One / x;
    }

    private readonly struct FloorFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Floor(x);
    }

    private readonly struct CeilFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Ceiling(x);
    }

    private readonly struct RoundFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Round(x, MidpointRounding.ToEven);
    }

    private readonly struct ErfFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> =>
            T.CreateTruncating(ErrorFunction.Erf(double.CreateTruncating(x)));
    }

    private readonly struct SinFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Sin(x);
    }

    private readonly struct CosFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Cos(x);
    }

    private readonly struct TanFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Tan(x);
    }

    private readonly struct AsinFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Asin(x);
    }

    private readonly struct AcosFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Acos(x);
    }

    private readonly struct AtanFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Atan(x);
    }

    private readonly struct SinhFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Sinh(x);
    }

    private readonly struct CoshFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Cosh(x);
    }

    private readonly struct AsinhFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Asinh(x);
    }

    private readonly struct AcoshFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Acosh(x);
    }

    private readonly struct AtanhFunction : IFloatFunction
    {
        public T Invoke<T>(T x) where T : IFloatingPointIeee754<T> => T.Atanh(x);
    }
}
