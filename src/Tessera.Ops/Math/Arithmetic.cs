using System.Numerics;
using Tessera.Core;

namespace Tessera.Ops.Math;

/// <summary>Add, Sub, Mul, Div with numpy broadcasting over every numeric type. Integers wrap on overflow
/// and integer division truncates toward zero (as C and ONNX Runtime do); integer division by zero is an
/// input error. float16/bfloat16 are computed in float32 and rounded once.</summary>
[Op("Add")]
[Op("Sub")]
[Op("Mul")]
[Op("Div")]
public sealed class Arithmetic : Operator
{
    public override void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = LegacyBroadcast.AlignSecond(context, context.Opset, a, context.Input(1));
        if (a.DataType != b.DataType) throw context.Invalid($"inputs have different types {DataTypes.Name(a.DataType)} and {DataTypes.Name(b.DataType)}");
        if (!DataTypes.IsNumeric(a.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(a.DataType)}");
        try
        {
            var result = context.OpType switch
            {
                "Add" => ElementwiseKernels.Binary(a, b, default(AddFunction)),
                "Sub" => ElementwiseKernels.Binary(a, b, default(SubtractFunction)),
                "Mul" => ElementwiseKernels.Binary(a, b, default(MultiplyFunction)),
                _ => ElementwiseKernels.Binary(a, b, default(DivideFunction)),
            };
            context.SetOutput(0, result);
        }
        catch (DivideByZeroException)
        {
            throw context.Invalid("integer division by zero");
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.Opset < 7) ShapeInferenceRules.SameAsInput(context);
        else Elementwise.InferBroadcast(context);
    }

    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;

    private readonly struct AddFunction : IBinaryNumberFunction
    {
        public T Invoke<T>(T a, T b) where T : INumber<T> => a + b;
    }

    private readonly struct SubtractFunction : IBinaryNumberFunction
    {
        public T Invoke<T>(T a, T b) where T : INumber<T> => a - b;
    }

    private readonly struct MultiplyFunction : IBinaryNumberFunction
    {
        public T Invoke<T>(T a, T b) where T : INumber<T> => a * b;
    }

    private readonly struct DivideFunction : IBinaryNumberFunction
    {
        // MinValue / -1 overflows in .NET; the wrapped result (MinValue) is what C on x86 with wrap gives.
        public T Invoke<T>(T a, T b) where T : INumber<T> =>
            !NumberTraits.IsFloat<T>() && T.IsNegative(b) && b + T.One == T.Zero ? T.Zero - a : a / b;
    }
}
