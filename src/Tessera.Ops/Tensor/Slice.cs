using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Slice: starts/ends/axes as attributes before opset 10; starts, ends, axes, steps as inputs after.
/// Negative starts/ends count from the end; out-of-range values clamp (to [0, dim] for positive steps,
/// [-1, dim-1] for negative steps).</summary>
[Op("Slice")]
public sealed class Slice : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var (starts, ends, axes, steps) = Arguments(context);
        var index = new int[input.Rank][];
        for (int d = 0; d < input.Rank; d++) index[d] = Enumerable.Range(0, input.Shape[d]).ToArray();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = axes[i];
            var (start, step, count) = Resolve(starts[i], ends[i], steps[i], input.Shape[axis], context);
            index[axis] = new int[count];
            for (int k = 0; k < count; k++) index[axis][k] = (int)(start + k * step);
        }
        context.SetOutput(0, Layout.GatherAxes(input, index));
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        if (Layout.ShapeOf(context, 0) is not { } shape)
        {
            context.SetOutput(0, type, null);
            return;
        }
        var dims = shape.Dims.ToArray();
        long[]? starts, ends, axes, steps = null;
        if (context.Opset < 10)
        {
            starts = context.GetInts("starts");
            ends = context.GetInts("ends");
            axes = context.GetInts("axes");
        }
        else
        {
            starts = Layout.ConstantLongs(context, 1);
            ends = Layout.ConstantLongs(context, 2);
            axes = context.HasInput(3) ? Layout.ConstantLongs(context, 3) : null;
            steps = context.HasInput(4) ? Layout.ConstantLongs(context, 4) : null;
            if ((context.HasInput(3) && axes is null) || (context.HasInput(4) && steps is null)) starts = null;
        }
        if (starts is null || ends is null)
        {
            context.SetOutput(0, type, new TensorShape(Enumerable.Repeat(Dim.Unknown, dims.Length)));
            return;
        }
        var normalized = axes is null
            ? Enumerable.Range(0, starts.Length).ToArray()
            : Layout.NormalizeAxes(axes, dims.Length, context.Node.DisplayName);
        if (ends.Length != starts.Length || normalized.Length != starts.Length || (steps is not null && steps.Length != starts.Length))
        {
            throw new InvalidInputException("starts, ends, axes and steps differ in length", context.Node.DisplayName);
        }
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = normalized[i];
            long step = steps?[i] ?? 1;
            dims[axis] = dims[axis].IsKnown
                ? Dim.Known(Resolve(starts[i], ends[i], step, dims[axis].Value, null).Count)
                : Dim.Unknown;
        }
        context.SetOutput(0, type, new TensorShape(dims));
    }

    private static (long[] Starts, long[] Ends, int[] Axes, long[] Steps) Arguments(KernelContext context)
    {
        string where = context.Node.DisplayName;
        int rank = context.Input(0).Rank;
        long[] starts, ends;
        long[]? axes, steps = null;
        if (context.Opset < 10)
        {
            starts = context.GetInts("starts") ?? throw context.MissingAttribute("starts");
            ends = context.GetInts("ends") ?? throw context.MissingAttribute("ends");
            axes = context.GetInts("axes");
        }
        else
        {
            starts = Layout.Longs(context.Input(1));
            ends = Layout.Longs(context.Input(2));
            axes = context.OptionalInput(3) is { } a ? Layout.Longs(a) : null;
            steps = context.OptionalInput(4) is { } s ? Layout.Longs(s) : null;
        }
        if (ends.Length != starts.Length) throw new InvalidInputException($"starts has {starts.Length} entries but ends has {ends.Length}", where);
        var normalized = axes is null ? Enumerable.Range(0, starts.Length).ToArray() : Layout.NormalizeAxes(axes, rank, where);
        if (normalized.Length != starts.Length) throw new InvalidInputException("axes and starts differ in length", where);
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (steps.Length != starts.Length) throw new InvalidInputException("steps and starts differ in length", where);
        return (starts, ends, normalized, steps);
    }

    /// <summary>First index, step and element count of one axis after clamping.</summary>
    private static (long Start, long Step, int Count) Resolve(long start, long end, long step, long dim, KernelContext? context)
    {
        if (step == 0) throw new InvalidInputException("slice step is 0", context?.Node.DisplayName);
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        long count;
        if (dim == 0)
        {
            return (0, step, 0);
        }
        if (step > 0)
        {
            start = System.Math.Clamp(start, 0, dim);
            end = System.Math.Clamp(end, 0, dim);
            count = end > start ? ((end - start - 1) / step) + 1 : 0;
        }
        else
        {
            start = System.Math.Clamp(start, 0, dim - 1);
            end = System.Math.Clamp(end, -1, dim - 1);
            count = start > end ? ((start - end - 1) / -step) + 1 : 0;
        }
        return (start, step, (int)count);
    }
}
