using System.Numerics;
using Tessera.Core;
using Tessera.Ops.Math;

namespace Tessera.Ops.Logic;

/// <summary>Equal (numbers, bool, string), Greater, GreaterOrEqual, Less, LessOrEqual with numpy broadcasting;
/// bool output. NaN compares unequal to everything. Opset 1..6: legacy broadcast attributes.</summary>
[Op("Equal")]
[Op("Greater")]
[Op("GreaterOrEqual")]
[Op("Less")]
[Op("LessOrEqual")]
public sealed class Comparison : Operator
{
    public override void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = LegacyBroadcast.AlignSecond(context, context.Opset, a, context.Input(1));
        if (a.DataType != b.DataType) throw context.Invalid($"inputs have different types {DataTypes.Name(a.DataType)} and {DataTypes.Name(b.DataType)}");
        if (a.DataType == DataType.String)
        {
            if (context.OpType != "Equal") throw context.Unsupported($"{context.OpType} on strings");
            var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
            var result = new bool[ElementwiseKernels.OutputLength(shape)];
            ElementwiseKernels.BroadcastLoop<string, string, bool, StringEqual>(a.As<string>(), a.Shape, b.As<string>(), b.Shape, result, shape, default);
            context.SetOutput(0, Tensor.Create(shape, result));
            return;
        }
        if (!DataTypes.IsNumeric(a.DataType) && a.DataType != DataType.Bool) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(a.DataType)}");
        context.SetOutput(0, context.OpType switch
        {
            "Equal" => ElementwiseKernels.Compare(a, b, default(EqualFunction)),
            "Greater" => ElementwiseKernels.Compare(a, b, default(GreaterFunction)),
            "GreaterOrEqual" => ElementwiseKernels.Compare(a, b, default(GreaterOrEqualFunction)),
            "Less" => ElementwiseKernels.Compare(a, b, default(LessFunction)),
            _ => ElementwiseKernels.Compare(a, b, default(LessOrEqualFunction)),
        });
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.Opset < 7)
        {
            if (context.InputTensorType(0) is { } t) context.SetOutput(0, DataType.Bool, t.Shape);
        }
        else
        {
            Elementwise.InferBroadcast(context, DataType.Bool);
        }
    }

    private readonly struct StringEqual : IBinaryFunction<string, string, bool>
    {
        public bool Invoke(string a, string b) => string.Equals(a, b, StringComparison.Ordinal);
    }

    private readonly struct EqualFunction : IComparisonFunction
    {
        public bool Invoke<T>(T a, T b) where T : INumber<T> => a == b;
    }

    private readonly struct GreaterFunction : IComparisonFunction
    {
        public bool Invoke<T>(T a, T b) where T : INumber<T> => a > b;
    }

    private readonly struct GreaterOrEqualFunction : IComparisonFunction
    {
        public bool Invoke<T>(T a, T b) where T : INumber<T> => a >= b;
    }

    private readonly struct LessFunction : IComparisonFunction
    {
        public bool Invoke<T>(T a, T b) where T : INumber<T> => a < b;
    }

    private readonly struct LessOrEqualFunction : IComparisonFunction
    {
        public bool Invoke<T>(T a, T b) where T : INumber<T> => a <= b;
    }
}
