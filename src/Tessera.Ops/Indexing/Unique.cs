using Tessera.Core;
using Tessera.Ops.TensorOps;

namespace Tessera.Ops.Indexing;

/// <summary>Unique: the distinct elements (or, with axis, distinct slices along the axis) of the input, in
/// ascending order (sorted = 1) or in order of first occurrence; also the first-occurrence index of each,
/// the inverse mapping of each input item, and the count of each.</summary>
[Op("Unique")]
public sealed class Unique : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        bool sorted = context.GetInt("sorted", 1) != 0;
        var source = input;
        int axis = 0;
        if (context.Has("axis")) axis = ShapeMath.NormalizeAxis(context.GetInt("axis"), input.Rank, context.Node.DisplayName);
        else source = input.Reshape([input.Length]);
        if (source.Rank == 0) source = source.Reshape([1]);
        int outer = source.Shape.Take(axis).Aggregate(1, (a, b) => a * b);
        int count = source.Shape[axis];
        int inner = source.Shape.Skip(axis + 1).Aggregate(1, (a, b) => a * b);
        var compareElements = ElementComparer(source);

        // Item x is the slice source[:, x, :]; items compare lexicographically in row-major order.
        int CompareItems(int x, int y)
        {
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int c = compareElements((((o * count) + x) * inner) + i, (((o * count) + y) * inner) + i);
                    if (c != 0) return c;
                }
            }
            return 0;
        }

        var order = Enumerable.Range(0, count).ToArray();
        Array.Sort(order, (x, y) => CompareItems(x, y) is var c && c != 0 ? c : x.CompareTo(y));
        var groupOf = new int[count];
        var firsts = new List<int>();
        var counts = new List<long>();
        for (int r = 0; r < order.Length; r++)
        {
            if (r == 0 || CompareItems(order[r - 1], order[r]) != 0)
            {
                firsts.Add(order[r]);
                counts.Add(0);
            }
            groupOf[order[r]] = firsts.Count - 1;
            counts[^1]++;
        }
        // Groups are in ascending order now; unsorted output lists them by first occurrence instead.
        var groups = Enumerable.Range(0, firsts.Count).ToArray();
        if (!sorted) Array.Sort(groups, (a, b) => firsts[a].CompareTo(firsts[b]));
        var position = new int[groups.Length];
        for (int p = 0; p < groups.Length; p++) position[groups[p]] = p;

        var index = new int[source.Rank][];
        for (int d = 0; d < source.Rank; d++) index[d] = Enumerable.Range(0, source.Shape[d]).ToArray();
        index[axis] = groups.Select(g => firsts[g]).ToArray();
        context.SetOutput(0, Layout.GatherAxes(source, index));
        context.SetOutput(1, Tensor.Create([groups.Length], groups.Select(g => (long)firsts[g]).ToArray()));
        context.SetOutput(2, Tensor.Create([count], groupOf.Select(g => (long)position[g]).ToArray()));
        context.SetOutput(3, Tensor.Create([groups.Length], groups.Select(g => counts[g]).ToArray()));
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var shape = Layout.ShapeOf(context, 0);
        if (context.Has("axis") && shape is not null)
        {
            var dims = shape.Dims.ToArray();
            int axis = ShapeMath.NormalizeAxis(context.GetInt("axis"), dims.Length, context.Node.DisplayName);
            dims[axis] = Dim.Unknown;
            context.SetOutput(0, type, new TensorShape(dims));
            context.SetOutput(2, DataType.Int64, new TensorShape([shape[axis]]));
        }
        else
        {
            context.SetOutput(0, type, new TensorShape([Dim.Unknown]));
            context.SetOutput(2, DataType.Int64, shape is null ? new TensorShape([Dim.Unknown]) : new TensorShape([Layout.Product(shape.Dims)]));
        }
        context.SetOutput(1, DataType.Int64, new TensorShape([Dim.Unknown]));
        context.SetOutput(3, DataType.Int64, new TensorShape([Dim.Unknown]));
    }

    private static Func<int, int, int> ElementComparer(Tensor t) => t.Data switch
    {
        string[] s => (i, j) => string.CompareOrdinal(s[i], s[j]),
        float[] f => (i, j) => f[i].CompareTo(f[j]),
        ulong[] u => (i, j) => u[i].CompareTo(u[j]),
        _ when DataTypes.IsInteger(t.DataType) || t.DataType == DataType.Bool => (i, j) => t.GetInt64(i).CompareTo(t.GetInt64(j)),
        _ => (i, j) => t.GetDouble(i).CompareTo(t.GetDouble(j)),
    };
}
