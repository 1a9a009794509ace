namespace Tessera.Core;

/// <summary>Index arithmetic on concrete shapes: element counts, strides, broadcasting.</summary>
public static class ShapeMath
{
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d}");
            count *= d;
            if (count > Tensor.MaxElements) return long.MaxValue;
        }
        return count;
    }

    /// <summary>Row-major strides in elements.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(",", shape.ToArray()) + "]";

    /// <summary>Numpy-style (multidirectional) broadcast of two shapes, or null when incompatible.</summary>
    public static int[]? TryBroadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da == db || db == 1) result[i] = da;
            else if (da == 1) result[i] = db;
            else return null;
        }
        return result;
    }

    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b) =>
        TryBroadcast(a, b) ?? throw new InvalidInputException(
            $"shapes {Format(a)} and {Format(b)} cannot be broadcast together");

    public static int[] Broadcast(IEnumerable<int[]> shapes)
    {
        int[] result = [];
        foreach (var s in shapes) result = Broadcast(result, s);
        return result;
    }

    /// <summary>For each flat index of <paramref name="outShape"/>, the flat index into a tensor of
    /// <paramref name="inShape"/> broadcast to it (right-aligned, size-1 dims repeat).</summary>
    public static int[] BroadcastIndexMap(ReadOnlySpan<int> inShape, ReadOnlySpan<int> outShape)
    {
        int rank = outShape.Length;
        int count = (int)ElementCount(outShape);
        var map = new int[count];
        var inStrides = new int[rank];
        var fullIn = new int[rank];
        int offset = rank - inShape.Length;
        for (int i = 0; i < rank; i++) fullIn[i] = i < offset ? 1 : inShape[i - offset];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            inStrides[i] = fullIn[i] == 1 ? 0 : s;
            s *= fullIn[i];
        }
        var index = new int[rank];
        int flat = 0;
        for (int n = 0; n < count; n++)
        {
            map[n] = flat;
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                flat += inStrides[d];
                if (index[d] < outShape[d]) break;
                flat -= inStrides[d] * index[d];
                index[d] = 0;
            }
        }
        return map;
    }

    /// <summary>Normalizes a possibly negative axis into [0, rank).</summary>
    public static int NormalizeAxis(long axis, int rank, string? where = null)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1) && !(rank == 0 && a == 0))
        {
            throw new InvalidInputException($"axis {axis} is out of range for rank {rank}", where);
        }
        return (int)a;
    }

    /// <summary>Converts int64 dims (as stored in ONNX tensors) to int, rejecting overflow.</summary>
    public static int[] ToIntShape(IEnumerable<long> dims, string? where = null)
    {
        var list = new List<int>();
        foreach (var d in dims)
        {
            if (d < 0 || d > int.MaxValue) throw new ModelFormatException($"dimension {d} is out of range", where);
            list.Add((int)d);
        }
        return list.ToArray();
    }
}
