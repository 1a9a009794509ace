using Tessera.Core;
using Tessera.Ops.TensorOps;

namespace Tessera.Ops.Indexing;

/// <summary>Scatter (deprecated alias of ScatterElements without reduction), ScatterElements and ScatterND:
/// a copy of data with the addressed elements or slices replaced by (or reduced with: add, mul, max, min)
/// the updates, applied in index order.</summary>
[Op("Scatter")]
[Op("ScatterElements")]
[Op("ScatterND")]
public sealed class Scattering : Operator
{
    public override void Execute(KernelContext context)
    {
        var data = context.Input(0);
        var indices = context.Input(1);
        var updates = context.Input(2);
        if (!DataTypes.IsInteger(indices.DataType)) throw context.Invalid($"indices must be integers, got {DataTypes.Name(indices.DataType)}");
        if (updates.DataType != data.DataType) throw context.Invalid("updates and data have different types");
        var reduction = context.GetString("reduction", "none");
        if (reduction is not ("none" or "add" or "mul" or "max" or "min")) throw context.Unsupported($"reduction '{reduction}'");
        if (reduction != "none" && data.DataType is DataType.String or DataType.Bool) throw context.Unsupported($"reduction '{reduction}' on {DataTypes.Name(data.DataType)}");
        var result = data.Clone();
        if (context.OpType == "ScatterND") ScatterNd(context, result, indices, updates, reduction);
        else ScatterElements(context, result, indices, updates, reduction);
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);

    private static void ScatterElements(KernelContext context, Tensor result, Tensor indices, Tensor updates, string reduction)
    {
        int rank = result.Rank;
        if (indices.Rank != rank || !indices.Shape.AsSpan().SequenceEqual(updates.Shape)) throw context.Invalid("indices and updates must have the same shape and the data's rank");
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), rank, context.Node.DisplayName);
        var strides = ShapeMath.Strides(result.Shape);
        var position = new int[rank];
        for (int n = 0; n < indices.Length; n++)
        {
            int target = 0;
            for (int d = 0; d < rank; d++)
            {
                int i = d == axis ? Wrap(indices.GetInt64(n), result.Shape[d], context) : position[d];
                if (i >= result.Shape[d]) throw context.Invalid("indices shape exceeds the data shape");
                target += i * strides[d];
            }
            Apply(result, target, updates, n, 1, reduction);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++position[d] < indices.Shape[d]) break;
                position[d] = 0;
            }
        }
    }

    private static void ScatterNd(KernelContext context, Tensor result, Tensor indices, Tensor updates, string reduction)
    {
        if (indices.Rank < 1) throw context.Invalid("ScatterND indices must have rank 1 or more");
        int k = indices.Shape[^1];
        if (k > result.Rank) throw context.Invalid("ScatterND index tuples are longer than the data rank");
        int[] expected = [.. indices.Shape.Take(indices.Rank - 1), .. result.Shape.Skip(k)];
        if (!expected.AsSpan().SequenceEqual(updates.Shape)) throw context.Invalid($"updates shape {ShapeMath.Format(updates.Shape)} should be {ShapeMath.Format(expected)}");
        int slice = result.Shape.Skip(k).Aggregate(1, (a, b) => a * b);
        var strides = ShapeMath.Strides(result.Shape);
        var idx = indices.ToInt64Array();
        int tuples = indices.Shape.Take(indices.Rank - 1).Aggregate(1, (a, b) => a * b);
        for (int t = 0; t < tuples; t++)
        {
            int target = 0;
            for (int j = 0; j < k; j++) target += Wrap(idx[(t * k) + j], result.Shape[j], context) * strides[j];
            Apply(result, target, updates, t * slice, slice, reduction);
        }
    }

    private static int Wrap(long index, int dim, KernelContext context)
    {
        long i = index < 0 ? index + dim : index;
        if (i < 0 || i >= dim) throw context.Invalid($"index {index} is out of range for a dimension of size {dim}");
        return (int)i;
    }

    /// <summary>result[target + j] = reduce(result[target + j], updates[source + j]) for j in [0, count).</summary>
    private static void Apply(Tensor result, int target, Tensor updates, int source, int count, string reduction)
    {
        if (reduction == "none")
        {
            Array.Copy(updates.Data, source, result.Data, target, count);
            return;
        }
        bool integer = DataTypes.IsInteger(result.DataType);
        for (int j = 0; j < count; j++)
        {
            if (integer)
            {
                long a = result.GetInt64(target + j), b = updates.GetInt64(source + j);
                result.SetInt64(target + j, reduction switch
                {
                    "add" => a + b,
                    "mul" => a * b,
                    "max" => System.Math.Max(a, b),
                    _ => System.Math.Min(a, b),
                });
            }
            else
            {
                double a = result.GetDouble(target + j), b = updates.GetDouble(source + j);
                result.SetDouble(target + j, reduction switch
                {
                    "add" => a + b,
                    "mul" => a * b,
                    "max" => System.Math.Max(a, b),
                    _ => System.Math.Min(a, b),
                });
            }
        }
    }
}
