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
        foreach (var line in result.Lines) output.WriteLine($"{line.Score:F3} {line.Text}");
        var recall = WordRecall.Measure(BookParagraph, result.Text);
        output.WriteLine($"exact words {recall.Exact}/{recall.Total} = {recall.ExactFraction:P1}; ignoring punctuation and case {recall.Loose}/{recall.Total} = {recall.LooseFraction:P1}");
        output.WriteLine($"timings ms: {result.Timings}");
        Assert.Equal(13, result.Lines.Count);
        Assert.True(recall.ExactFraction >= 0.95, $"only {recall.Exact} of {recall.Total} words read exactly");
        Assert.StartsWith("technical details", result.Lines[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("inspiration from three", result.Lines[^1].Text, StringComparison.Ordinal);
    }
}
