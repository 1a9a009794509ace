namespace Tessera.Apps.Ocr;

/// <summary>A detected text region: four corners (top-left, top-right, bottom-right, bottom-left) in
/// source-image pixels and the mean text probability inside the shrunk region the network predicted.</summary>
public sealed record TextBox(IReadOnlyList<PointF> Corners, double Score)
{
    public double Top => Corners.Min(p => p.Y);

    public double Bottom => Corners.Max(p => p.Y);

    public double Left => Corners.Min(p => p.X);

    public double Right => Corners.Max(p => p.X);
}

/// <summary>DB (differentiable binarization) post-processing settings; the defaults are PaddleOCR's.</summary>
public sealed record TextDetectionSettings
{
    /// <summary>Probability above which a pixel belongs to text.</summary>
    public double Threshold { get; init; } = 0.3;

    /// <summary>Regions whose mean probability is lower are dropped.</summary>
    public double BoxThreshold { get; init; } = 0.6;

    /// <summary>How far the shrunk kernel is grown back: offset = area * ratio / perimeter.</summary>
    public double UnclipRatio { get; init; } = 1.5;

    /// <summary>Regions whose shorter side (in probability-map pixels) is below this are noise.</summary>
    public double MinimumSide { get; init; } = 3;

    /// <summary>At most this many regions are examined (a bound on work for adversarial inputs).</summary>
    public int MaximumCandidates { get; init; } = 1000;
}

/// <summary>Turns DB's probability map into text boxes: binarize, label 8-connected regions, fit a
/// minimum-area rectangle to each, score it by the mean probability inside, grow it back by the unclip
/// offset, and scale it to the source image.</summary>
public static class TextDetectionDecoder
{
    public static IReadOnlyList<TextBox> Decode(float[] probability, int mapWidth, int mapHeight, int imageWidth, int imageHeight, TextDetectionSettings settings)
    {
        if (probability.Length != mapWidth * mapHeight) throw new ArgumentException("probability map size does not match its shape", nameof(probability));
        var boxes = new List<TextBox>();
        foreach (var region in Regions(probability, mapWidth, mapHeight, (float)settings.Threshold).Take(settings.MaximumCandidates))
        {
            var kernel = TextGeometry.MinimumAreaRectangle(region);
            if (kernel.ShortSide < settings.MinimumSide) continue;
            var corners = TextGeometry.OrderCorners(kernel.Corners);
            double score = MeanInside(probability, mapWidth, mapHeight, corners);
            if (score < settings.BoxThreshold) continue;
            var grown = TextGeometry.MinimumAreaRectangle(TextGeometry.Unclip(corners, settings.UnclipRatio));
            if (grown.ShortSide < settings.MinimumSide + 2) continue;
            double scaleX = (double)imageWidth / mapWidth, scaleY = (double)imageHeight / mapHeight;
            var scaled = TextGeometry.OrderCorners(grown.Corners)
                .Select(p => new PointF(Math.Clamp(Math.Round(p.X * scaleX), 0, imageWidth), Math.Clamp(Math.Round(p.Y * scaleY), 0, imageHeight)))
                .ToList();
            boxes.Add(new TextBox(scaled, score));
        }
        return boxes;
    }

    /// <summary>The outline points of each 8-connected region above <paramref name="threshold"/>, in raster
    /// order of each region's first pixel: per row, the left-most and right-most pixel centre. Those hold
    /// the region's convex hull, which is all the rectangle fit needs.</summary>
    public static IEnumerable<List<PointF>> Regions(float[] probability, int width, int height, float threshold)
    {
        var visited = new bool[probability.Length];
        var stack = new Stack<int>();
        for (int start = 0; start < probability.Length; start++)
        {
            if (visited[start] || probability[start] <= threshold) continue;
            var rowExtent = new Dictionary<int, (int Min, int Max)>();
            visited[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int index = stack.Pop();
                int x = index % width, y = index / width;
                rowExtent[y] = rowExtent.TryGetValue(y, out var extent) ? (Math.Min(extent.Min, x), Math.Max(extent.Max, x)) : (x, x);
                for (int dy = -1; dy <= 1; dy++)
                {
                    int ny = y + dy;
                    if (ny < 0 || ny >= height) continue;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = x + dx;
                        if (nx < 0 || nx >= width) continue;
                        int neighbour = ny * width + nx;
                        if (visited[neighbour] || probability[neighbour] <= threshold) continue;
                        visited[neighbour] = true;
                        stack.Push(neighbour);
                    }
                }
            }
            var outline = new List<PointF>(rowExtent.Count * 2);
            foreach (var (row, extent) in rowExtent)
            {
                outline.Add(new PointF(extent.Min, row));
                if (extent.Max != extent.Min) outline.Add(new PointF(extent.Max, row));
            }
            yield return outline;
        }
    }

    /// <summary>Mean probability over the pixels whose centres lie inside the quadrilateral.</summary>
    public static double MeanInside(float[] probability, int width, int height, IReadOnlyList<PointF> corners)
    {
        int left = Math.Clamp((int)Math.Floor(corners.Min(p => p.X)), 0, width - 1);
        int right = Math.Clamp((int)Math.Ceiling(corners.Max(p => p.X)), 0, width - 1);
        int top = Math.Clamp((int)Math.Floor(corners.Min(p => p.Y)), 0, height - 1);
        int bottom = Math.Clamp((int)Math.Ceiling(corners.Max(p => p.Y)), 0, height - 1);
        double sum = 0;
        int count = 0;
        for (int y = top; y <= bottom; y++)
        {
            for (int x = left; x <= right; x++)
            {
                if (!TextGeometry.InsideConvex(corners, new PointF(x, y))) continue;
                sum += probability[y * width + x];
                count++;
            }
        }
        return count == 0 ? 0 : sum / count;
    }
}
