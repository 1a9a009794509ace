using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Identity: passes its input (tensor, sequence or optional) through unchanged.</summary>
[Op("Identity")]
public sealed class Identity : Operator
{
    public override void Execute(KernelContext context) =>
        context.SetOutput(0, context.InputValue(0) ?? throw new ModelFormatException("Identity input is missing", context.Node.DisplayName));

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);
}

/// <summary>Shape: the input's dims as int64, optionally the sub-range [start, end) of opset 15.</summary>
[Op("Shape")]
public sealed class Shape : Operator
{
    public override void Execute(KernelContext context)
    {
        var shape = context.Input(0).Shape;
        var (start, end) = Range(context, shape.Length);
        var dims = new long[end - start];
        for (int i = start; i < end; i++) dims[i - start] = shape[i];
        context.SetOutput(0, Tensor.Create([dims.Length], dims));
    }

    public override void InferTypes(InferenceContext context)
    {
        if (Layout.ShapeOf(context, 0) is not { } shape)
        {
            context.SetOutput(0, DataType.Int64, new TensorShape([Dim.Unknown]));
            return;
        }
        var (start, end) = Range(context, shape.Rank);
        context.SetOutput(0, DataType.Int64, new TensorShape(end - start));
    }

    /// <summary>Clamped [start, end) of opset 15 (negative values count from the end); the whole shape before.</summary>
    private static (int Start, int End) Range(AttributeReader a, int rank)
    {
        long start = a.GetInt("start", 0);
        long end = a.GetInt("end", rank);
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = System.Math.Clamp(start, 0, rank);
        end = System.Math.Clamp(end, 0, rank);
        return ((int)start, (int)System.Math.Max(start, end));
    }
}

/// <summary>Size: the input's element count as an int64 scalar.</summary>
[Op("Size")]
public sealed class Size : Operator
{
    public override void Execute(KernelContext context) =>
        context.SetOutput(0, Tensor.Scalar((long)context.Input(0).Length));

    public override void InferTypes(InferenceContext context) => context.SetOutput(0, DataType.Int64, new TensorShape());
}
