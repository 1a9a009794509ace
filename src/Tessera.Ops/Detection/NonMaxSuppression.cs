using Tessera.Core;

namespace Tessera.Ops.Detection;

/// <summary>NonMaxSuppression: per batch and class, boxes scoring above score_threshold are visited by
/// descending score (ties by index) and kept unless their IoU with an already kept box exceeds
/// iou_threshold, up to max_output_boxes_per_class (0 or absent keeps none). Boxes are [y1, x1, y2, x2]
/// in any corner order (center_point_box = 0) or [x_center, y_center, width, height] (= 1). Output rows
/// are (batch, class, box index), int64.</summary>
[Op("NonMaxSuppression")]
public sealed class NonMaxSuppression : Operator
{
    public override void Execute(KernelContext context)
    {
        var boxes = context.Input(0);
        var scores = context.Input(1);
        long maxPerClass = context.OptionalInput(2) is { Length: > 0 } m ? m.GetInt64(0) : 0;
        double iouThreshold = context.OptionalInput(3) is { Length: > 0 } iou ? iou.GetDouble(0) : 0;
        double? scoreThreshold = context.OptionalInput(4) is { Length: > 0 } st ? st.GetDouble(0) : null;
        bool centerFormat = context.GetInt("center_point_box", 0) != 0;
        if (boxes.Rank != 3 || boxes.Shape[2] != 4) throw context.Invalid($"boxes shape {ShapeMath.Format(boxes.Shape)} must be [batches, boxes, 4]");
        if (scores.Rank != 3 || scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1])
        {
            throw context.Invalid($"scores shape {ShapeMath.Format(scores.Shape)} does not match boxes {ShapeMath.Format(boxes.Shape)}");
        }
        int batches = boxes.Shape[0], count = boxes.Shape[1], classes = scores.Shape[1];
        var b = boxes.ToDoubleArray();
        var s = scores.ToDoubleArray();
        var selected = new List<long>();
        for (int n = 0; n < batches; n++)
        {
            var corners = new (double Y1, double X1, double Y2, double X2)[count];
            for (int i = 0; i < count; i++) corners[i] = Corners(b.AsSpan((n * count + i) * 4, 4), centerFormat);
            for (int c = 0; c < classes; c++)
            {
                int offset = (n * classes + c) * count;
                var order = Enumerable.Range(0, count)
                    .Where(i => scoreThreshold is not { } t || s[offset + i] > t)
                    .OrderByDescending(i => s[offset + i])
                    .ThenBy(i => i)
                    .ToList();
                var kept = new List<int>();
                foreach (var i in order)
                {
                    if (kept.Count >= maxPerClass) break;
                    if (kept.All(k => Iou(corners[i], corners[k]) <= iouThreshold))
                    {
                        kept.Add(i);
                        selected.AddRange([n, c, i]);
                    }
                }
            }
        }
        context.SetOutput(0, Tensor.Create([selected.Count / 3, 3], selected.ToArray()));
    }

    private static (double, double, double, double) Corners(ReadOnlySpan<double> box, bool centerFormat)
    {
        if (centerFormat)
        {
            double xc = box[0], yc = box[1], w = box[2], h = box[3];
            return (yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2);
        }
        return (System.Math.Min(box[0], box[2]), System.Math.Min(box[1], box[3]), System.Math.Max(box[0], box[2]), System.Math.Max(box[1], box[3]));
    }

    /// <summary>Intersection over union of two boxes given as (y1, x1, y2, x2) with y1 ≤ y2, x1 ≤ x2.</summary>
    public static double Iou((double Y1, double X1, double Y2, double X2) a, (double Y1, double X1, double Y2, double X2) b)
    {
        double areaA = (a.Y2 - a.Y1) * (a.X2 - a.X1);
        double areaB = (b.Y2 - b.Y1) * (b.X2 - b.X1);
        if (areaA <= 0 || areaB <= 0) return 0;
        double h = System.Math.Max(0, System.Math.Min(a.Y2, b.Y2) - System.Math.Max(a.Y1, b.Y1));
        double w = System.Math.Max(0, System.Math.Min(a.X2, b.X2) - System.Math.Max(a.X1, b.X1));
        double intersection = h * w;
        return intersection / (areaA + areaB - intersection);
    }

    public override void InferTypes(InferenceContext context) =>
        context.SetOutput(0, DataType.Int64, new TensorShape([Dim.Unknown, 3]));
}
