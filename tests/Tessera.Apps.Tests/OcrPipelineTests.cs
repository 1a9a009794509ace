using Tessera.Apps.Ocr;
using Tessera.Media;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

/// <summary>The pipeline end to end on the real PP-OCRv4 models and real printed text.</summary>
public sealed class OcrPipelineTests(ITestOutputHelper output, OcrPipelineTests.Models models) : IClassFixture<OcrPipelineTests.Models>
{
    /// <summary>One pipeline for the class: building three sessions per test would only repeat work.</summary>
    public sealed class Models
    {
        public OcrPipeline Pipeline { get; } = new();
    }

    /// <summary>imageTextN.png transcribed by eye, line by line as printed.</summary>
    public const string BookParagraph = """
        technical details are too complex to cover in the book itself.
        In teaching our courses, we have found it useful for the students to attempt a number of
        small implementation projects, which often build on one another, in order to get them used to
        working with real-world images and the challenges that these present. The students are then
        asked to choose an individual topic for each of their small-group, final projects. (Sometimes
        these projects even turn into conference papers!) The exercises at the end of each chapter
        contain numerous suggestions for smaller mid-term projects, as well as more open-ended
        problems whose solutions are still active research topics. Wherever possible, I encourage
        students to try their algorithms on their own personal photographs, since this better motivates
        them, often leads to creative variants on the problems, and better acquaints them with the
        variety and complexity of real-world imagery.
        In formulating and solving computer vision problems, I have often found it useful to draw
        inspiration from three high-level approaches:
        """;

    private readonly OcrPipeline _pipeline = models.Pipeline;

    [Fact]
    public void Book_page_recovers_at_least_95_percent_of_its_words_exactly()
    {
        var result = _pipeline.Read(RgbImage.Load(TestAssets.Image("imageTextN.png")));
        foreach (var line in result.Lines)
        {
            var c = line.Corners;
            double width = TextGeometry.Distance(c[0], c[1]), height = TextGeometry.Distance(c[1], c[2]);
            output.WriteLine($"{line.Score:F3} box {width:F0}x{height:F0} -> recognizer width {Math.Ceiling(48 * width / height)}: {line.Text}");
        }
        var recall = WordRecall.Measure(BookParagraph, result.Text);
        output.WriteLine($"exact words {recall.Exact}/{recall.Total} = {recall.ExactFraction:P1}; ignoring punctuation and case {recall.Loose}/{recall.Total} = {recall.LooseFraction:P1}");
        output.WriteLine($"timings ms: {result.Timings}");
        Assert.Equal(13, result.Lines.Count);
        Assert.True(recall.ExactFraction >= 0.95, $"only {recall.Exact} of {recall.Total} words read exactly");
        Assert.StartsWith("technical details", result.Lines[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("inspiration from three", result.Lines[^1].Text, StringComparison.Ordinal);
    }

    /// <summary>The page's first printed line (ink on rows 19 to 30) with a margin, turned upside down.</summary>
    [Fact]
    public void Upside_down_line_is_turned_by_the_orientation_classifier_and_read()
    {
        var page = RgbImage.Load(TestAssets.Image("imageTextN.png"));
        int first = 12, rows = 25;
        var line = new RgbImage(page.Width, rows, page.Pixels[(first * page.Width * 3)..((first + rows) * page.Width * 3)]);
        var result = _pipeline.Read(line.Rotate180());
        var read = Assert.Single(result.Lines);
        output.WriteLine($"{read.Score:F3} rotated {read.Rotated}: {read.Text}");
        Assert.True(read.Rotated);
        Assert.Equal("technical details are too complex to cover in the book itself.", read.Text);
    }

    /// <summary>text.png is handwritten formulas photographed at a slant. At its own size the detector sees
    /// no text (ONNX Runtime agrees, see <see cref="OcrDetectorAgreementTests"/>), so the pipeline must report
    /// nothing rather than invent lines; at twice the size it finds one box (its reading scores under the 0.5 drop
    /// threshold, so no line is reported).</summary>
    [Fact]
    public void Slanted_handwriting_gives_nothing_at_its_size_and_one_box_at_twice_its_size()
    {
        var image = RgbImage.Load(TestAssets.Image("text.png"));
        var native = _pipeline.Read(image);
        Assert.Equal(0, native.DetectedBoxes);
        Assert.Empty(native.Lines);
        var doubled = image.Resize(image.Width * 2, image.Height * 2);
        var result = _pipeline.Read(doubled);
        output.WriteLine($"{result.DetectedBoxes} boxes; timings ms: {result.Timings}");
        foreach (var line in result.Lines)
        {
            output.WriteLine($"{line.Score:F3} [{string.Join(" ", line.Corners.Select(p => $"{p.X:F0},{p.Y:F0}"))}] {line.Text}");
        }
        Assert.Equal(1, result.DetectedBoxes);
        Assert.Empty(result.Lines);
    }
}
