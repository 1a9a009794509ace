using Tessera.Apps;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

public sealed class ImageClassifierTests(ITestOutputHelper output)
{
    private static readonly string[] OrientationLabels = ["0", "180"];

    /// <summary>A line-shaped strip of the printed page: the orientation classifier was trained on single
    /// text lines (48x192), so the whole page would be far from its data.</summary>
    private static RgbImage TextLine()
    {
        var page = RgbImage.Load(TestAssets.Image("imageTextN.png"));
        int height = Math.Max(1, page.Width / 4);
        var pixels = new byte[page.Width * height * 3];
        Array.Copy(page.Pixels, 0, pixels, 0, pixels.Length);
        return new RgbImage(page.Width, height, pixels);
    }

    [Fact]
    public void Orientation_classifier_flips_its_decision_for_upside_down_text()
    {
        var classifier = new ImageClassifier(TestAssets.Model("ppocr-cls"), OrientationLabels, ClassifierPreprocessing.PaddleText);
        var line = TextLine();
        var upright = classifier.Classify(line, 2);
        var flipped = classifier.Classify(line.Rotate180(), 2);
        output.WriteLine($"upright: {string.Join(", ", upright.Select(p => $"{p.Label}={p.Probability:F3}"))}");
        output.WriteLine($"rotated: {string.Join(", ", flipped.Select(p => $"{p.Label}={p.Probability:F3}"))}");
        Assert.Equal("0", upright[0].Label);
        Assert.Equal("180", flipped[0].Label);
        Assert.Equal(1.0, upright.Sum(p => p.Probability), 3);
    }

    [Fact]
    public void Label_count_must_match_the_model()
    {
        var classifier = new ImageClassifier(TestAssets.Model("ppocr-cls"), ["only one"], ClassifierPreprocessing.PaddleText);
        var error = Assert.Throws<Core.InvalidInputException>(() => classifier.Classify(TextLine(), 5));
        Assert.Contains("2 classes", error.Message);
    }
}
