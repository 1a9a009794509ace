using Tessera.Media;
using Tessera.Apps;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

public sealed class ImageClassifierTests(ITestOutputHelper output)
{
    private static readonly string[] OrientationLabels = ["0", "180"];

    /// <summary>Pieces of the page's printed lines, found by row and column projection (dark pixels), each
    /// cropped with a small margin: the orientation classifier was trained on detector crops (48x192).</summary>
    internal static List<RgbImage> TextLines()
    {
        var page = RgbImage.Load(TestAssets.Image("imageTextN.png"));
        bool Inked(int y) => Enumerable.Range(0, page.Width).Any(x => page.Pixels[(y * page.Width + x) * 3 + 1] < 100);
        var lines = new List<RgbImage>();
        for (int y = 0; y < page.Height; y++)
        {
            if (!Inked(y)) continue;
            int top = y;
            while (y < page.Height && Inked(y)) y++;
            if (y - top < 6) continue; // specks, not text
            int first = Math.Max(0, top - 3), last = Math.Min(page.Height, y + 3);
            // A detector hands the classifier tight word groups, not 30:1 page-wide lines: cut the line's
            // inked extent into pieces of about 6:1.
            int height = last - first;
            bool InkedColumn(int x) => Enumerable.Range(first, height).Any(row => page.Pixels[(row * page.Width + x) * 3 + 1] < 100);
            int left = Enumerable.Range(0, page.Width).First(InkedColumn), right = Enumerable.Range(0, page.Width).Last(InkedColumn) + 1;
            for (int start = left; right - start >= 3 * height; start += 6 * height)
            {
                int width = Math.Min(right - start, 6 * height);
                var pixels = new byte[width * height * 3];
                for (int row = 0; row < height; row++) Array.Copy(page.Pixels, ((first + row) * page.Width + start) * 3, pixels, row * width * 3, width * 3);
                lines.Add(new RgbImage(width, height, pixels));
            }
        }
        return lines;
    }

    private static RgbImage TextLine() => TextLines()[0];

    [Fact]
    public void Orientation_classifier_flips_its_decision_for_upside_down_text()
    {
        var classifier = new ImageClassifier(TestAssets.Model("ppocr-cls"), OrientationLabels, ClassifierPreprocessing.PaddleText);
        var lines = TextLines();
        Assert.InRange(lines.Count, 20, 100);
        int uprightRight = 0, rotatedRight = 0;
        foreach (var line in lines)
        {
            var upright = classifier.Classify(line, 2);
            var flipped = classifier.Classify(line.Rotate180(), 2);
            output.WriteLine($"line {line.Width}x{line.Height}: upright 0={upright.Single(p => p.Label == "0").Probability:F3}, rotated 180={flipped.Single(p => p.Label == "180").Probability:F3}");
            Assert.Equal(1.0, upright.Sum(p => p.Probability), 3);
            if (upright[0].Label == "0") uprightRight++;
            if (flipped[0].Label == "180") rotatedRight++;
        }
        // Measured: all 55 pieces upright and 54 of 55 rotated (one short 62-pixel tail gets 0.36 for 180).
        Assert.Equal(lines.Count, uprightRight);
        Assert.True(rotatedRight * 100 >= lines.Count * 95, $"only {rotatedRight} of {lines.Count} rotated pieces classified as 180");
    }

    [Fact]
    public void Label_count_must_match_the_model()
    {
        var classifier = new ImageClassifier(TestAssets.Model("ppocr-cls"), ["only one"], ClassifierPreprocessing.PaddleText);
        var error = Assert.Throws<Core.InvalidInputException>(() => classifier.Classify(TextLine(), 5));
        Assert.Contains("2 classes", error.Message);
    }
}
