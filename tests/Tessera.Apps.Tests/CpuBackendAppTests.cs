using Tessera.Apps.Kws;
using Tessera.Apps.Ocr;
using Tessera.Core;
using Tessera.Media;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

/// <summary>The applications' acceptance on `--backend cpu` (the fast kernels on the optimized graph): the same
/// bars as on the reference backend, and where the reference is quick enough to run here, the same answer
/// (face boxes at IoU >= 0.9, classifier and keyword probabilities within 1e-3).</summary>
public sealed class CpuBackendAppTests(ITestOutputHelper output)
{
    private const string Cpu = "cpu";

    [Fact]
    public void Ocr_on_cpu_reads_at_least_95_percent_of_the_book_page_words_exactly()
    {
        TestAssets.Model("ppocr-det");
        TestAssets.Model("ppocr-rec");
        TestAssets.Model("ppocr-cls");
        var result = new OcrPipeline(Cpu).Read(RgbImage.Load(TestAssets.Image("imageTextN.png")));
        foreach (var line in result.Lines) output.WriteLine($"{line.Score:F3} {line.Text}");
        var recall = WordRecall.Measure(OcrPipelineTests.BookParagraph, result.Text);
        output.WriteLine($"cpu: exact words {recall.Exact}/{recall.Total} = {recall.ExactFraction:P1}; timings ms: {result.Timings}");
        Assert.Equal(13, result.Lines.Count);
        Assert.True(recall.ExactFraction >= 0.95, $"only {recall.Exact} of {recall.Total} words read exactly on cpu");
        Assert.StartsWith("technical details", result.Lines[0].Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("blazeface-front")]
    [InlineData("blazeface-back")]
    public void Faces_on_cpu_match_the_reference_box_on_astronaut_and_find_none_on_coffee(string model)
    {
        TestAssets.Model(model);
        var variant = BlazeFaceVariant.Named(model);
        var astronaut = RgbImage.Load(TestAssets.Image("astronaut.png"));
        var cpu = new FaceDetector(variant, Cpu);
        var face = Assert.Single(cpu.Detect(astronaut));
        var reference = Assert.Single(new FaceDetector(variant).Detect(astronaut));
        double iou = face.IntersectionOverUnion(reference);
        output.WriteLine($"{model} cpu {face.Left:F1},{face.Top:F1} - {face.Right:F1},{face.Bottom:F1} score {face.Score:F3}; IoU with reference {iou:F4}");
        Assert.True(face.Contains(face.Keypoint("right_eye")) && face.Contains(face.Keypoint("left_eye")), "an eye outside the box");
        Assert.True(face.Contains(face.Keypoint("mouth")), "mouth outside the box");
        Assert.True(iou >= 0.9, $"cpu box differs from the reference box (IoU {iou:F3})");
        Assert.Empty(cpu.Detect(RgbImage.Load(TestAssets.Image("coffee.png"))));
    }

    [Theory]
    [InlineData("silero-vad-v5")]
    [InlineData("silero-vad-legacy")]
    public void Vad_on_cpu_finds_the_sentence_and_nothing_in_noise(string model)
    {
        TestAssets.Model(model);
        var detector = new VoiceActivityDetector(model, Cpu);
        var speech = WaveAudio.Read(TestAssets.Audio("speech_en_16k.wav"));
        var (_, voicedEnd) = VoiceActivityDetectorTests.VoicedSpan(speech);
        var segments = detector.Detect(speech);
        output.WriteLine($"{model} cpu: {string.Join(", ", segments.Select(s => $"{s.Start:F3}-{s.End:F3}"))}; voiced end {voicedEnd:F2}");
        var segment = Assert.Single(segments);
        Assert.InRange(segment.Start, 0.8, 1.2);
        Assert.InRange(segment.End, voicedEnd - 0.3, voicedEnd + 0.3);
        Assert.Empty(detector.Detect(WaveAudio.Read(TestAssets.Audio("silence_noise_16k.wav"))));
    }

    [Fact]
    public void Orientation_classifier_on_cpu_agrees_with_the_reference()
    {
        string[] labels = ["0", "180"];
        var path = TestAssets.Model("ppocr-cls");
        var cpu = new ImageClassifier(path, labels, ClassifierPreprocessing.PaddleText, Cpu);
        var reference = new ImageClassifier(path, labels, ClassifierPreprocessing.PaddleText);
        // Every fourth piece: the agreement is per input, the full sweep is the reference test's job.
        var pieces = ImageClassifierTests.TextLines().Where((_, i) => i % 4 == 0).ToList();
        double largest = 0;
        foreach (var piece in pieces.Concat(pieces.Select(p => p.Rotate180())))
        {
            var fast = cpu.Classify(piece, 2).ToDictionary(p => p.Label, p => p.Probability);
            var slow = reference.Classify(piece, 2).ToDictionary(p => p.Label, p => p.Probability);
            largest = Math.Max(largest, labels.Max(l => Math.Abs(fast[l] - slow[l])));
        }
        output.WriteLine($"{pieces.Count * 2} crops, largest probability difference cpu vs reference {largest:G3}");
        Assert.True(largest <= 1e-3, $"cpu and reference probabilities differ by {largest:G3}");
        Assert.Equal("0", cpu.Classify(pieces[0], 1)[0].Label);
        Assert.Equal("180", cpu.Classify(pieces[0].Rotate180(), 1)[0].Label);
    }

    [Fact]
    public void Keyword_spotter_on_cpu_hears_yes_and_agrees_with_the_reference()
    {
        var samples = WaveAudio.Read(TestAssets.Audio("yes_1000ms.wav")).Resample(16000).Samples;
        var fast = new KeywordSpotter(backend: Cpu).Classify(samples);
        var slow = new KeywordSpotter().Classify(samples);
        double largest = fast.Zip(slow, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"yes: cpu p(yes) {fast[KeywordSpotter.Labels.ToList().IndexOf("yes")]:F4}, largest difference vs reference {largest:G3}");
        Assert.Equal("yes", KeywordSpotter.Labels[KeywordWindow.ArgMax(fast)]);
        Assert.True(largest <= 1e-3, $"cpu and reference keyword probabilities differ by {largest:G3}");
    }

    /// <summary>The npu backend needs a configuration and calibration data; without them every application
    /// says so instead of running something else.</summary>
    [Fact]
    public void Npu_without_a_target_asks_for_one()
    {
        Assert.Contains("--npu", Assert.Throws<InvalidInputException>(() => new FaceDetector(BlazeFaceVariant.Front, "npu")).UserMessage, StringComparison.Ordinal);
        Assert.Contains("--npu", Assert.Throws<InvalidInputException>(() => new OcrPipeline("npu")).UserMessage, StringComparison.Ordinal);
        Assert.Contains("--npu", Assert.Throws<InvalidInputException>(() => new VoiceActivityDetector("silero-vad-v5", "npu")).UserMessage, StringComparison.Ordinal);
    }
}
