using Tessera.Media;

namespace Tessera.Apps.Ocr;

/// <summary>Orders boxes as a reader of a left-to-right, top-to-bottom script would, and draws them.</summary>
public static class ReadingOrder
{
    /// <summary>Two boxes share a line when their vertical extents overlap by at least this fraction of the
    /// shorter one; a looser rule would merge neighbouring lines of tightly set text.</summary>
    public const double SameLineOverlap = 0.5;

    /// <summary>Groups items into lines (taken from the top by box centre; an item joins the current line
    /// when it overlaps the line's vertical extent enough) and sorts each line left to right.</summary>
    public static IReadOnlyList<T> Sort<T>(IEnumerable<T> items, Func<T, IReadOnlyList<PointF>> corners)
    {
        var boxes = items.Select(item =>
        {
            var points = corners(item);
            return (Item: item, Top: points.Min(p => p.Y), Bottom: points.Max(p => p.Y), Left: points.Min(p => p.X));
        }).OrderBy(b => (b.Top + b.Bottom) / 2).ThenBy(b => b.Left).ToList();
        var result = new List<T>(boxes.Count);
        int start = 0;
        while (start < boxes.Count)
        {
            double lineTop = boxes[start].Top, lineBottom = boxes[start].Bottom;
            int end = start + 1;
            while (end < boxes.Count)
            {
                var next = boxes[end];
                double overlap = Math.Min(lineBottom, next.Bottom) - Math.Max(lineTop, next.Top);
                double shorter = Math.Min(lineBottom - lineTop, next.Bottom - next.Top);
                if (overlap < SameLineOverlap * Math.Max(shorter, 1e-9)) break;
                lineTop = Math.Min(lineTop, next.Top);
                lineBottom = Math.Max(lineBottom, next.Bottom);
                end++;
            }
            result.AddRange(boxes.GetRange(start, end - start).OrderBy(b => b.Left).Select(b => b.Item));
            start = end;
        }
        return result;
    }

    /// <summary>A copy of the image with each line's quadrilateral outlined (green; red when turned 180).</summary>
    public static RgbImage Draw(RgbImage image, IEnumerable<OcrLine> lines, int thickness = 2)
    {
        var canvas = image.Clone();
        foreach (var line in lines)
        {
            var color = line.Rotated ? ((byte)230, (byte)40, (byte)40) : ((byte)20, (byte)200, (byte)60);
            for (int i = 0; i < 4; i++) DrawLine(canvas, line.Corners[i], line.Corners[(i + 1) % 4], color, thickness);
        }
        return canvas;
    }

    /// <summary>A straight segment, <paramref name="thickness"/> pixels wide, clipped to the image.</summary>
    public static void DrawLine(RgbImage canvas, PointF from, PointF to, (byte R, byte G, byte B) color, int thickness)
    {
        double length = TextGeometry.Distance(from, to);
        int steps = Math.Max(1, (int)Math.Ceiling(length * 2));
        for (int s = 0; s <= steps; s++)
        {
            double x = from.X + (to.X - from.X) * s / steps, y = from.Y + (to.Y - from.Y) * s / steps;
            for (int dy = 0; dy < thickness; dy++)
            {
                for (int dx = 0; dx < thickness; dx++)
                {
                    canvas.SetPixel((int)Math.Round(x) + dx - thickness / 2, (int)Math.Round(y) + dy - thickness / 2, color.R, color.G, color.B);
                }
            }
        }
    }
}
