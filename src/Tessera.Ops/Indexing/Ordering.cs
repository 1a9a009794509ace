using Tessera.Core;
using Tessera.Ops.TensorOps;

namespace Tessera.Ops.Indexing;

/// <summary>TopK (k largest or smallest along an axis, sorted, ties broken by the smaller index; k is an
/// attribute before opset 10 and an input after), ArgMax and ArgMin (keepdims, select_last_index).</summary>
[Op("TopK")]
[Op("ArgMax")]
[Op("ArgMin")]
public sealed class Ordering : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        if (input.DataType is DataType.String or DataType.Bool) throw context.Unsupported($"{context.OpType} of {DataTypes.Name(input.DataType)}");
        if (context.OpType == "TopK") TopK(context, input);
        else ArgExtreme(context, input);
    }

    public override void InferTypes(InferenceContext context)
    {
        var shape = Layout.ShapeOf(context, 0);
        var type = Layout.TypeOf(context, 0);
        if (shape is null)
        {
            context.SetOutput(0, context.OpType == "TopK" ? type : DataType.Int64, null);
            context.SetOutput(1, DataType.Int64, null);
            return;
        }
        var dims = shape.Dims.ToArray();
        if (context.OpType == "TopK")
        {
            int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", -1), dims.Length, context.Node.DisplayName);
            long[]? k = context.Opset < 10 ? [context.GetInt("k")] : Layout.ConstantLongs(context, 1);
            dims[axis] = k is { Length: 1 } ? Dim.Known(k[0]) : Dim.Unknown;
            context.SetOutput(0, type, new TensorShape(dims));
            context.SetOutput(1, DataType.Int64, new TensorShape(dims));
            return;
        }
        int a = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), dims.Length, context.Node.DisplayName);
        bool keep = context.GetInt("keepdims", 1) != 0;
        if (dims.Length == 0)
        {
            context.SetOutput(0, DataType.Int64, new TensorShape());
            return;
        }
        dims[a] = Dim.Known(1);
        context.SetOutput(0, DataType.Int64, new TensorShape(keep ? dims : dims.Where((_, i) => i != a)));
    }

    /// <summary>Compares elements i and j of t by value (integers exactly, floats as doubles). NaN orders
    /// above every number, as numpy's sort does (the ONNX reference sorts with numpy).</summary>
    private static Func<int, int, int> ValueComparer(Tensor t) => t.Data switch
    {
        float[] f => (i, j) => CompareNanLast(f[i], f[j]),
        long[] l => (i, j) => l[i].CompareTo(l[j]),
        ulong[] u => (i, j) => u[i].CompareTo(u[j]),
        _ when DataTypes.IsInteger(t.DataType) => (i, j) => t.GetInt64(i).CompareTo(t.GetInt64(j)),
        _ => (i, j) => CompareNanLast(t.GetDouble(i), t.GetDouble(j)),
    };

    private static int CompareNanLast(double a, double b) =>
        double.IsNaN(a) ? (double.IsNaN(b) ? 0 : 1) : double.IsNaN(b) ? -1 : a.CompareTo(b);

    private static (int Outer, int Dim, int Inner) Lanes(Tensor t, int axis) =>
        (t.Shape.Take(axis).Aggregate(1, (a, b) => a * b), t.Shape[axis], t.Shape.Skip(axis + 1).Aggregate(1, (a, b) => a * b));

    private static void TopK(KernelContext context, Tensor input)
    {
        if (input.Rank == 0) throw context.Invalid("TopK of a scalar");
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", -1), input.Rank, context.Node.DisplayName);
        long k = context.Opset < 10 ? context.GetInt("k") : Scalar(context, context.Input(1), "K");
        var (outer, dim, inner) = Lanes(input, axis);
        if (k < 0 || k > dim) throw context.Invalid($"k = {k} is out of range for an axis of size {dim}");
        bool largest = context.GetInt("largest", 1) != 0;
        var shape = (int[])input.Shape.Clone();
        shape[axis] = (int)k;
        var values = Tensor.Zeros(input.DataType, shape);
        var indices = new long[values.Length];
        var map = new int[values.Length];
        var compare = ValueComparer(input);
        var order = new int[dim];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = (o * dim * inner) + i;
                for (int j = 0; j < dim; j++) order[j] = j;
                // Sort positions by value (descending when largest), ties by the smaller position: stable and total.
                Array.Sort(order, (x, y) =>
                {
                    int c = compare(baseIndex + (x * inner), baseIndex + (y * inner));
                    if (largest) c = -c;
                    return c != 0 ? c : x.CompareTo(y);
                });
                for (int j = 0; j < k; j++)
                {
                    int target = (((o * (int)k) + j) * inner) + i;
                    indices[target] = order[j];
                    map[target] = baseIndex + (order[j] * inner);
                }
            }
        }
        if (values.Length > 0) ElementMover.For(input.Data).Gather(input.Data, map, values.Data);
        context.SetOutput(0, values);
        context.SetOutput(1, Tensor.Create(shape, indices));
    }

    private static long Scalar(KernelContext context, Tensor t, string name) =>
        t.Length == 1 && DataTypes.IsInteger(t.DataType) ? t.GetInt64(0) : throw context.Invalid($"{name} must be a single integer");

    private static void ArgExtreme(KernelContext context, Tensor input)
    {
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", 0), input.Rank, context.Node.DisplayName);
        bool keep = context.GetInt("keepdims", 1) != 0;
        bool last = context.GetInt("select_last_index", 0) != 0;
        int sign = context.OpType == "ArgMax" ? 1 : -1;
        var (outer, dim, inner) = input.Rank == 0 ? (1, 1, 1) : Lanes(input, axis);
        if (dim == 0) throw context.Invalid($"{context.OpType} over an empty axis");
        var compare = ValueComparer(input);
        var result = new long[outer * inner];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = (o * dim * inner) + i;
                int best = 0;
                for (int j = 1; j < dim; j++)
                {
                    int c = sign * compare(baseIndex + (j * inner), baseIndex + (best * inner));
                    if (c > 0 || (c == 0 && last)) best = j;
                }
                result[(o * inner) + i] = best;
            }
        }
        var shape = input.Shape.ToArray();
        if (shape.Length > 0) shape[axis] = 1;
        if (!keep) shape = shape.Where((_, d) => d != axis).ToArray();
        context.SetOutput(0, Tensor.Create(shape, result));
    }
}
