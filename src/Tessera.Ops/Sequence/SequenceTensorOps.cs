using Tessera.Core;

namespace Tessera.Ops.Sequence;

/// <summary>SplitToSequence (split a tensor along an axis into a sequence: size-1 pieces, pieces of a
/// given size with a shorter last one, or explicit sizes) and ConcatFromSequence (concatenate along an
/// existing axis, or stack along a new one with new_axis=1).</summary>
[Op("SplitToSequence")]
[Op("ConcatFromSequence")]
public sealed class SequenceTensorOps : Operator
{
    public override void Execute(KernelContext context)
    {
        if (context.OpType == "SplitToSequence") Split(context);
        else Concat(context);
    }

    private static void Split(KernelContext context)
    {
        var x = context.Input(0);
        var split = context.OptionalInput(1);
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), x.Rank, context.Node.DisplayName);
        bool keepDims = context.GetInt("keepdims", 1) != 0;
        int dim = x.Shape[axis];
        var sizes = new List<int>();
        if (split is null)
        {
            for (int i = 0; i < dim; i++) sizes.Add(1);
        }
        else if (split.Rank == 0)
        {
            long size = split.GetInt64(0);
            if (size <= 0) throw context.Invalid($"split size {size} must be positive");
            for (long start = 0; start < dim; start += size) sizes.Add((int)System.Math.Min(size, dim - start));
        }
        else
        {
            foreach (var s in split.ToInt64Array())
            {
                if (s < 0) throw context.Invalid($"split size {s} is negative");
                sizes.Add((int)s);
            }
            if (sizes.Sum() != dim) throw context.Invalid($"split sizes add up to {sizes.Sum()}, not the axis length {dim}");
        }
        int outer = (int)ShapeMath.ElementCount(x.Shape.AsSpan(0, axis));
        int inner = (int)ShapeMath.ElementCount(x.Shape.AsSpan(axis + 1));
        var items = new List<Tensor>();
        int offset = 0;
        foreach (var size in sizes)
        {
            var shape = (int[])x.Shape.Clone();
            shape[axis] = size;
            var piece = Tensor.Zeros(x.DataType, shape);
            for (int o = 0; o < outer; o++)
            {
                Array.Copy(x.Data, ((long)o * dim + offset) * inner, piece.Data, (long)o * size * inner, (long)size * inner);
            }
            if (split is null && !keepDims) piece = piece.Reshape(x.Shape.Where((_, d) => d != axis).ToArray());
            items.Add(piece);
            offset += size;
        }
        context.SetOutput(0, new SequenceValue(x.DataType, items));
    }

    private static void Concat(KernelContext context)
    {
        var seq = SequenceOps.InputSequence(context, 0);
        if (seq.Items.Count == 0) throw context.Invalid("cannot concatenate an empty sequence");
        bool newAxis = context.GetInt("new_axis", 0) != 0;
        var first = seq.Items[0];
        int outRank = first.Rank + (newAxis ? 1 : 0);
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis"), outRank, context.Node.DisplayName);
        var items = newAxis
            ? seq.Items.Select(t => t.Reshape(InsertDim(t.Shape, axis))).ToList()
            : seq.Items.ToList();
        var shape = (int[])items[0].Shape.Clone();
        shape[axis] = 0;
        foreach (var t in items)
        {
            if (t.Rank != shape.Length || t.DataType != first.DataType) throw context.Invalid("sequence items differ in rank or type");
            for (int d = 0; d < t.Rank; d++)
            {
                if (d != axis && t.Shape[d] != shape[d]) throw context.Invalid($"item shape {ShapeMath.Format(t.Shape)} does not match");
            }
            shape[axis] += t.Shape[axis];
        }
        var result = Tensor.Zeros(first.DataType, shape);
        int outer = (int)ShapeMath.ElementCount(shape.AsSpan(0, axis));
        int inner = (int)ShapeMath.ElementCount(shape.AsSpan(axis + 1));
        int offset = 0;
        foreach (var t in items)
        {
            int size = t.Shape[axis];
            for (int o = 0; o < outer; o++)
            {
                Array.Copy(t.Data, (long)o * size * inner, result.Data, ((long)o * shape[axis] + offset) * inner, (long)size * inner);
            }
            offset += size;
        }
        context.SetOutput(0, result);
    }

    private static int[] InsertDim(int[] shape, int axis)
    {
        var list = shape.ToList();
        list.Insert(axis, 1);
        return list.ToArray();
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.OpType == "SplitToSequence")
        {
            if (context.InputTensorType(0) is { } t) context.SetOutputType(0, new SequenceType(new TensorType(t.ElementType, null)));
            return;
        }
        if (context.InputType(0) is SequenceType { ElementType: TensorType e })
        {
            int? rank = e.Shape?.Rank + (context.GetInt("new_axis", 0) != 0 ? 1 : 0);
            context.SetOutput(0, e.ElementType, rank is { } r ? new TensorShape(Enumerable.Repeat(Dim.Unknown, r)) : null);
        }
    }
}
