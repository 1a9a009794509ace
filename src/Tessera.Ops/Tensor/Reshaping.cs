using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Reshape: 0 copies the input dim (unless allowzero, opset 14), -1 takes the remaining size.
/// The data is shared, not copied (tensors are never mutated in place).</summary>
[Op("Reshape")]
public sealed class Reshape : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var requested = context.Opset < 5
            ? context.GetInts("shape") ?? throw context.MissingAttribute("shape")
            : Layout.Longs(context.Input(1));
        bool allowZero = context.GetInt("allowzero", 0) != 0;
        var dims = new int[requested.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < requested.Length; i++)
        {
            long d = requested[i];
            if (d == 0 && !allowZero)
            {
                if (i >= input.Rank) throw context.Invalid($"shape entry {i} is 0 but the input has rank {input.Rank}");
                d = input.Shape[i];
            }
            if (d == -1)
            {
                if (inferred >= 0) throw context.Invalid("shape has more than one -1");
                inferred = i;
                continue;
            }
            if (d < 0 || d > int.MaxValue) throw context.Invalid($"shape entry {d} is invalid");
            dims[i] = (int)d;
            known *= d;
        }
        if (inferred >= 0)
        {
            if (known == 0 || input.Length % known != 0)
            {
                throw context.Invalid($"cannot reshape {ShapeMath.Format(input.Shape)} to [{string.Join(",", requested)}]");
            }
            dims[inferred] = (int)(input.Length / known);
        }
        if (ShapeMath.ElementCount(dims) != input.Length)
        {
            throw context.Invalid($"cannot reshape {ShapeMath.Format(input.Shape)} to {ShapeMath.Format(dims)}");
        }
        context.SetOutput(0, input.Reshape(dims));
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var requested = context.Opset < 5 ? context.GetInts("shape") : Layout.ConstantLongs(context, 1);
        if (requested is null)
        {
            var shapeShape = Layout.ShapeOf(context, 1);
            context.SetOutput(0, type, shapeShape is { Rank: 1 } && shapeShape[0].IsKnown
                ? new TensorShape(Enumerable.Repeat(Dim.Unknown, (int)shapeShape[0].Value))
                : null);
            return;
        }
        var input = Layout.ShapeOf(context, 0);
        bool allowZero = context.GetInt("allowzero", 0) != 0;
        var dims = new Dim[requested.Length];
        int inferred = -1;
        var outputSymbols = new List<string>();
        long outputKnown = 1;
        bool outputUnknown = false;
        for (int i = 0; i < requested.Length; i++)
        {
            long d = requested[i];
            if (d == -1) { inferred = i; continue; }
            dims[i] = d == 0 && !allowZero ? (input is not null && i < input.Rank ? input[i] : Dim.Unknown) : Dim.Known(d);
            if (dims[i].IsKnown) outputKnown *= dims[i].Value;
            else if (dims[i].Symbol is { } s) outputSymbols.Add(s);
            else outputUnknown = true;
        }
        if (inferred >= 0)
        {
            dims[inferred] = Dim.Unknown;
            if (input is not null && !outputUnknown && outputKnown != 0)
            {
                long inputKnown = 1;
                var inputSymbols = new List<string>();
                bool inputUnknown = false;
                foreach (var d in input.Dims)
                {
                    if (d.IsKnown) inputKnown *= d.Value;
                    else if (d.Symbol is { } s) inputSymbols.Add(s);
                    else inputUnknown = true;
                }
                inputSymbols.Sort(StringComparer.Ordinal);
                outputSymbols.Sort(StringComparer.Ordinal);
                if (!inputUnknown && inputSymbols.SequenceEqual(outputSymbols) && inputKnown % outputKnown == 0)
                {
                    dims[inferred] = Dim.Known(inputKnown / outputKnown);
                }
            }
        }
        context.SetOutput(0, type, new TensorShape(dims));
    }
}

