using Tessera.Core;
using Tessera.Ops.TensorOps;

namespace Tessera.Ops.Indexing;

/// <summary>ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along the
/// time axis and keeps the rest in place (batch_axis default 1, time_axis default 0, one of them 0 and the other 1).</summary>
[Op("ReverseSequence")]
public sealed class ReverseSequence : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var lengths = Layout.Longs(context.Input(1));
        if (input.Rank < 2) throw context.Invalid("ReverseSequence needs rank 2 or more");
        int batchAxis = ShapeMath.NormalizeAxis(context.GetInt("batch_axis", 1), input.Rank, context.Node.DisplayName);
        int timeAxis = ShapeMath.NormalizeAxis(context.GetInt("time_axis", 0), input.Rank, context.Node.DisplayName);
        if (batchAxis == timeAxis || batchAxis > 1 || timeAxis > 1) throw context.Invalid("batch_axis and time_axis must be 0 and 1");
        int batch = input.Shape[batchAxis], time = input.Shape[timeAxis];
        if (lengths.Length != batch) throw context.Invalid($"sequence_lens has {lengths.Length} entries for batch {batch}");
        int inner = input.Shape.Skip(2).Aggregate(1, (a, b) => a * b);
        var strides = ShapeMath.Strides(input.Shape);
        var result = Tensor.Zeros(input.DataType, input.Shape);
        for (int b = 0; b < batch; b++)
        {
            long length = lengths[b];
            if (length < 0 || length > time) throw context.Invalid($"sequence length {length} is out of range [0, {time}]");
            for (int t = 0; t < time; t++)
            {
                int from = t < length ? (int)length - 1 - t : t;
                int target = (b * strides[batchAxis]) + (t * strides[timeAxis]);
                int source = (b * strides[batchAxis]) + (from * strides[timeAxis]);
                if (inner > 0) Array.Copy(input.Data, source, result.Data, target, inner);
            }
        }
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);
}
