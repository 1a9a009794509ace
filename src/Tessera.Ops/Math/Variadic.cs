using System.Numerics;
using Tessera.Core;

namespace Tessera.Ops.Math;

/// <summary>Max, Min, Sum, Mean over one or more inputs with multidirectional broadcasting (opset 8+;
/// earlier opsets require equal shapes, a special case). Max and Min propagate NaN, as numpy does.
/// Mean of integers truncates toward zero.</summary>
[Op("Max")]
[Op("Min")]
[Op("Sum")]
[Op("Mean")]
public sealed class Variadic : Operator
{
    public override void Execute(KernelContext context)
    {
        var inputs = new List<Tensor>();
        for (int i = 0; i < context.InputCount; i++)
        {
            if (context.OptionalInput(i) is { } t) inputs.Add(t);
        }
        if (inputs.Count == 0) throw context.Invalid($"{context.OpType} needs at least one input");
        var type = inputs[0].DataType;
        if (!DataTypes.IsNumeric(type)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(type)}");
        if (inputs.Any(t => t.DataType != type)) throw context.Invalid("inputs have different element types");
        var result = inputs[0];
        for (int i = 1; i < inputs.Count; i++)
        {
            result = context.OpType switch
            {
                "Max" => ElementwiseKernels.Binary(result, inputs[i], default(MaximumFunction)),
                "Min" => ElementwiseKernels.Binary(result, inputs[i], default(MinimumFunction)),
                _ => ElementwiseKernels.Binary(result, inputs[i], default(SumFunction)),
            };
        }
        if (context.OpType == "Mean") result = ElementwiseKernels.MapNumber(result, new DivideFunction(inputs.Count));
        context.SetOutput(0, ReferenceEquals(result, inputs[0]) ? result.Clone() : result);
    }

    public override void InferTypes(InferenceContext context) => Elementwise.InferBroadcast(context);

    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } s ? ShapeMath.ElementCount(s) * System.Math.Max(0, context.InputShapes.Count - 1) : 0;

    // INumber.Max/Min: NaN if either operand is NaN (IEEE 754-2019 maximum/minimum), no branch for floats.
    internal readonly struct MaximumFunction : IBinaryNumberFunction
    {
        public T Invoke<T>(T a, T b) where T : INumber<T> => T.Max(a, b);
    }

    internal readonly struct MinimumFunction : IBinaryNumberFunction
    {
        public T Invoke<T>(T a, T b) where T : INumber<T> => T.Min(a, b);
    }

    private readonly struct SumFunction : IBinaryNumberFunction
    {
        public T Invoke<T>(T a, T b) where T : INumber<T> => a + b;
    }

    private readonly struct DivideFunction(int count) : INumberFunction
    {
        public T Invoke<T>(T x) where T : INumber<T> => x / T.CreateTruncating(count);
    }
}
