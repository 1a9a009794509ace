using Tessera.Apps.Kws;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Media;
using Tessera.Testing;

namespace Tessera.TFLite.Tests;

/// <summary>The acceptance facts of the int8 MLPerf Tiny models on the integer reference executor: the same
/// photos and the same preprocessing as the float models' tests (FloatModelTests).</summary>
public sealed class Int8ModelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static float[] RunImage(string file, string image, int size, float scale)
    {
        var program = IntegerLowering.Lower(MlperfTinyModels.Load(file));
        var input = MlperfTinyInputs.Quantize(MlperfTinyModels.ImageNhwc(image, size, scale), MlperfTinyInputs.InputQuantization(file));
        var scores = program.RunOutputs(new Dictionary<string, Tensor> { [program.Inputs.Single()] = input })[program.Outputs.Single()];
        // Softmax outputs: scale 1/256, zero point -128.
        return scores.As<sbyte>().Select(v => (v + 128) / 256f).ToArray();
    }

    [Theory]
    [InlineData("astronaut.png", true)]
    [InlineData("messi5.jpg", true)]
    [InlineData("coffee.png", false)]
    [InlineData("chelsea.png", false)]
    public void Int8_visual_wake_words_finds_people(string image, bool person)
    {
        var scores = RunImage("vww_96_int8.tflite", image, 96, 1f / 255);
        output.WriteLine($"{image}: person {scores[1]:F3}");
        Assert.Equal(person ? 1 : 0, MlperfTinyModels.ArgMax(scores));
    }

    [Fact]
    public void Int8_resnet8_sees_a_cat_in_chelsea()
    {
        var scores = RunImage("pretrainedResnet_quant.tflite", "chelsea.png", 32, 1f);
        output.WriteLine($"chelsea.png: cat {scores[3]:F3}");
        Assert.Equal(3, MlperfTinyModels.ArgMax(scores));
    }

    [Fact]
    public void Int8_keyword_spotter_hears_marvin_as_unknown_and_reports_the_keyword_clip()
    {
        var spotter = new KeywordSpotter(MlperfTinyModels.Path("kws_ref_model.tflite"));
        Assert.True(spotter.IsQuantized);
        var marvin = spotter.Windows(WaveAudio.Read(TestAssets.Audio("marvin_617de221_0.wav")));
        var scores = marvin.Single().Probabilities;
        output.WriteLine("marvin_617de221_0.wav: " + string.Join(", ", Top(scores, 3)));
        Assert.Equal("unknown", KeywordSpotter.Labels[KeywordWindow.ArgMax(scores)]);
        var detections = KeywordSpotter.Detect(spotter.Windows(WaveAudio.Read(TestAssets.Audio("keywords_en_16k.wav"))));
        output.WriteLine("keywords_en_16k.wav: " + string.Join(", ", detections.Select(d => $"{d.Label} ({d.Time:F1} s, {d.Score:F2})")));
        Assert.All(detections, d => Assert.Contains(d.Label, KeywordSpotter.Commands));
    }

    private static IEnumerable<string> Top(float[] scores, int count) =>
        scores.Select((s, i) => (s, i)).OrderByDescending(p => p.s).Take(count).Select(p => $"{KeywordSpotter.Labels[p.i]} {p.s:F3}");
}
