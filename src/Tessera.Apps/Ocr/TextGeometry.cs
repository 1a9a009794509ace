namespace Tessera.Apps.Ocr;

/// <summary>A rectangle at any angle, as four corners in order around it.</summary>
/// <param name="Corners">Four corners, each consecutive pair joined by a side.</param>
public sealed record RotatedRectangle(IReadOnlyList<PointF> Corners)
{
    public double Width => TextGeometry.Distance(Corners[0], Corners[1]);

    public double Height => TextGeometry.Distance(Corners[1], Corners[2]);

    public double Area => Width * Height;

    public double ShortSide => Math.Min(Width, Height);
}

/// <summary>The plane geometry OCR needs, written here rather than borrowed from OpenCV: convex hull, polygon
/// area and perimeter, minimum-area enclosing rectangle, polygon offsetting (DB's "unclip") and
/// point-in-polygon tests.</summary>
public static class TextGeometry
{
    public static double Distance(PointF a, PointF b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    private static double Cross(PointF origin, PointF a, PointF b) =>
        (a.X - origin.X) * (b.Y - origin.Y) - (a.Y - origin.Y) * (b.X - origin.X);

    /// <summary>Andrew's monotone chain. Returns the hull counter-clockwise in a y-up frame (clockwise on
    /// screen), without collinear points; fewer than three distinct points come back as they are.</summary>
    public static IReadOnlyList<PointF> ConvexHull(IEnumerable<PointF> points)
    {
        var sorted = points.Distinct().OrderBy(p => p.X).ThenBy(p => p.Y).ToList();
        if (sorted.Count < 3) return sorted;
        var hull = new PointF[2 * sorted.Count];
        int count = 0;
        foreach (var p in sorted)
        {
            while (count >= 2 && Cross(hull[count - 2], hull[count - 1], p) <= 0) count--;
            hull[count++] = p;
        }
        int lower = count + 1;
        for (int i = sorted.Count - 2; i >= 0; i--)
        {
            var p = sorted[i];
            while (count >= lower && Cross(hull[count - 2], hull[count - 1], p) <= 0) count--;
            hull[count++] = p;
        }
        return hull.Take(count - 1).ToList();
    }

    /// <summary>Shoelace area (absolute value, so the winding does not matter).</summary>
    public static double PolygonArea(IReadOnlyList<PointF> polygon)
    {
        double twice = 0;
        for (int i = 0; i < polygon.Count; i++)
        {
            var a = polygon[i];
            var b = polygon[(i + 1) % polygon.Count];
            twice += a.X * b.Y - b.X * a.Y;
        }
        return Math.Abs(twice) / 2;
    }

    public static double PolygonPerimeter(IReadOnlyList<PointF> polygon)
    {
        double length = 0;
        for (int i = 0; i < polygon.Count; i++) length += Distance(polygon[i], polygon[(i + 1) % polygon.Count]);
        return length;
    }

    /// <summary>The smallest-area rectangle holding every point. One side of the optimum lies along a hull
    /// edge (Freeman and Shapira, 1975), so each hull edge in turn serves as the calipers' direction and the
    /// hull is projected onto it and its normal. Degenerate inputs (one point, a segment) give a rectangle
    /// with a zero side.</summary>
    public static RotatedRectangle MinimumAreaRectangle(IEnumerable<PointF> points)
    {
        var hull = ConvexHull(points);
        if (hull.Count == 0) throw new ArgumentException("no points", nameof(points));
        if (hull.Count == 1) return new RotatedRectangle([hull[0], hull[0], hull[0], hull[0]]);
        double bestArea = double.PositiveInfinity;
        RotatedRectangle? best = null;
        int edges = hull.Count == 2 ? 1 : hull.Count;
        for (int i = 0; i < edges; i++)
        {
            var a = hull[i];
            var b = hull[(i + 1) % hull.Count];
            double length = Distance(a, b);
            if (length == 0) continue;
            double ux = (b.X - a.X) / length, uy = (b.Y - a.Y) / length;
            double minU = double.PositiveInfinity, maxU = double.NegativeInfinity, minV = double.PositiveInfinity, maxV = double.NegativeInfinity;
            foreach (var p in hull)
            {
                double u = p.X * ux + p.Y * uy, v = -p.X * uy + p.Y * ux;
                minU = Math.Min(minU, u);
                maxU = Math.Max(maxU, u);
                minV = Math.Min(minV, v);
                maxV = Math.Max(maxV, v);
            }
            double area = (maxU - minU) * (maxV - minV);
            if (area < bestArea)
            {
                bestArea = area;
                PointF Corner(double u, double v) => new(u * ux - v * uy, u * uy + v * ux);
                best = new RotatedRectangle([Corner(minU, minV), Corner(maxU, minV), Corner(maxU, maxV), Corner(minU, maxV)]);
            }
        }
        return best!;
    }

    /// <summary>Orders a quadrilateral's corners as PaddleOCR does: top-left, top-right, bottom-right,
    /// bottom-left, taking the two left-most corners as the left side and the higher of each pair as top.</summary>
    public static IReadOnlyList<PointF> OrderCorners(IReadOnlyList<PointF> corners)
    {
        var byX = corners.OrderBy(p => p.X).ThenBy(p => p.Y).ToArray();
        var (topLeft, bottomLeft) = byX[0].Y <= byX[1].Y ? (byX[0], byX[1]) : (byX[1], byX[0]);
        var (topRight, bottomRight) = byX[2].Y <= byX[3].Y ? (byX[2], byX[3]) : (byX[3], byX[2]);
        return [topLeft, topRight, bottomRight, bottomLeft];
    }

    /// <summary>DB's "unclip": grows a convex polygon outward by distance area * ratio / perimeter with round
    /// corners (the Minkowski sum with a disc), because the network is trained to predict a shrunk text
    /// kernel. The disc is sampled with <paramref name="arcSteps"/> points per vertex, so the result lies
    /// inside the exact offset and within distance * (1 - cos(pi / arcSteps)) of it.</summary>
    public static IReadOnlyList<PointF> Unclip(IReadOnlyList<PointF> polygon, double ratio, int arcSteps = 32)
    {
        double perimeter = PolygonPerimeter(polygon);
        if (perimeter == 0) return polygon;
        double distance = PolygonArea(polygon) * ratio / perimeter;
        var grown = new List<PointF>(polygon.Count * arcSteps);
        foreach (var p in polygon)
        {
            for (int k = 0; k < arcSteps; k++)
            {
                double angle = 2 * Math.PI * k / arcSteps;
                grown.Add(new PointF(p.X + distance * Math.Cos(angle), p.Y + distance * Math.Sin(angle)));
            }
        }
        return ConvexHull(grown);
    }

    /// <summary>True when <paramref name="point"/> lies inside or on the convex polygon (either winding).</summary>
    public static bool InsideConvex(IReadOnlyList<PointF> polygon, PointF point)
    {
        int sign = 0;
        for (int i = 0; i < polygon.Count; i++)
        {
            double cross = Cross(polygon[i], polygon[(i + 1) % polygon.Count], point);
            if (Math.Abs(cross) < 1e-9) continue;
            int side = cross > 0 ? 1 : -1;
            if (sign == 0) sign = side;
            else if (side != sign) return false;
        }
        return true;
    }
}
