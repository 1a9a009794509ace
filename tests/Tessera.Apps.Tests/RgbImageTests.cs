using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Apps;
using Tessera.Core;
using Tessera.Testing;

namespace Tessera.Apps.Tests;

public sealed class RgbImageTests
{
    [Fact]
    public void Truncated_png_is_a_clear_input_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tessera-truncated-{Guid.NewGuid():N}.png");
        try
        {
            File.WriteAllBytes(path, File.ReadAllBytes(TestAssets.Image("astronaut.png"))[..100]);
            var error = Assert.Throws<InvalidInputException>(() => RgbImage.Load(path));
            Assert.Contains("not a readable image", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Padding_to_square_centres_the_image()
    {
        var image = new RgbImage(4, 2, Enumerable.Repeat((byte)200, 4 * 2 * 3).ToArray());
        var (square, left, top) = image.PadToSquare();
        Assert.Equal((4, 4, 0, 1), (square.Width, square.Height, left, top));
        Assert.Equal(0, square.Pixels[0]);
        Assert.Equal(200, square.Pixels[(1 * 4) * 3]);
        Assert.Equal(0, square.Pixels[(3 * 4) * 3]);
    }

    [Property(MaxTest = 50)]
    public Property Rotating_twice_gives_the_original(PositiveInt width, PositiveInt height, int seed)
    {
        int w = width.Get % 17 + 1, h = height.Get % 17 + 1;
        var pixels = new byte[w * h * 3];
        new Random(seed).NextBytes(pixels);
        var image = new RgbImage(w, h, pixels);
        return image.Rotate180().Rotate180().Pixels.SequenceEqual(pixels).ToProperty();
    }

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
