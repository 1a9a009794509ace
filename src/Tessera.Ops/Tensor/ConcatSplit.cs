using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Concat along an axis (negative from opset 11). Blocks are copied with Array.Copy.</summary>
[Op("Concat")]
public sealed class Concat : Operator
{
    public override void Execute(KernelContext context)
    {
        var inputs = Enumerable.Range(0, context.InputCount).Select(context.OptionalInput).OfType<Tensor>().ToList();
        if (inputs.Count == 0) throw new ModelFormatException("Concat has no inputs", context.Node.DisplayName);
        var first = inputs[0];
        int rank = first.Rank;
        if (rank == 0) throw context.Invalid("Concat of scalars");
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis"), rank, context.Node.DisplayName);
        var shape = (int[])first.Shape.Clone();
        shape[axis] = 0;
        foreach (var t in inputs)
        {
            if (t.DataType != first.DataType) throw context.Invalid("Concat inputs have different types");
            if (t.Rank != rank) throw context.Invalid("Concat inputs have different ranks");
            for (int d = 0; d < rank; d++)
            {
                if (d != axis && t.Shape[d] != first.Shape[d])
                {
                    throw context.Invalid($"Concat input shapes {ShapeMath.Format(first.Shape)} and {ShapeMath.Format(t.Shape)} differ outside axis {axis}");
                }
            }
            shape[axis] += t.Shape[axis];
        }
        var result = Tensor.Zeros(first.DataType, shape);
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        int outBlock = outer == 0 ? 0 : result.Length / outer;
        int offset = 0;
        foreach (var t in inputs)
        {
            int block = outer == 0 ? 0 : t.Length / outer;
            for (int o = 0; o < outer && block > 0; o++) Array.Copy(t.Data, o * block, result.Data, o * outBlock + offset, block);
            offset += block;
        }
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context)
    {
        var shapes = Enumerable.Range(0, context.InputCount).Select(i => Layout.ShapeOf(context, i)).ToList();
        var type = Layout.TypeOf(context, 0);
        var known = shapes.FirstOrDefault(s => s is not null);
        if (known is null || shapes.Any(s => s is null))
        {
            context.SetOutput(0, type, known is null ? null : new TensorShape(Enumerable.Repeat(Dim.Unknown, known.Rank)));
            return;
        }
        if (shapes.Any(s => s!.Rank != known.Rank)) throw new InvalidInputException("Concat inputs have different ranks", context.Node.DisplayName);
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis"), known.Rank, context.Node.DisplayName);
        var dims = new Dim[known.Rank];
        for (int d = 0; d < dims.Length; d++)
        {
            dims[d] = d == axis
                ? (shapes.All(s => s![d].IsKnown) ? Dim.Known(shapes.Sum(s => s![d].Value)) : Dim.Unknown)
                : shapes.Select(s => s![d]).FirstOrDefault(x => x.IsKnown, shapes[0]![d]);
        }
        context.SetOutput(0, type, new TensorShape(dims));
    }
}

/// <summary>Split along an axis into the sizes given by 'split' (attribute before opset 13, input after),
/// or into equal parts (num_outputs of opset 18, or the output count): ceil-sized chunks, the last one smaller.</summary>
[Op("Split")]
public sealed class Split : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), input.Rank, context.Node.DisplayName);
        var sizes = Sizes(context, input.Shape[axis], context.Opset >= 13 && context.OptionalInput(1) is { } s ? Layout.Longs(s) : null);
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= input.Shape[d];
        int inner = 1;
        for (int d = axis + 1; d < input.Rank; d++) inner *= input.Shape[d];
        int inBlock = input.Shape[axis] * inner;
        int start = 0;
        for (int k = 0; k < sizes.Length; k++)
        {
            var shape = (int[])input.Shape.Clone();
            shape[axis] = sizes[k];
            var part = Tensor.Zeros(input.DataType, shape);
            int block = sizes[k] * inner;
            for (int o = 0; o < outer && block > 0; o++) Array.Copy(input.Data, o * inBlock + start * inner, part.Data, o * block, block);
            start += sizes[k];
            context.SetOutput(k, part);
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var shape = Layout.ShapeOf(context, 0);
        int count = context.Node.Outputs.Count;
        if (shape is null)
        {
            for (int k = 0; k < count; k++) context.SetOutput(k, type, null);
            return;
        }
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), shape.Rank, context.Node.DisplayName);
        long[]? given = context.Opset >= 13 && context.HasInput(1) ? Layout.ConstantLongs(context, 1) : null;
        bool sizesKnown = shape[axis].IsKnown && !(context.Opset >= 13 && context.HasInput(1) && given is null);
        int[]? sizes = sizesKnown ? Sizes(context, (int)shape[axis].Value, given) : null;
        for (int k = 0; k < count; k++)
        {
            var dims = shape.Dims.ToArray();
            dims[axis] = sizes is not null ? Dim.Known(sizes[k]) : Dim.Unknown;
            context.SetOutput(k, type, new TensorShape(dims));
        }
    }

    private static int[] Sizes(AttributeReader a, int length, long[]? splitInput)
    {
        string where = a.Node.DisplayName;
        var split = splitInput ?? a.GetInts("split");
        int count = a.Node.Outputs.Count;
        if (split is not null && split.Length > 0)
        {
            if (split.Length != count) throw new ModelFormatException($"split has {split.Length} entries for {count} outputs", where);
            if (split.Any(s => s < 0) || split.Sum() != length) throw new InvalidInputException($"split sizes [{string.Join(",", split)}] do not add up to {length}", where);
            return split.Select(s => (int)s).ToArray();
        }
        int parts = (int)a.GetInt("num_outputs", count);
        if (parts != count) throw new ModelFormatException($"num_outputs {parts} differs from the output count {count}", where);
        if (parts <= 0) throw new ModelFormatException("Split has no outputs", where);
        int chunk = (length + parts - 1) / parts;
        var sizes = new int[parts];
        int left = length;
        for (int k = 0; k < parts; k++)
        {
            sizes[k] = System.Math.Min(chunk, left);
            left -= sizes[k];
        }
        return sizes;
    }
}
