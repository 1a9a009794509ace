using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Evaluates the shape-computing ops that constant folding meets most (Shape, Size, Cast, Reshape,
/// Squeeze, Unsqueeze, Flatten, Concat, Gather, 1-D Slice, ConstantOfShape, Transpose, Equal, Not) on constant inputs.
/// Used when the operator registry has no kernel for them, so shape chains fold with or without the
/// full kernel library. Returns null when the node is outside what it handles.</summary>
public static class ConstantEvaluator
{
    public static Tensor? Evaluate(Node node, long opset)
    {
        if (node.Domain.Length != 0) return null;
        var inputs = node.Inputs.Select(v => v?.Constant).ToList();
        Tensor? First() => inputs.Count > 0 ? inputs[0] : null;
        return node.OpType switch
        {
            "Cast" when First() is { } x && node.Attribute("to")?.Value is long to => x.CastTo((DataType)to),
            "Reshape" when First() is { } x && inputs.Count > 1 && inputs[1] is { } s =>
                ReshapeTarget(x.Shape, s.ToInt64Array(), (node.Attribute("allowzero")?.Value as long? ?? 0) != 0) is { } shape ? x.Reshape(shape) : null,
            "Squeeze" when First() is { } x => x.Reshape(Squeezed(x.Shape, Axes(node, inputs, opset >= 13))),
            "Unsqueeze" when First() is { } x && Axes(node, inputs, opset >= 13) is { } axes => x.Reshape(Unsqueezed(x.Shape, axes)),
            "Flatten" when First() is { } x => x.Reshape(Flattened(x.Shape, (int)(node.Attribute("axis")?.Value as long? ?? 1))),
            "Concat" when inputs.All(t => t is not null) && inputs.Count > 0 => Concat(inputs!, (int)(node.Attribute("axis")?.Value as long? ?? 0)),
            "Gather" when First() is { } x && inputs.Count > 1 && inputs[1] is { } i => Gather(x, i, (int)(node.Attribute("axis")?.Value as long? ?? 0)),
            "Slice" when First() is { Rank: 1 } x => SliceVector(node, x, inputs, opset),
            "ConstantOfShape" when First() is { } s => ConstantOfShape(node, s),
            "Transpose" when First() is { } x => TensorMath.Transpose(x, Permutation(node, x.Rank)),
            "Equal" when First() is { } a && inputs.Count > 1 && inputs[1] is { } b && a.DataType == b.DataType && DataTypes.IsNumeric(a.DataType) =>
                Compare(a, b),
            "Not" when First() is { DataType: DataType.Bool } x => Tensor.Create(x.Shape, x.As<bool>().Select(v => !v).ToArray()),
            _ => null,
        };
    }

    private static Tensor? Compare(Tensor a, Tensor b)
    {
        if (ShapeMath.TryBroadcast(a.Shape, b.Shape) is not { } shape) return null;
        var mapA = ShapeMath.BroadcastIndexMap(a.Shape, shape);
        var mapB = ShapeMath.BroadcastIndexMap(b.Shape, shape);
        var result = new bool[ShapeMath.ElementCount(shape)];
        bool integer = !DataTypes.IsFloat(a.DataType);
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = integer ? a.GetInt64(mapA[i]) == b.GetInt64(mapB[i]) : a.GetDouble(mapA[i]) == b.GetDouble(mapB[i]);
        }
        return Tensor.Create(shape, result);
    }

    /// <summary>Shape (and Size) need only the input's static shape, not its contents.</summary>
    public static Tensor? FromShape(Node node)
    {
        if (node.Domain.Length != 0 || node.Input(0) is not { } input || RuleContext.Shape(input) is not { } shape) return null;
        if (node.OpType == "Size") return Tensor.Scalar(ShapeMath.ElementCount(shape));
        if (node.OpType != "Shape") return null;
        int rank = shape.Length;
        int start = Clamp(node.Attribute("start")?.Value as long? ?? 0, rank);
        int end = Clamp(node.Attribute("end")?.Value as long? ?? rank, rank);
        var dims = shape.Skip(start).Take(Math.Max(0, end - start)).Select(d => (long)d).ToArray();
        return Tensor.Create([dims.Length], dims);
    }

    public static int[] Permutation(Node node, int rank) =>
        node.Attribute("perm")?.Value is long[] p ? p.Select(d => (int)d).ToArray() : Enumerable.Range(0, rank).Reverse().ToArray();

    private static int Clamp(long index, int rank) => (int)Math.Clamp(index < 0 ? index + rank : index, 0, rank);

    public static int[]? ReshapeTarget(int[] input, long[] target, bool allowZero)
    {
        var shape = new int[target.Length];
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long d = target[i];
            if (d == 0 && !allowZero) d = i < input.Length ? input[i] : -2;
            if (d == -1)
            {
                if (unknown >= 0) return null;
                unknown = i;
                continue;
            }
            if (d < 0) return null;
            shape[i] = (int)d;
            known *= d;
        }
        long total = ShapeMath.ElementCount(input);
        if (unknown >= 0)
        {
            if (known == 0 || total % known != 0) return null;
            shape[unknown] = (int)(total / known);
        }
        return ShapeMath.ElementCount(shape) == total ? shape : null;
    }

    private static long[]? Axes(Node node, List<Tensor?> inputs, bool axesAsInput) =>
        axesAsInput ? (inputs.Count > 1 ? inputs[1]?.ToInt64Array() : null) : node.Attribute("axes")?.Value as long[];

    private static int[] Squeezed(int[] shape, long[]? axes)
    {
        var drop = axes?.Select(a => (int)(a < 0 ? a + shape.Length : a)).ToHashSet();
        return shape.Where((d, i) => drop is null ? d != 1 : !drop.Contains(i)).ToArray();
    }

    private static int[] Unsqueezed(int[] shape, long[] axes)
    {
        int rank = shape.Length + axes.Length;
        var inserted = axes.Select(a => (int)(a < 0 ? a + rank : a)).ToHashSet();
        var result = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) result[i] = inserted.Contains(i) ? 1 : shape[k++];
        return result;
    }

    private static int[] Flattened(int[] shape, int axis)
    {
        if (axis < 0) axis += shape.Length;
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        return [(int)outer, (int)(ShapeMath.ElementCount(shape) / Math.Max(1, outer))];
    }

    private static Tensor? Concat(List<Tensor> parts, int axis)
    {
        var first = parts[0];
        if (axis < 0) axis += first.Rank;
        if (parts.Any(p => p.DataType != first.DataType || p.Rank != first.Rank)) return null;
        var shape = (int[])first.Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        var result = Tensor.Zeros(first.DataType, shape);
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        int offset = 0;
        int rowOut = (int)(ShapeMath.ElementCount(shape) / Math.Max(1, outer));
        foreach (var p in parts)
        {
            int row = (int)(p.Length / Math.Max(1, outer));
            for (long o = 0; o < outer; o++) Array.Copy(p.Data, o * row, result.Data, o * rowOut + offset, row);
            offset += row;
        }
        return result;
    }

    private static Tensor? Gather(Tensor data, Tensor indices, int axis)
    {
        if (axis < 0) axis += data.Rank;
        int size = data.Shape[axis];
        var index = indices.ToInt64Array().Select(i => i < 0 ? i + size : i).ToArray();
        if (index.Any(i => i < 0 || i >= size)) return null;
        var shape = data.Shape.Take(axis).Concat(indices.Shape).Concat(data.Shape.Skip(axis + 1)).ToArray();
        var result = Tensor.Zeros(data.DataType, shape);
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= data.Shape[i];
        int inner = (int)(ShapeMath.ElementCount(data.Shape.Skip(axis + 1).ToArray()));
        int k = 0;
        for (long o = 0; o < outer; o++)
        {
            foreach (var i in index)
            {
                Array.Copy(data.Data, (o * size + i) * inner, result.Data, k, inner);
                k += inner;
            }
        }
        return result;
    }

    private static Tensor? SliceVector(Node node, Tensor x, List<Tensor?> inputs, long opset)
    {
        long start, end, step = 1;
        if (opset < 10)
        {
            if (node.Attribute("starts")?.Value is not long[] s || node.Attribute("ends")?.Value is not long[] e || s.Length != 1) return null;
            (start, end) = (s[0], e[0]);
        }
        else
        {
            if (inputs.Count < 3 || inputs[1] is not { Length: 1 } s || inputs[2] is not { Length: 1 } e) return null;
            if (inputs.Count > 3 && inputs[3] is { } a && a.GetInt64(0) is not (0 or -1)) return null;
            if (inputs.Count > 4 && inputs[4] is { } st) step = st.GetInt64(0);
            (start, end) = (s.GetInt64(0), e.GetInt64(0));
        }
        if (step != 1) return null;
        int n = x.Length;
        long from = Math.Clamp(start < 0 ? start + n : start, 0, n);
        long to = Math.Clamp(end < 0 ? end + n : end, 0, n);
        int count = (int)Math.Max(0, to - from);
        var result = Tensor.Zeros(x.DataType, [count]);
        Array.Copy(x.Data, from, result.Data, 0, count);
        return result;
    }

    private static Tensor? ConstantOfShape(Node node, Tensor shape)
    {
        var dims = shape.ToInt64Array();
        if (dims.Any(d => d < 0)) return null;
        var fill = node.Attribute("value")?.Value as Tensor ?? Tensor.Create([1], new[] { 0f });
        var result = Tensor.Zeros(fill.DataType, dims.Select(d => (int)d).ToArray());
        var element = fill.Data.GetValue(0);
        for (int i = 0; i < result.Length; i++) result.Data.SetValue(element, i);
        return result;
    }
}
