using Tessera.Core;
using Tessera.Ops.TensorOps;

namespace Tessera.Ops.Indexing;

/// <summary>NonZero (coordinates of non-zero elements, [rank, count] int64 in row-major order) and Compress
/// (slices along an axis, or elements of the flattened input, where a bool condition holds).</summary>
[Op("NonZero")]
[Op("Compress")]
public sealed class Selection : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        context.SetOutput(0, context.OpType == "NonZero" ? NonZero(input) : Compress(context, input));
    }

    public override void InferTypes(InferenceContext context)
    {
        var shape = Layout.ShapeOf(context, 0);
        if (context.OpType == "NonZero")
        {
            context.SetOutput(0, DataType.Int64, shape is null ? null : new TensorShape([Dim.Known(System.Math.Max(shape.Rank, 1)), Dim.Unknown]));
            return;
        }
        var type = Layout.TypeOf(context, 0);
        if (!context.Has("axis") || shape is null)
        {
            context.SetOutput(0, type, new TensorShape([Dim.Unknown]));
            return;
        }
        var dims = shape.Dims.ToArray();
        dims[ShapeMath.NormalizeAxis(context.GetInt("axis"), dims.Length, context.Node.DisplayName)] = Dim.Unknown;
        context.SetOutput(0, type, new TensorShape(dims));
    }

    private static bool IsNonZero(Tensor t, int i) => t.Data switch
    {
        float[] f => f[i] != 0,
        string[] s => s[i].Length > 0,
        _ => t.GetDouble(i) != 0,
    };

    private static Tensor NonZero(Tensor input)
    {
        // A scalar behaves as a one-element 1-D tensor (numpy's atleast_1d), as the ONNX reference does.
        int[] shape = input.Rank == 0 ? [1] : input.Shape;
        int rank = shape.Length;
        var hits = new List<int>();
        for (int i = 0; i < input.Length; i++)
        {
            if (IsNonZero(input, i)) hits.Add(i);
        }
        var result = new long[rank * hits.Count];
        var strides = ShapeMath.Strides(shape);
        for (int h = 0; h < hits.Count; h++)
        {
            int flat = hits[h];
            for (int d = 0; d < rank; d++)
            {
                result[(d * hits.Count) + h] = flat / strides[d];
                flat %= strides[d];
            }
        }
        return Tensor.Create([rank, hits.Count], result);
    }

    private static Tensor Compress(KernelContext context, Tensor input)
    {
        var condition = context.Input(1);
        if (condition.Rank != 1) throw context.Invalid("Compress condition must be 1-D");
        var source = input;
        int axis = 0;
        if (context.Has("axis")) axis = ShapeMath.NormalizeAxis(context.GetInt("axis"), input.Rank, context.Node.DisplayName);
        else source = input.Reshape([input.Length]);
        int dim = source.Shape[axis];
        if (condition.Length > dim) throw context.Invalid($"condition has {condition.Length} entries for an axis of size {dim}");
        var selected = new List<int>();
        for (int i = 0; i < condition.Length; i++)
        {
            if (condition.GetDouble(i) != 0) selected.Add(i);
        }
        var index = new int[source.Rank][];
        for (int d = 0; d < source.Rank; d++) index[d] = d == axis ? selected.ToArray() : Enumerable.Range(0, source.Shape[d]).ToArray();
        return Layout.GatherAxes(source, index);
    }
}
