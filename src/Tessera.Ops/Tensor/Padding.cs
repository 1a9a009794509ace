using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Pad (constant, reflect, edge, wrap; pads as attribute before opset 11, as input after; axes input
/// of opset 18; negative pads crop) and CenterCropPad (center crop or zero-pad each axis to a target size).</summary>
[Op("Pad")]
[Op("CenterCropPad")]
public sealed class Padding : Operator
{
    public override void Execute(KernelContext context)
    {
        if (context.OpType == "CenterCropPad")
        {
            CenterCropPad(context);
            return;
        }
        var input = context.Input(0);
        var (begin, end) = Pads(context, input.Rank);
        var mode = context.GetString("mode", "constant");
        if (mode is not ("constant" or "reflect" or "edge" or "wrap")) throw context.Unsupported($"Pad mode '{mode}'");
        if (begin.Concat(end).Any(p => System.Math.Abs(p) > int.MaxValue)) throw context.Invalid("pads are out of range");
        Layout.CheckOutputSize(input.Shape.Select((d, i) => System.Math.Max(d + begin[i] + end[i], 0)), context.Node.DisplayName);
        var index = new int[input.Rank][];
        for (int d = 0; d < input.Rank; d++)
        {
            int dim = input.Shape[d];
            long length = dim + begin[d] + end[d];
            if (length < 0) throw context.Invalid($"pads crop axis {d} of size {dim} below zero");
            if (dim == 0 && length > 0 && mode != "constant") throw context.Invalid($"cannot {mode}-pad an empty axis {d}");
            index[d] = new int[length];
            for (long i = 0; i < length; i++) index[d][i] = SourceIndex(i - begin[d], dim, mode);
        }
        context.SetOutput(0, Layout.GatherAxes(input, index, mode == "constant" ? FillValue(context, input) : null));
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var shape = Layout.ShapeOf(context, 0);
        if (shape is null)
        {
            context.SetOutput(0, type, null);
            return;
        }
        if (context.OpType == "CenterCropPad")
        {
            var target = Layout.ConstantLongs(context, 1);
            var dims = shape.Dims.ToArray();
            var axes = context.GetInts("axes") is { } a ? Layout.NormalizeAxes(a, dims.Length, context.Node.DisplayName) : Enumerable.Range(0, dims.Length).ToArray();
            if (target is not null && target.Length != axes.Length) throw new InvalidInputException("shape does not match axes", context.Node.DisplayName);
            for (int i = 0; i < axes.Length; i++) dims[axes[i]] = target is not null ? Dim.Known(target[i]) : Dim.Unknown;
            context.SetOutput(0, type, new TensorShape(dims));
            return;
        }
        bool known = context.Opset < 11 || (Layout.ConstantLongs(context, 1) is not null && (!context.HasInput(3) || Layout.ConstantLongs(context, 3) is not null));
        if (!known)
        {
            context.SetOutput(0, type, new TensorShape(Enumerable.Repeat(Dim.Unknown, shape.Rank)));
            return;
        }
        var (begin, end) = StaticPads(context, shape.Rank);
        var result = shape.Dims.Select((d, i) => begin[i] == 0 && end[i] == 0 ? d : d.IsKnown ? Dim.Known(d.Value + begin[i] + end[i]) : Dim.Unknown);
        context.SetOutput(0, type, new TensorShape(result));
    }

    /// <summary>Where output position <paramref name="i"/> (relative to the input's start) reads from; -1 for the constant.</summary>
    private static int SourceIndex(long i, int dim, string mode)
    {
        if (i >= 0 && i < dim) return (int)i;
        switch (mode)
        {
            case "edge":
                return i < 0 ? 0 : dim - 1;
            case "wrap":
                return (int)(((i % dim) + dim) % dim);
            case "reflect":
                if (dim == 1) return 0;
                long period = 2L * (dim - 1);
                long m = ((i % period) + period) % period;
                return (int)(m < dim ? m : period - m);
            default:
                return -1;
        }
    }

    private static (long[] Begin, long[] End) Pads(KernelContext context, int rank)
    {
        long[] pads;
        long[]? axes = null;
        if (context.Opset < 11)
        {
            pads = context.GetInts(context.Opset < 2 ? "paddings" : "pads") ?? context.GetInts("pads") ?? throw context.MissingAttribute("pads");
        }
        else
        {
            pads = Layout.Longs(context.Input(1));
            axes = context.OptionalInput(3) is { } a ? Layout.Longs(a) : null;
        }
        return Split(pads, axes, rank, context.Node.DisplayName);
    }

    private static (long[] Begin, long[] End) StaticPads(InferenceContext context, int rank)
    {
        long[] pads = context.Opset < 11
            ? context.GetInts(context.Opset < 2 ? "paddings" : "pads") ?? context.GetInts("pads") ?? throw context.MissingAttribute("pads")
            : Layout.ConstantLongs(context, 1)!;
        var axes = context.Opset >= 11 && context.HasInput(3) ? Layout.ConstantLongs(context, 3) : null;
        return Split(pads, axes, rank, context.Node.DisplayName);
    }

    private static (long[] Begin, long[] End) Split(long[] pads, long[]? axes, int rank, string where)
    {
        var normalized = axes is null ? Enumerable.Range(0, rank).ToArray() : Layout.NormalizeAxes(axes, rank, where);
        if (pads.Length != 2 * normalized.Length) throw new InvalidInputException($"pads has {pads.Length} entries for {normalized.Length} axes", where);
        var begin = new long[rank];
        var end = new long[rank];
        for (int i = 0; i < normalized.Length; i++)
        {
            begin[normalized[i]] = pads[i];
            end[normalized[i]] = pads[i + normalized.Length];
        }
        return (begin, end);
    }

    private static Tensor FillValue(KernelContext context, Tensor input)
    {
        if (context.Opset >= 11)
        {
            if (context.OptionalInput(2) is { Length: > 0 } value)
            {
                if (value.DataType != input.DataType) throw context.Invalid("constant_value has a different type than the data");
                return value;
            }
            return Tensor.Zeros(input.DataType, []);
        }
        var fill = Tensor.Zeros(input.DataType, []);
        if (input.DataType != DataType.String) fill.SetDouble(0, context.GetFloat("value", 0));
        return fill;
    }

    private static void CenterCropPad(KernelContext context)
    {
        var input = context.Input(0);
        var target = Layout.Longs(context.Input(1));
        var axes = context.GetInts("axes") is { } a
            ? Layout.NormalizeAxes(a, input.Rank, context.Node.DisplayName)
            : Enumerable.Range(0, input.Rank).ToArray();
        if (target.Length != axes.Length) throw context.Invalid($"shape has {target.Length} entries for {axes.Length} axes");
        var outputDims = input.Shape.Select(d => (long)d).ToArray();
        for (int i = 0; i < axes.Length; i++) outputDims[axes[i]] = target[i];
        Layout.CheckOutputSize(outputDims, context.Node.DisplayName);
        var index = new int[input.Rank][];
        for (int d = 0; d < input.Rank; d++) index[d] = Enumerable.Range(0, input.Shape[d]).ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            int dim = input.Shape[axes[i]];
            long size = target[i];
            if (size < 0 || size > int.MaxValue) throw context.Invalid($"target size {size} is invalid");
            var list = new int[size];
            if (size <= dim)
            {
                long offset = (dim - size) / 2;
                for (int k = 0; k < size; k++) list[k] = (int)(offset + k);
            }
            else
            {
                long offset = (size - dim) / 2;
                for (int k = 0; k < size; k++) list[k] = k - offset >= 0 && k - offset < dim ? (int)(k - offset) : -1;
            }
            index[axes[i]] = list;
        }
        context.SetOutput(0, Layout.GatherAxes(input, index));
    }
}
