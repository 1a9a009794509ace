using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>The two data-movement primitives most shape ops reduce to: a strided view (Transpose,
/// DepthToSpace, SpaceToDepth) and an outer product of per-axis source indices (Slice, Pad, Tile, Expand,
/// CenterCropPad), plus small helpers for reading shape-like inputs.</summary>
internal static class Layout
{
    /// <summary>Copies the view of <paramref name="src"/> with the given shape, element strides (may be
    /// zero or negative) and start offset into a new contiguous tensor.</summary>
    public static Tensor StridedView(Tensor src, int[] shape, int[] strides, int offset = 0)
    {
        var result = Tensor.Zeros(src.DataType, shape);
        if (result.Length == 0) return result;
        var mover = ElementMover.For(src.Data);
        int rank = shape.Length;
        if (rank == 0)
        {
            mover.CopyStrided(src.Data, offset, 1, result.Data, 0, 1);
            return result;
        }
        int inner = shape[rank - 1];
        int innerStride = strides[rank - 1];
        var index = new int[rank];
        int source = offset;
        for (int dst = 0; dst < result.Length; dst += inner)
        {
            mover.CopyStrided(src.Data, source, innerStride, result.Data, dst, inner);
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d]++;
                source += strides[d];
                if (index[d] < shape[d]) break;
                source -= strides[d] * index[d];
                index[d] = 0;
            }
        }
        return result;
    }

    /// <summary>Transposed copy: output axis i is input axis perm[i].</summary>
    public static Tensor Transpose(Tensor src, int[] perm) => Transpose(src, src.Shape, perm);

    /// <summary>Views <paramref name="src"/> as <paramref name="viewShape"/> (same element count) and transposes it.</summary>
    public static Tensor Transpose(Tensor src, int[] viewShape, int[] perm)
    {
        var strides = ShapeMath.Strides(viewShape);
        var shape = new int[perm.Length];
        var permuted = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            shape[i] = viewShape[perm[i]];
            permuted[i] = strides[perm[i]];
        }
        return StridedView(src, shape, permuted);
    }

    /// <summary>Output element at (i0, i1, ...) is the input element at (axisIndex[0][i0], axisIndex[1][i1], ...);
    /// a negative entry on any axis gives the fill value (element 0 of <paramref name="fill"/>, else zero).</summary>
    public static Tensor GatherAxes(Tensor src, int[][] axisIndex, Tensor? fill = null)
    {
        int rank = axisIndex.Length;
        var shape = axisIndex.Select(a => a.Length).ToArray();
        var result = Tensor.Zeros(src.DataType, shape);
        if (result.Length == 0) return result;
        var mover = ElementMover.For(src.Data);
        if (fill is not null && fill.Length > 0) mover.Fill(result.Data, fill.Data, 0);
        if (rank == 0)
        {
            mover.CopyStrided(src.Data, 0, 1, result.Data, 0, 1);
            return result;
        }
        var strides = ShapeMath.Strides(src.Shape);
        var last = axisIndex[rank - 1];
        bool contiguous = true;
        for (int j = 0; j < last.Length; j++) contiguous &= last[j] == last[0] + j && last[j] >= 0;
        var index = new int[rank];
        int inner = shape[rank - 1];
        for (int dst = 0; dst < result.Length; dst += inner)
        {
            int source = 0;
            bool inside = true;
            for (int d = 0; d < rank - 1; d++)
            {
                int k = axisIndex[d][index[d]];
                if (k < 0) { inside = false; break; }
                source += k * strides[d];
            }
            if (inside)
            {
                if (contiguous) mover.CopyStrided(src.Data, source + last[0], 1, result.Data, dst, inner);
                else mover.CopyIndexed(src.Data, source, last, result.Data, dst);
            }
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    /// <summary>Rejects an output shape whose element count exceeds what a tensor may hold, before any
    /// per-axis index arrays are allocated for it (untrusted models must not exhaust memory).</summary>
    public static void CheckOutputSize(IEnumerable<long> dims, string where)
    {
        double count = 1;
        foreach (var d in dims)
        {
            if (d < 0 || d > int.MaxValue) throw new InvalidInputException($"output dimension {d} is out of range", where);
            count *= d;
        }
        if (count > Tensor.MaxElements) throw new InvalidInputException($"output of [{string.Join(",", dims)}] elements is too large", where);
    }

    /// <summary>The values of an integer tensor (shape, axes, pads inputs) as longs.</summary>
    public static long[] Longs(Tensor t) => t.DataType switch
    {
        DataType.Int64 => (long[])t.As<long>().Clone(),
        _ when DataTypes.IsInteger(t.DataType) => t.ToInt64Array(),
        _ => throw new InvalidInputException($"expected an integer tensor, got {DataTypes.Name(t.DataType)}"),
    };

    /// <summary>Normalizes axes against <paramref name="rank"/> and rejects duplicates.</summary>
    public static int[] NormalizeAxes(IEnumerable<long> axes, int rank, string where)
    {
        var result = axes.Select(a => ShapeMath.NormalizeAxis(a, rank, where)).ToArray();
        if (result.Distinct().Count() != result.Length) throw new InvalidInputException("axes contain duplicates", where);
        return result;
    }

    /// <summary>Shape of input i when its rank is known (dims may be symbolic).</summary>
    public static TensorShape? ShapeOf(InferenceContext context, int i) => context.InputTensorType(i)?.Shape;

    /// <summary>Element type of input i, or Undefined.</summary>
    public static DataType TypeOf(InferenceContext context, int i) => context.InputTensorType(i)?.ElementType ?? DataType.Undefined;

    /// <summary>Constant integer input i, when known at inference time.</summary>
    public static long[]? ConstantLongs(InferenceContext context, int i) =>
        context.HasInput(i) && context.InputConstant(i) is { } c && DataTypes.IsInteger(c.DataType) ? c.ToInt64Array() : null;

    /// <summary>Product of known dims, or unknown.</summary>
    public static Dim Product(IEnumerable<Dim> dims)
    {
        long p = 1;
        foreach (var d in dims)
        {
            if (!d.IsKnown) return Dim.Unknown;
            p *= d.Value;
        }
        return Dim.Known(p);
    }
}
