using System.Numerics;
using Tessera.Core;
using Tessera.Ops.Math;

namespace Tessera.Ops.Logic;

/// <summary>Boolean Not/And/Or/Xor and integer BitwiseAnd/Or/Xor/Not, BitShift (unsigned types; a shift by
/// the bit width or more gives 0), all with numpy broadcasting (opset 1..6 And/Or/Xor: legacy broadcast).</summary>
[Op("Not")]
[Op("And")]
[Op("Or")]
[Op("Xor")]
[Op("BitwiseNot")]
[Op("BitwiseAnd")]
[Op("BitwiseOr")]
[Op("BitwiseXor")]
[Op("BitShift")]
public sealed class Logical : Operator
{
    public override void Execute(KernelContext context)
    {
        var op = context.OpType;
        var a = context.Input(0);
        if (op is "Not" or "And" or "Or" or "Xor")
        {
            if (a.DataType != DataType.Bool) throw context.Invalid($"{op} needs bool inputs, not {DataTypes.Name(a.DataType)}");
            context.SetOutput(0, op == "Not" ? Not(a) : BooleanBinary(context, a));
            return;
        }
        if (!DataTypes.IsInteger(a.DataType)) throw context.Unsupported($"{op} on {DataTypes.Name(a.DataType)}");
        if (op == "BitwiseNot")
        {
            context.SetOutput(0, ElementwiseKernels.BinaryInteger(a, a, default(ComplementFunction)));
            return;
        }
        var b = context.Input(1);
        if (b.DataType != a.DataType) throw context.Invalid($"inputs have different types {DataTypes.Name(a.DataType)} and {DataTypes.Name(b.DataType)}");
        context.SetOutput(0, op switch
        {
            "BitwiseAnd" => ElementwiseKernels.BinaryInteger(a, b, default(AndFunction)),
            "BitwiseOr" => ElementwiseKernels.BinaryInteger(a, b, default(OrFunction)),
            "BitwiseXor" => ElementwiseKernels.BinaryInteger(a, b, default(XorFunction)),
            _ => Shift(context, a, b),
        });
    }

    private static Tensor Shift(KernelContext context, Tensor a, Tensor b)
    {
        if (!DataTypes.IsUnsignedInteger(a.DataType)) throw context.Unsupported($"BitShift on {DataTypes.Name(a.DataType)}");
        return context.GetString("direction", string.Empty) switch
        {
            "LEFT" => ElementwiseKernels.BinaryInteger(a, b, default(ShiftLeftFunction)),
            "RIGHT" => ElementwiseKernels.BinaryInteger(a, b, default(ShiftRightFunction)),
            var other => throw context.Invalid($"BitShift direction must be LEFT or RIGHT, not '{other}'"),
        };
    }

    private static Tensor Not(Tensor a)
    {
        var x = a.As<bool>();
        var result = new bool[x.Length];
        for (int i = 0; i < x.Length; i++) result[i] = !x[i];
        return Tensor.Create(a.Shape, result);
    }

    private static Tensor BooleanBinary(KernelContext context, Tensor a)
    {
        var b = LegacyBroadcast.AlignSecond(context, context.Opset, a, context.Input(1));
        if (b.DataType != DataType.Bool) throw context.Invalid($"{context.OpType} needs bool inputs, not {DataTypes.Name(b.DataType)}");
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        var result = new bool[ElementwiseKernels.OutputLength(shape)];
        var x = a.As<bool>();
        var y = b.As<bool>();
        switch (context.OpType)
        {
            case "And": ElementwiseKernels.BroadcastLoop<bool, bool, bool, BooleanAnd>(x, a.Shape, y, b.Shape, result, shape, default); break;
            case "Or": ElementwiseKernels.BroadcastLoop<bool, bool, bool, BooleanOr>(x, a.Shape, y, b.Shape, result, shape, default); break;
            default: ElementwiseKernels.BroadcastLoop<bool, bool, bool, BooleanXor>(x, a.Shape, y, b.Shape, result, shape, default); break;
        }
        return Tensor.Create(shape, result);
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.OpType is "Not" or "BitwiseNot" || context.Opset < 7) ShapeInferenceRules.SameAsInput(context);
        else Elementwise.InferBroadcast(context);
    }

    private readonly struct BooleanAnd : IBinaryFunction<bool, bool, bool>
    {
        public bool Invoke(bool a, bool b) => a & b;
    }

    private readonly struct BooleanOr : IBinaryFunction<bool, bool, bool>
    {
        public bool Invoke(bool a, bool b) => a | b;
    }

    private readonly struct BooleanXor : IBinaryFunction<bool, bool, bool>
    {
        public bool Invoke(bool a, bool b) => a ^ b;
    }

    private readonly struct ComplementFunction : IBinaryIntegerFunction
    {
        public T Invoke<T>(T a, T b) where T : IBinaryInteger<T> => ~a;
    }

    private readonly struct AndFunction : IBinaryIntegerFunction
    {
        public T Invoke<T>(T a, T b) where T : IBinaryInteger<T> => a & b;
    }

    private readonly struct OrFunction : IBinaryIntegerFunction
    {
        public T Invoke<T>(T a, T b) where T : IBinaryInteger<T> => a | b;
    }

    private readonly struct XorFunction : IBinaryIntegerFunction
    {
        public T Invoke<T>(T a, T b) where T : IBinaryInteger<T> => a ^ b;
    }

    // .NET masks the shift count to the type's width; ONNX (like numpy) shifts every bit out instead.
    private readonly struct ShiftLeftFunction : IBinaryIntegerFunction
    {
        public T Invoke<T>(T a, T b) where T : IBinaryInteger<T> =>
            b >= T.CreateTruncating(a.GetByteCount() * 8) ? T.Zero : a << int.CreateTruncating(b);
    }

    private readonly struct ShiftRightFunction : IBinaryIntegerFunction
    {
        public T Invoke<T>(T a, T b) where T : IBinaryInteger<T> =>
            b >= T.CreateTruncating(a.GetByteCount() * 8) ? T.Zero : a >> int.CreateTruncating(b);
    }
}
