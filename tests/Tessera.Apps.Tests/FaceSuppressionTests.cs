using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Apps;

namespace Tessera.Apps.Tests;

public sealed class FaceSuppressionTests
{
    [Property(MaxTest = 100)]
    public Property Weighted_suppression_never_adds_boxes_and_keeps_the_best_score(int seed)
    {
        var random = new Random(seed);
        var keypoints = Enumerable.Repeat(new PointF(0, 0), 6).ToArray();
        var faces = Enumerable.Range(0, random.Next(0, 12)).Select(_ =>
        {
            double x = random.NextDouble() * 100, y = random.NextDouble() * 100, size = 5 + random.NextDouble() * 30;
            return new Face(x, y, x + size, y + size, random.NextDouble(), keypoints);
        }).ToList();
        var kept = FaceDetector.WeightedSuppression(faces, 0.3);
        bool fewer = kept.Count <= faces.Count && (faces.Count == 0) == (kept.Count == 0);
        // The best input always survives with its score (clusters keep their best score).
        bool bestKept = faces.Count == 0 || kept[0].Score == faces.Max(f => f.Score);
        return (fewer && bestKept).ToProperty();
    }
}
