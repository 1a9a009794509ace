using Tessera.Core;
using Tessera.Ops.TensorOps;

namespace Tessera.Ops.Indexing;

/// <summary>OneHot: inserts an axis of size depth; the position given by each index holds values[1] (on),
/// every other position values[0] (off). Negative indices count from depth; out-of-range ones stay off.</summary>
[Op("OneHot")]
public sealed class OneHot : Operator
{
    public override void Execute(KernelContext context)
    {
        var indices = context.Input(0);
        var depthTensor = context.Input(1);
        var values = context.Input(2);
        if (depthTensor.Length != 1) throw context.Invalid("depth must have one element");
        if (values.Length != 2) throw context.Invalid("values must have two elements [off, on]");
        double depthValue = depthTensor.GetDouble(0);
        if (depthValue < 1 || depthValue > int.MaxValue) throw context.Invalid($"depth {depthValue} is invalid");
        int depth = (int)depthValue;
        int rank = indices.Rank + 1;
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", -1), rank, context.Node.DisplayName);
        int[] shape = [.. indices.Shape.Take(axis), depth, .. indices.Shape.Skip(axis)];
        var result = Tensor.Zeros(values.DataType, shape);
        var mover = ElementMover.For(values.Data);
        if (result.Length == 0)
        {
            context.SetOutput(0, result);
            return;
        }
        mover.Fill(result.Data, values.Data, 0);
        int inner = indices.Shape.Skip(axis).Aggregate(1, (a, b) => a * b);
        for (int n = 0; n < indices.Length; n++)
        {
            long index = (long)indices.GetDouble(n);
            if (index < 0) index += depth;
            if (index < 0 || index >= depth) continue;
            int outer = n / inner, rest = n % inner;
            int target = (((outer * depth) + (int)index) * inner) + rest;
            mover.CopyStrided(values.Data, 1, 1, result.Data, target, 1);
        }
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 2);
        var shape = Layout.ShapeOf(context, 0);
        if (shape is null)
        {
            context.SetOutput(0, type, null);
            return;
        }
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", -1), shape.Rank + 1, context.Node.DisplayName);
        var depth = context.InputConstant(1) is { Length: 1 } d ? Dim.Known((long)d.GetDouble(0)) : Dim.Unknown;
        context.SetOutput(0, type, new TensorShape([.. shape.Dims.Take(axis), depth, .. shape.Dims.Skip(axis)]));
    }
}
