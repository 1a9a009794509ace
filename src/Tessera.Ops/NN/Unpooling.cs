using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>MaxUnpool (scatter pooled values back to the positions MaxPool's Indices name, zeros
/// elsewhere) and MaxRoiPool (Caffe ROI pooling: max over a pooled_shape grid of bins inside each
/// region of interest).</summary>
[Op("MaxUnpool")]
[Op("MaxRoiPool")]
public sealed class Unpooling : Operator
{
    public override void Execute(KernelContext context)
    {
        if (context.OpType == "MaxRoiPool") RoiPool(context);
        else Unpool(context);
    }

    private static void Unpool(KernelContext context)
    {
        var x = context.Input(0);
        var indices = context.Input(1);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"MaxUnpool on {DataTypes.Name(x.DataType)}");
        if (x.Rank < 3) throw context.Invalid($"X must have rank 3 or more, got {ShapeMath.Format(x.Shape)}");
        if (!indices.Shape.SequenceEqual(x.Shape)) throw context.Invalid($"I {ShapeMath.Format(indices.Shape)} must have the shape of X {ShapeMath.Format(x.Shape)}");
        // Indices address the default output layout; a larger output_shape pads that layout at the end.
        int[] defaultShape = [x.Shape[0], x.Shape[1], .. DefaultSpatial(context, x.Shape[2..].Select(v => (long)v).ToArray()).Select(v => checked((int)v))];
        int[] outShape = defaultShape;
        if (context.OptionalInput(2) is { } requested)
        {
            outShape = ShapeMath.ToIntShape(requested.ToInt64Array(), context.Node.DisplayName);
            if (outShape.Length != x.Rank) throw context.Invalid($"output_shape has {outShape.Length} values, expected {x.Rank}");
        }
        var result = Tensor.Zeros(x.DataType, outShape);
        long defaultCount = ShapeMath.ElementCount(defaultShape);
        var position = new int[x.Rank];
        var outStrides = ShapeMath.Strides(outShape);
        for (int i = 0; i < x.Length; i++)
        {
            long target = indices.GetInt64(i);
            if (target < 0 || target >= defaultCount) throw context.Invalid($"index {target} is outside the unpooled layout {ShapeMath.Format(defaultShape)}");
            Convolution.Unflatten((int)target, defaultShape, position);
            int flat = 0;
            for (int d = 0; d < position.Length; d++)
            {
                if (position[d] >= outShape[d]) throw context.Invalid($"index {target} falls outside output_shape {ShapeMath.Format(outShape)}");
                flat += position[d] * outStrides[d];
            }
            result.SetDouble(flat, x.GetDouble(i));
        }
        context.SetOutput(0, result);
    }

    /// <summary>(in - 1) * stride + kernel - pad_begin - pad_end per spatial axis (-1 where unknown).</summary>
    private static long[] DefaultSpatial(AttributeReader context, long[] spatial)
    {
        var kernel = context.GetInts("kernel_shape") ?? throw context.MissingAttribute("kernel_shape");
        int rank = spatial.Length;
        if (kernel.Length != rank) throw new InvalidInputException($"kernel_shape has {kernel.Length} values, expected {rank}", context.Node.DisplayName);
        var strides = context.GetInts("strides") ?? Enumerable.Repeat(1L, rank).ToArray();
        var pads = context.GetInts("pads") ?? new long[2 * rank];
        var result = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            result[i] = spatial[i] < 0 ? -1 : (spatial[i] - 1) * strides[i] + kernel[i] - pads[i] - pads[i + rank];
        }
        return result;
    }

    private static void RoiPool(KernelContext context)
    {
        var x = context.Input(0);
        var rois = context.Input(1);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"MaxRoiPool on {DataTypes.Name(x.DataType)}");
        if (x.Rank != 4 || rois.Rank != 2 || rois.Shape[1] != 5) throw context.Invalid($"X must be [N,C,H,W] and rois [R,5], got {ShapeMath.Format(x.Shape)} and {ShapeMath.Format(rois.Shape)}");
        var pooled = context.GetInts("pooled_shape") ?? throw context.MissingAttribute("pooled_shape");
        if (pooled.Length != 2) throw context.Invalid("pooled_shape must have 2 values");
        double scale = context.GetFloat("spatial_scale", 1f);
        int ph = (int)pooled[0], pw = (int)pooled[1];
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], count = rois.Shape[0];
        int[] outShape = [count, c, ph, pw];
        var y = new double[ShapeMath.ElementCount(outShape)];
        for (int r = 0; r < count; r++)
        {
            int batch = (int)rois.GetDouble(r * 5);
            if (batch < 0 || batch >= n) throw context.Invalid($"roi {r} names batch {batch} outside [0, {n})");
            int x1 = (int)System.Math.Round(rois.GetDouble(r * 5 + 1) * scale), y1 = (int)System.Math.Round(rois.GetDouble(r * 5 + 2) * scale);
            int x2 = (int)System.Math.Round(rois.GetDouble(r * 5 + 3) * scale), y2 = (int)System.Math.Round(rois.GetDouble(r * 5 + 4) * scale);
            double binH = System.Math.Max(y2 - y1 + 1, 1) / (double)ph, binW = System.Math.Max(x2 - x1 + 1, 1) / (double)pw;
            for (int ch = 0; ch < c; ch++)
            {
                int plane = (batch * c + ch) * h * w;
                for (int i = 0; i < ph; i++)
                {
                    int hs = System.Math.Clamp((int)System.Math.Floor(i * binH) + y1, 0, h), he = System.Math.Clamp((int)System.Math.Ceiling((i + 1) * binH) + y1, 0, h);
                    for (int j = 0; j < pw; j++)
                    {
                        int ws = System.Math.Clamp((int)System.Math.Floor(j * binW) + x1, 0, w), we = System.Math.Clamp((int)System.Math.Ceiling((j + 1) * binW) + x1, 0, w);
                        double best = he <= hs || we <= ws ? 0 : double.NegativeInfinity;
                        for (int yy = hs; yy < he; yy++) for (int xx = ws; xx < we; xx++) best = System.Math.Max(best, x.GetDouble(plane + yy * w + xx));
                        y[((r * c + ch) * ph + i) * pw + j] = best;
                    }
                }
            }
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, outShape, y));
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        if (x.Shape is not { Rank: >= 3 } s)
        {
            context.SetOutput(0, x.ElementType, null);
            return;
        }
        if (context.OpType == "MaxRoiPool")
        {
            var pooled = context.GetInts("pooled_shape");
            var rois = context.InputTensorType(1)?.Shape;
            if (pooled is not { Length: 2 }) return;
            context.SetOutput(0, x.ElementType, new TensorShape(new[] { rois is { Rank: 2 } ? rois[0] : Dim.Unknown, s[1], Dim.Known(pooled[0]), Dim.Known(pooled[1]) }));
            return;
        }
        if (context.HasInput(2))
        {
            var constant = context.InputConstant(2);
            context.SetOutput(0, x.ElementType, constant is null
                ? new TensorShape(Enumerable.Repeat(Dim.Unknown, s.Rank))
                : new TensorShape(constant.ToInt64Array()));
            return;
        }
        var spatial = DefaultSpatial(context, WindowGeometry.SpatialOf(s));
        context.SetOutput(0, x.ElementType, new TensorShape([s[0], s[1], .. spatial.Select(v => v < 0 ? Dim.Unknown : Dim.Known(v))]));
    }
}
