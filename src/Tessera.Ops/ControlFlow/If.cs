using Tessera.Core;

namespace Tessera.Ops.ControlFlow;

/// <summary>If: runs then_branch or else_branch (which may read the enclosing graph's values) and
/// returns that branch's outputs, which may be tensors, sequences or optionals.</summary>
[Op("If")]
public sealed class If : Operator
{
    public override void Execute(KernelContext context)
    {
        var cond = context.Input(0);
        if (cond.Length != 1) throw context.Invalid($"condition must hold one element, got {ShapeMath.Format(cond.Shape)}");
        bool take = cond.DataType == DataType.String ? throw context.Invalid("condition must be bool") : cond.GetDouble(0) != 0;
        var branch = context.GetGraph(take ? "then_branch" : "else_branch");
        var outputs = context.RunSubgraph(branch, []);
        if (outputs.Count != context.OutputCount)
        {
            throw context.Invalid($"branch returns {outputs.Count} values but the node has {context.OutputCount} outputs");
        }
        for (int i = 0; i < outputs.Count; i++)
        {
            if (outputs[i] is { } v) context.SetOutput(i, v);
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        var thenBranch = context.GetGraph("then_branch");
        var elseBranch = context.GetGraph("else_branch");
        for (int i = 0; i < context.Node.Outputs.Count; i++)
        {
            var a = i < thenBranch.Outputs.Count ? thenBranch.Outputs[i].Type : null;
            var b = i < elseBranch.Outputs.Count ? elseBranch.Outputs[i].Type : null;
            context.SetOutputType(i, ControlFlowTypes.Merge(a, b));
        }
    }
}

/// <summary>Type helpers shared by the control-flow ops.</summary>
internal static class ControlFlowTypes
{
    /// <summary>The type both branches agree on: same element type, dims kept where equal; null when either is unknown.</summary>
    public static IrType? Merge(IrType? a, IrType? b)
    {
        if (a is null || b is null) return null;
        if (a is TensorType ta && b is TensorType tb)
        {
            if (ta.ElementType != tb.ElementType) return null;
            if (ta.Shape is null || tb.Shape is null || ta.Shape.Rank != tb.Shape.Rank) return new TensorType(ta.ElementType, null);
            return new TensorType(ta.ElementType, new TensorShape(ta.Shape.Dims.Select((d, i) => d == tb.Shape[i] ? d : Dim.Unknown)));
        }
        return a == b ? a : null;
    }

    /// <summary>Prepends a dim (the iteration count of a scan output) to a tensor type.</summary>
    public static IrType? Stacked(IrType? element, Dim outer, int axis = 0)
    {
        if (element is not TensorType t) return null;
        if (t.Shape is null) return new TensorType(t.ElementType, null);
        var dims = t.Shape.Dims.ToList();
        dims.Insert(System.Math.Clamp(axis, 0, dims.Count), outer);
        return new TensorType(t.ElementType, new TensorShape(dims));
    }

    /// <summary>Stacks equally shaped tensors along a new axis <paramref name="axis"/>. With no items the
    /// element shape comes from <paramref name="declared"/> (unknown dims become 0).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> items, int axis, IrType? declared, string where)
    {
        if (items.Count == 0)
        {
            var t = declared as TensorType;
            var dims = t?.Shape?.Dims.Select(d => d.IsKnown ? (int)d.Value : 0).ToList() ?? [];
            dims.Insert(System.Math.Clamp(axis, 0, dims.Count), 0);
            return Tensor.Zeros(t?.ElementType ?? DataType.Float32, dims.ToArray());
        }
        var first = items[0];
        foreach (var item in items)
        {
            if (!item.Shape.AsSpan().SequenceEqual(first.Shape) || item.DataType != first.DataType)
            {
                throw new InvalidInputException($"scan output items differ: {ShapeMath.Format(item.Shape)} vs {ShapeMath.Format(first.Shape)}", where);
            }
        }
        int rank = first.Rank;
        if (axis < 0 || axis > rank) throw new InvalidInputException($"stack axis {axis} is out of range for rank {rank}", where);
        var shape = new List<int>(first.Shape);
        shape.Insert(axis, items.Count);
        var result = Tensor.Zeros(first.DataType, shape.ToArray());
        int outer = (int)ShapeMath.ElementCount(first.Shape.AsSpan(0, axis));
        int inner = (int)ShapeMath.ElementCount(first.Shape.AsSpan(axis));
        for (int k = 0; k < items.Count; k++)
        {
            for (int o = 0; o < outer; o++)
            {
                Array.Copy(items[k].Data, o * inner, result.Data, ((long)o * items.Count + k) * inner, inner);
            }
        }
        return result;
    }

    /// <summary>Slice <paramref name="index"/> of <paramref name="x"/> along <paramref name="axis"/>, with that axis removed.</summary>
    public static Tensor Slice(Tensor x, int axis, int index)
    {
        var shape = x.Shape.Where((_, d) => d != axis).ToArray();
        var result = Tensor.Zeros(x.DataType, shape);
        int outer = (int)ShapeMath.ElementCount(x.Shape.AsSpan(0, axis));
        int inner = (int)ShapeMath.ElementCount(x.Shape.AsSpan(axis + 1));
        int n = x.Shape[axis];
        for (int o = 0; o < outer; o++)
        {
            Array.Copy(x.Data, ((long)o * n + index) * inner, result.Data, (long)o * inner, inner);
        }
        return result;
    }
}