/// <summary>Flatten: [d0..d(axis-1)] and [d(axis)..] collapse into a 2-D tensor (axis may be negative from opset 11).</summary>
[Op("Flatten")]
public sealed class Flatten : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        int axis = Axis(context, input.Rank);
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= input.Shape[i];
        long inner = 1;
        for (int i = axis; i < input.Rank; i++) inner *= input.Shape[i];
        context.SetOutput(0, input.Reshape([(int)outer, (int)inner]));
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        if (Layout.ShapeOf(context, 0) is not { } shape)
        {
            context.SetOutput(0, type, new TensorShape([Dim.Unknown, Dim.Unknown]));
            return;
        }
        int axis = Axis(context, shape.Rank);
        Dim Collapse(IEnumerable<Dim> dims)
        {
            var list = dims.ToList();
            var notOne = list.Where(d => !(d.IsKnown && d.Value == 1)).ToList();
            return notOne.Count == 1 ? notOne[0] : Layout.Product(list);
        }
        context.SetOutput(0, type, new TensorShape([Collapse(shape.Dims.Take(axis)), Collapse(shape.Dims.Skip(axis))]));
    }

    private static int Axis(AttributeReader a, int rank)
    {
        long axis = a.GetInt("axis", 1);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis > rank) throw new InvalidInputException($"Flatten axis {a.GetInt("axis", 1)} is out of range for rank {rank}", a.Node.DisplayName);
        return (int)axis;
    }
}

/// <summary>Squeeze and Unsqueeze: remove or insert size-1 dims. Axes are an attribute before opset 13 and
/// an optional input from 13; Squeeze without axes removes every size-1 dim.</summary>
[Op("Squeeze")]
[Op("Unsqueeze")]
public sealed class SqueezeUnsqueeze : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var axes = context.Opset < 13 ? context.GetInts("axes") : context.OptionalInput(1) is { } t ? Layout.Longs(t) : null;
        var dims = OutputDims(context, input.Shape.Select(d => Dim.Known(d)).ToArray(), axes);
        context.SetOutput(0, input.Reshape(dims.Select(d => (int)d.Value).ToArray()));
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var shape = Layout.ShapeOf(context, 0);
        long[]? axes;
        if (context.Opset < 13) axes = context.GetInts("axes");
        else if (!context.HasInput(1)) axes = null;
        else axes = Layout.ConstantLongs(context, 1);
        bool axesKnown = axes is not null || context.Opset < 13 || !context.HasInput(1);
        if (shape is not null && !axesKnown && Layout.ShapeOf(context, 1) is { Rank: 1 } axesShape && axesShape[0].IsKnown)
        {
            // Axes computed at run time: only the output rank is known.
            int rank = shape.Rank + (context.OpType == "Squeeze" ? -1 : 1) * (int)axesShape[0].Value;
            context.SetOutput(0, type, rank >= 0 ? new TensorShape(Enumerable.Repeat(Dim.Unknown, rank)) : null);
            return;
        }
        if (shape is null || !axesKnown || (axes is null && context.OpType == "Squeeze" && shape.Dims.Any(d => !d.IsKnown)))
        {
            context.SetOutput(0, type, null);
            return;
        }
        context.SetOutput(0, type, new TensorShape(OutputDims(context, shape.Dims.ToArray(), axes)));
    }

    private static Dim[] OutputDims(AttributeReader a, Dim[] input, long[]? axes)
    {
        string where = a.Node.DisplayName;
        if (a.OpType == "Squeeze")
        {
            if (axes is null) return input.Where(d => !(d.IsKnown && d.Value == 1)).ToArray();
            var remove = Layout.NormalizeAxes(axes, input.Length, where);
            foreach (int r in remove)
            {
                if (input[r].IsKnown && input[r].Value != 1) throw new InvalidInputException($"cannot squeeze axis {r} of size {input[r].Value}", where);
            }
            return input.Where((_, i) => !remove.Contains(i)).ToArray();
        }
        if (axes is null) throw new ModelFormatException("Unsqueeze needs axes", where);
        int rank = input.Length + axes.Length;
        var insert = Layout.NormalizeAxes(axes, rank, where);
        var result = new Dim[rank];
        int next = 0;
        for (int i = 0; i < rank; i++) result[i] = insert.Contains(i) ? Dim.Known(1) : input[next++];
        return result;
    }
}
