using System.Numerics;
using Tessera.Core;

namespace Tessera.Ops.Math;

/// <summary>Pow (base and exponent may have different numeric types; the output has the base's type) and
/// Mod (fmod=1: C fmod / truncated remainder, sign of the dividend; fmod=0: Python-style, sign of the divisor).</summary>
[Op("Pow")]
[Op("Mod")]
public sealed class PowerModulo : Operator
{
    public override void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = LegacyBroadcast.AlignSecond(context, context.Opset, a, context.Input(1));
        if (!DataTypes.IsNumeric(a.DataType) || !DataTypes.IsNumeric(b.DataType))
        {
            throw context.Unsupported($"{context.OpType} on {DataTypes.Name(a.DataType)} and {DataTypes.Name(b.DataType)}");
        }
        if (context.OpType == "Mod" && a.DataType != b.DataType)
        {
            throw context.Invalid($"inputs have different types {DataTypes.Name(a.DataType)} and {DataTypes.Name(b.DataType)}");
        }
        try
        {
            context.SetOutput(0, context.OpType == "Pow"
                ? Pow(a, b)
                : ElementwiseKernels.Binary(a, b, new ModuloFunction(context.GetInt("fmod", 0) != 0)));
        }
        catch (DivideByZeroException)
        {
            throw context.Invalid(context.OpType == "Pow" ? "zero raised to a negative integer power" : "integer modulo by zero");
        }
    }

    /// <summary>Floats compute pow in double and round once; integer base with integer exponent is exact
    /// (repeated squaring, wrapping); integer base with float exponent truncates pow's result.</summary>
    public static Tensor Pow(Tensor x, Tensor exponent)
    {
        var shape = ShapeMath.Broadcast(x.Shape, exponent.Shape);
        int count = ElementwiseKernels.OutputLength(shape);
        switch (x.DataType)
        {
            case DataType.Float32:
            {
                var result = new float[count];
                ElementwiseKernels.BroadcastLoop<float, double, float, FloatPower>(x.As<float>(), x.Shape, exponent.ToDoubleArray(), exponent.Shape, result, shape, default);
                return Tensor.Create(shape, result);
            }
            case DataType.Float64 or DataType.Float16 or DataType.BFloat16:
            {
                var result = new double[count];
                ElementwiseKernels.BroadcastLoop<double, double, double, DoublePower>(x.ToDoubleArray(), x.Shape, exponent.ToDoubleArray(), exponent.Shape, result, shape, default);
                return Tensor.Create(shape, result).CastTo(x.DataType);
            }
            default:
            {
                var result = new long[count];
                var xs = x.ToInt64Array();
                if (DataTypes.IsFloat(exponent.DataType))
                {
                    ElementwiseKernels.BroadcastLoop<long, double, long, IntegerFloatPower>(xs, x.Shape, exponent.ToDoubleArray(), exponent.Shape, result, shape, default);
                }
                else
                {
                    ElementwiseKernels.BroadcastLoop<long, long, long, IntegerPower>(xs, x.Shape, exponent.ToInt64Array(), exponent.Shape, result, shape, default);
                }
                return Tensor.FromInt64s(x.DataType, shape, result);
            }
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.Opset < 7) ShapeInferenceRules.SameAsInput(context);
        else Elementwise.InferBroadcast(context);
    }

    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;

    private readonly struct FloatPower : IBinaryFunction<float, double, float>
    {
        public float Invoke(float a, double b) => (float)System.Math.Pow(a, b);
    }

    private readonly struct DoublePower : IBinaryFunction<double, double, double>
    {
        public double Invoke(double a, double b) => System.Math.Pow(a, b);
    }

    private readonly struct IntegerFloatPower : IBinaryFunction<long, double, long>
    {
        public long Invoke(long a, double b) => (long)System.Math.Pow(a, b);
    }

    private readonly struct IntegerPower : IBinaryFunction<long, long, long>
    {
        public long Invoke(long a, long b)
        {
            if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : a == 0 ? throw new DivideByZeroException() : 0;
            long result = 1;
            while (b > 0)
            {
                if ((b & 1) != 0) result = unchecked(result * a);
                a = unchecked(a * a);
                b >>= 1;
            }
            return result;
        }
    }

    private readonly struct ModuloFunction(bool fmod) : IBinaryNumberFunction
    {
        public T Invoke<T>(T a, T b) where T : INumber<T>
        {
            // MinValue % -1 overflows in .NET; mathematically the remainder is 0.
            if (!NumberTraits.IsFloat<T>() && T.IsNegative(b) && b + T.One == T.Zero) return T.Zero;
            var r = a % b;
            if (fmod || r == T.Zero || T.IsNaN(r)) return r;
            return T.IsNegative(r) != T.IsNegative(b) ? r + b : r;
        }
    }
}
