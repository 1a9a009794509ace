using Tessera.Core;
using Tessera.Ops.TensorOps;

namespace Tessera.Ops.Indexing;

/// <summary>Gather (take slices along an axis), GatherElements (take single elements along an axis, indices
/// shaped like the output) and GatherND (take slices addressed by index tuples, with batch_dims).
/// Negative indices count from the end; out-of-range indices are an error.</summary>
[Op("Gather")]
[Op("GatherElements")]
[Op("GatherND")]
public sealed class Gathering : Operator
{
    public override void Execute(KernelContext context)
    {
        var data = context.Input(0);
        var indices = context.Input(1);
        if (!DataTypes.IsInteger(indices.DataType)) throw context.Invalid($"indices must be integers, got {DataTypes.Name(indices.DataType)}");
        var result = context.OpType switch
        {
            "Gather" => Gather(context, data, indices),
            "GatherElements" => GatherElements(context, data, indices),
            _ => GatherNd(context, data, indices),
        };
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var data = Layout.ShapeOf(context, 0);
        var indices = Layout.ShapeOf(context, 1);
        if (data is null || indices is null)
        {
            context.SetOutput(0, type, null);
            return;
        }
        switch (context.OpType)
        {
            case "Gather":
                int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), data.Rank, context.Node.DisplayName);
                context.SetOutput(0, type, new TensorShape([.. data.Dims.Take(axis), .. indices.Dims, .. data.Dims.Skip(axis + 1)]));
                break;
            case "GatherElements":
                context.SetOutput(0, type, indices);
                break;
            default:
                int batch = (int)context.GetInt("batch_dims", 0);
                if (indices.Rank == 0 || !indices[indices.Rank - 1].IsKnown)
                {
                    context.SetOutput(0, type, null);
                    return;
                }
                int k = (int)indices[indices.Rank - 1].Value;
                context.SetOutput(0, type, new TensorShape([.. indices.Dims.Take(indices.Rank - 1), .. data.Dims.Skip(batch + k)]));
                break;
        }
    }

    private static int Wrap(long index, int dim, KernelContext context)
    {
        long i = index < 0 ? index + dim : index;
        if (i < 0 || i >= dim) throw context.Invalid($"index {index} is out of range for a dimension of size {dim}");
        return (int)i;
    }

    private static Tensor Gather(KernelContext context, Tensor data, Tensor indices)
    {
        if (data.Rank == 0) throw context.Invalid("Gather of a scalar");
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), data.Rank, context.Node.DisplayName);
        int dim = data.Shape[axis];
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= data.Shape[d];
        int inner = 1;
        for (int d = axis + 1; d < data.Rank; d++) inner *= data.Shape[d];
        var idx = indices.ToInt64Array().Select(i => Wrap(i, dim, context)).ToArray();
        var result = Tensor.Zeros(data.DataType, [.. data.Shape.Take(axis), .. indices.Shape, .. data.Shape.Skip(axis + 1)]);
        if (result.Length == 0) return result;
        if (inner == 1)
        {
            var map = new int[result.Length];
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < idx.Length; j++) map[(o * idx.Length) + j] = (o * dim) + idx[j];
            }
            ElementMover.For(data.Data).Gather(data.Data, map, result.Data);
            return result;
        }
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < idx.Length; j++)
            {
                Array.Copy(data.Data, ((o * dim) + idx[j]) * inner, result.Data, ((o * idx.Length) + j) * inner, inner);
            }
        }
        return result;
    }

    private static Tensor GatherElements(KernelContext context, Tensor data, Tensor indices)
    {
        if (indices.Rank != data.Rank) throw context.Invalid("indices and data must have the same rank");
        int rank = data.Rank;
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), rank, context.Node.DisplayName);
        var result = Tensor.Zeros(data.DataType, indices.Shape);
        if (result.Length == 0) return result;
        var strides = ShapeMath.Strides(data.Shape);
        var map = new int[result.Length];
        var position = new int[rank];
        for (int n = 0; n < map.Length; n++)
        {
            int source = 0;
            for (int d = 0; d < rank; d++)
            {
                int i = d == axis ? Wrap(indices.GetInt64(n), data.Shape[d], context) : position[d];
                if (i >= data.Shape[d]) throw context.Invalid($"indices shape {ShapeMath.Format(indices.Shape)} exceeds data shape {ShapeMath.Format(data.Shape)}");
                source += i * strides[d];
            }
            map[n] = source;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++position[d] < indices.Shape[d]) break;
                position[d] = 0;
            }
        }
        ElementMover.For(data.Data).Gather(data.Data, map, result.Data);
        return result;
    }

    private static Tensor GatherNd(KernelContext context, Tensor data, Tensor indices)
    {
        int batchDims = (int)context.GetInt("batch_dims", 0);
        if (indices.Rank < 1) throw context.Invalid("GatherND indices must have rank 1 or more");
        int k = indices.Shape[^1];
        if (batchDims < 0 || batchDims + k > data.Rank || batchDims >= indices.Rank) throw context.Invalid("GatherND indices do not fit the data rank");
        for (int d = 0; d < batchDims; d++)
        {
            if (data.Shape[d] != indices.Shape[d]) throw context.Invalid("GatherND batch dims of data and indices differ");
        }
        int batches = data.Shape.Take(batchDims).Aggregate(1, (a, b) => a * b);
        int slice = data.Shape.Skip(batchDims + k).Aggregate(1, (a, b) => a * b);
        int batchStride = data.Shape.Skip(batchDims).Aggregate(1, (a, b) => a * b);
        var strides = ShapeMath.Strides(data.Shape);
        var result = Tensor.Zeros(data.DataType, [.. indices.Shape.Take(indices.Rank - 1), .. data.Shape.Skip(batchDims + k)]);
        int tuples = indices.Length / System.Math.Max(k, 1);
        if (k == 0) tuples = indices.Shape.Take(indices.Rank - 1).Aggregate(1, (a, b) => a * b);
        int perBatch = batches == 0 ? 0 : tuples / batches;
        var idx = indices.ToInt64Array();
        for (int t = 0; t < tuples; t++)
        {
            int source = (t / System.Math.Max(perBatch, 1)) * batchStride;
            for (int j = 0; j < k; j++) source += Wrap(idx[(t * k) + j], data.Shape[batchDims + j], context) * strides[batchDims + j];
            if (slice > 0) Array.Copy(data.Data, source, result.Data, t * slice, slice);
        }
        return result;
    }
}
