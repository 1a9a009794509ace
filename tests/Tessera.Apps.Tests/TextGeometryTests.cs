using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Apps.Ocr;

namespace Tessera.Apps.Tests;

public sealed class TextGeometryTests
{
    private static List<PointF> RandomPoints(int seed)
    {
        var random = new Random(seed);
        int count = random.Next(1, 40);
        double angle = random.NextDouble() * Math.PI, stretch = 0.1 + random.NextDouble() * 5;
        // Stretched and turned clouds look like text regions; plain uniform clouds are nearly square.
        return Enumerable.Range(0, count).Select(_ =>
        {
            double u = (random.NextDouble() - 0.5) * 100 * stretch, v = (random.NextDouble() - 0.5) * 100;
            return new PointF(Math.Round(u * Math.Cos(angle) - v * Math.Sin(angle)) + 200, Math.Round(u * Math.Sin(angle) + v * Math.Cos(angle)) + 200);
        }).ToList();
    }

    /// <summary>The smallest bounding-box area over directions sampled every 0.02 degrees: an upper bound on
    /// the true minimum that converges to it.</summary>
    private static double BruteForceArea(IReadOnlyList<PointF> points)
    {
        double best = double.PositiveInfinity;
        for (int step = 0; step < 9000; step++)
        {
            double angle = step * Math.PI / 9000, ux = Math.Cos(angle), uy = Math.Sin(angle);
            var u = points.Select(p => p.X * ux + p.Y * uy).ToList();
            var v = points.Select(p => -p.X * uy + p.Y * ux).ToList();
            best = Math.Min(best, (u.Max() - u.Min()) * (v.Max() - v.Min()));
        }
        return best;
    }

    [Property(MaxTest = 60)]
    public Property Minimum_area_rectangle_holds_every_point_and_is_no_larger_than_brute_force(int seed)
    {
        var points = RandomPoints(seed);
        var rectangle = TextGeometry.MinimumAreaRectangle(points);
        bool holds = rectangle.Area == 0 || points.All(p => InsideWithTolerance(rectangle.Corners, p));
        var c = rectangle.Corners;
        // A rectangle holding every point cannot be smaller than the true minimum, so holding them and being no
        // larger than the best sampled direction pins it down (up to the sampling step).
        double dot = (c[1].X - c[0].X) * (c[2].X - c[1].X) + (c[1].Y - c[0].Y) * (c[2].Y - c[1].Y);
        bool rightAngle = Math.Abs(dot) <= 1e-6 * Math.Max(1, rectangle.Width * rectangle.Height);
        double brute = BruteForceArea(points);
        bool smallest = rectangle.Area <= brute + 1e-6;
        return (holds && rightAngle && smallest).Label($"area {rectangle.Area} vs brute force {brute}, holds {holds}, right angle {rightAngle}");
    }

    private static bool InsideWithTolerance(IReadOnlyList<PointF> corners, PointF p)
    {
        var center = new PointF(corners.Average(c => c.X), corners.Average(c => c.Y));
        // Pull the point a hair towards the centre so points on the boundary count as inside.
        var pulled = new PointF(p.X + (center.X - p.X) * 1e-9, p.Y + (center.Y - p.Y) * 1e-9);
        return TextGeometry.InsideConvex(corners, pulled) || corners.Any(c => TextGeometry.Distance(c, p) < 1e-6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(45)]
    [InlineData(-30)]
    public void Minimum_area_rectangle_recovers_a_turned_rectangle(double degrees)
    {
        double angle = degrees * Math.PI / 180;
        var corners = new[] { (0.0, 0.0), (120.0, 0.0), (120.0, 20.0), (0.0, 20.0) }
            .Select(c => new PointF(c.Item1 * Math.Cos(angle) - c.Item2 * Math.Sin(angle), c.Item1 * Math.Sin(angle) + c.Item2 * Math.Cos(angle)));
        var rectangle = TextGeometry.MinimumAreaRectangle(corners);
        Assert.Equal(2400, rectangle.Area, 6);
        Assert.Equal(20, rectangle.ShortSide, 6);
    }

    [Theory]
    [InlineData(100, 10)]
    [InlineData(300, 24)]
    [InlineData(40, 40)]
    public void Unclip_grows_each_side_by_area_times_ratio_over_perimeter(double width, double height)
    {
        PointF[] box = [new(10, 10), new(10 + width, 10), new(10 + width, 10 + height), new(10, 10 + height)];
        double distance = width * height * 1.5 / (2 * (width + height));
        var grown = TextGeometry.MinimumAreaRectangle(TextGeometry.Unclip(box, 1.5));
        double longSide = Math.Max(grown.Width, grown.Height), shortSide = grown.ShortSide;
        // The disc is sampled with 32 points, so the growth may fall short by at most d * (1 - cos(pi/32)).
        Assert.InRange(longSide, width + 2 * distance * 0.99, width + 2 * distance + 1e-9);
        Assert.InRange(shortSide, height + 2 * distance * 0.99, height + 2 * distance + 1e-9);
    }

    [Fact]
    public void Convex_hull_drops_interior_and_collinear_points()
    {
        PointF[] points = [new(0, 0), new(2, 0), new(4, 0), new(4, 4), new(0, 4), new(2, 2), new(1, 3)];
        var hull = TextGeometry.ConvexHull(points);
        Assert.Equal(4, hull.Count);
        Assert.Equal(16, TextGeometry.PolygonArea(hull), 9);
        Assert.Equal(16, TextGeometry.PolygonPerimeter(hull), 9);
    }

    [Fact]
    public void Corners_are_ordered_top_left_first_clockwise_on_screen()
    {
        PointF[] shuffled = [new(50, 30), new(0, 10), new(52, 8), new(2, 32)];
        var ordered = TextGeometry.OrderCorners(shuffled);
        Assert.Equal([new PointF(0, 10), new PointF(52, 8), new PointF(50, 30), new PointF(2, 32)], ordered);
    }
}
