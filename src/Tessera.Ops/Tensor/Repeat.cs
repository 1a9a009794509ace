using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Expand (numpy broadcast of the input to a shape, in both directions) and Tile (repeat along each axis).</summary>
[Op("Expand")]
[Op("Tile")]
public sealed class Repeat : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var requested = Layout.Longs(context.Input(1));
        if (context.OpType == "Expand")
        {
            var target = ShapeMath.ToIntShape(requested.Select(d => System.Math.Max(d, 0)), context.Node.DisplayName);
            var shape = ShapeMath.Broadcast(input.Shape, target);
            Layout.CheckOutputSize(shape.Select(d => (long)d), context.Node.DisplayName);
            int offset = shape.Length - input.Rank;
            var aligned = input.Reshape(Enumerable.Repeat(1, offset).Concat(input.Shape).ToArray());
            var index = new int[shape.Length][];
            for (int d = 0; d < shape.Length; d++)
            {
                index[d] = aligned.Shape[d] == 1 ? new int[shape[d]] : Enumerable.Range(0, shape[d]).ToArray();
            }
            context.SetOutput(0, Layout.GatherAxes(aligned, index));
        }
        else
        {
            if (requested.Length != input.Rank) throw context.Invalid($"Tile repeats has {requested.Length} entries for rank {input.Rank}");
            if (requested.Any(r => r < 0 || r > int.MaxValue)) throw context.Invalid($"Tile repeats [{string.Join(",", requested)}] are out of range");
            Layout.CheckOutputSize(input.Shape.Select((d, i) => d * requested[i]), context.Node.DisplayName);
            var index = new int[input.Rank][];
            for (int d = 0; d < input.Rank; d++)
            {
                long n = input.Shape[d] * requested[d];
                int dim = input.Shape[d];
                index[d] = new int[n];
                for (int i = 0; i < n; i++) index[d][i] = i % dim;
            }
            context.SetOutput(0, Layout.GatherAxes(input, index));
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var shape = Layout.ShapeOf(context, 0);
        var requested = Layout.ConstantLongs(context, 1);
        if (requested is null)
        {
            var arg = Layout.ShapeOf(context, 1);
            int? rank = arg is { Rank: 1 } && arg[0].IsKnown ? (int)arg[0].Value : null;
            if (context.OpType == "Tile") rank = shape?.Rank ?? rank;
            else if (rank is not null && shape is not null) rank = System.Math.Max(rank.Value, shape.Rank);
            context.SetOutput(0, type, rank is { } r ? new TensorShape(Enumerable.Repeat(Dim.Unknown, r)) : null);
            return;
        }
        if (shape is null)
        {
            context.SetOutput(0, type, null);
            return;
        }
        if (context.OpType == "Expand")
        {
            context.SetOutput(0, type, ShapeInferenceRules.BroadcastShapes([shape, new TensorShape(requested)]));
            return;
        }
        if (requested.Length != shape.Rank) throw new InvalidInputException("Tile repeats do not match the input rank", context.Node.DisplayName);
        var dims = shape.Dims.Select((d, i) => d.IsKnown ? Dim.Known(d.Value * requested[i]) : requested[i] == 1 ? d : Dim.Unknown);
        context.SetOutput(0, type, new TensorShape(dims));
    }
}
