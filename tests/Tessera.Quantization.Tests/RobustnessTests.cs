using Tessera.Augment.Image;
using Tessera.Augment.Text;
using Tessera.Core;
using Tessera.Media;
using Tessera.Onnx;
using Tessera.Quantization.Robustness;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Quantization.Tests;

/// <summary>Robustness sweeps on real models and data: the PP-OCR orientation classifier on rendered text
/// crops (upright and turned 180 degrees) and Silero VAD v5 on a spoken word. The curves must degrade, the
/// clean point must be exact for the float model, and the int8 model must start close to it. (Noise up to
/// sigma 0.2 hardly moves the classifier on these crops: resizing to 48 px high averages it away, so blur
/// is the sweep that tests it.)</summary>
public sealed class RobustnessTests(ITestOutputHelper output)
{
    /// <summary>Tight crops of rendered text lines, about 5:1 like the detector's boxes, each also turned 180 degrees.</summary>
    private static string TextCropFolder(int lines)
    {
        var folder = Directory.CreateTempSubdirectory("tessera-robust-crops-").FullName;
        int index = 0;
        foreach (var line in TextLineSet.Generate(lines, seed: 11))
        {
            var box = line.InkBox;
            int left = System.Math.Max(0, box.Left - 3), top = System.Math.Max(0, box.Top - 3);
            int height = System.Math.Min(line.Image.Height - top, box.Bottom - box.Top + 6);
            var crop = ImageGeometry.Crop(line.Image, left, top, System.Math.Min(line.Image.Width - left, 5 * height), height);
            crop.SavePng(Path.Combine(folder, $"crop{index:D2}_0.png"));
            ImageGeometry.Flip(ImageGeometry.Flip(crop, horizontal: true), horizontal: false).SavePng(Path.Combine(folder, $"crop{index:D2}_180.png"));
            index++;
        }
        return folder;
    }

    private void Print(RobustnessResult result)
    {
        output.WriteLine($"{result.Sweep.Name}: {result.Files} files, decision {result.Decision ?? "none"}");
        foreach (var p in result.Points)
        {
            output.WriteLine($"  {RobustnessSweep.Format(p.Level),6}: cosine float {p.FloatCosine:F5} int8 {p.QuantizedCosine:F5}; agreement float {p.FloatAgreement:P1} int8 {p.QuantizedAgreement:P1}");
        }
    }

    [Fact]
    public void ClassifierDegradesUnderGrowingBlur()
    {
        var folder = TextCropFolder(6);
        try
        {
            var run = ModelQuantization.Run("ppocr-cls", "ppocr-cls", folder, maxSamples: 12);
            var reference = OnnxImporter.Load(TestAssets.Model("ppocr-cls"));
            ModelPreparation.Prepare(reference, run.Preset, optimize: true);
            var sweep = RobustnessSweep.Parse("blur", 4);
            var files = RobustnessAnalysis.Files(folder, sweep);
            Assert.Equal(12, files.Count);
            int calls = 0;
            var blur = RobustnessAnalysis.Run(reference, run.Quantized, run.Preset, files, sweep, seed: 3, progress: (done, total) => { calls++; Assert.InRange(done, 1, total); });
            Print(blur);
            Assert.Equal(12 * (1 + 2 * 4), calls);
            Assert.Equal("top-1", blur.Decision);
            var clean = blur.Points[0];
            Assert.Equal(0, clean.Level);
            Assert.Equal(1.0, clean.FloatCosine, 9);
            Assert.Equal(1.0, clean.FloatAgreement);
            Assert.True(clean.QuantizedCosine >= 0.99, $"int8 cosine on clean crops {clean.QuantizedCosine}");
            // Blur at sigma 4 px smears 20-40 px high text: both models must visibly lose their clean answer.
            var strongest = blur.Points[^1];
            Assert.True(strongest.FloatCosine < clean.FloatCosine - 0.05 && strongest.QuantizedCosine < clean.QuantizedCosine - 0.05,
                $"cosine at blur 4: float {strongest.FloatCosine}, int8 {strongest.QuantizedCosine}");
            Assert.True(strongest.FloatAgreement < 1 && strongest.QuantizedAgreement < 1);

            // Noise is drawn from the seed: the same seed gives the same figures.
            var noise = RobustnessSweep.Parse("noise", 2);
            var first = RobustnessAnalysis.Run(reference, run.Quantized, run.Preset, files.Take(4).ToList(), noise, seed: 5);
            var again = RobustnessAnalysis.Run(reference, run.Quantized, run.Preset, files.Take(4).ToList(), noise, seed: 5);
            Print(first);
            Assert.Equal(first.Points, again.Points);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void VoiceActivityDegradesAsTheSignalToNoiseRatioFalls()
    {
        var folder = ModelQuantization.AudioFolder("yes_1000ms.wav");
        try
        {
            var run = ModelQuantization.Run("silero-vad-v5", "silero-vad-v5", folder, new QuantizationOptions { Method = RangeSelection.Parse("percentile") }, maxSamples: 40);
            var reference = OnnxImporter.Load(TestAssets.Model("silero-vad-v5"));
            ModelPreparation.Prepare(reference, run.Preset, optimize: true);
            var sweep = RobustnessSweep.Parse("snr", 3);
            var result = RobustnessAnalysis.Run(reference, run.Quantized, run.Preset, RobustnessAnalysis.Files(folder, sweep), sweep);
            Print(result);
            Assert.Equal("p >= 0.5", result.Decision);
            Assert.Equal(["output"], result.Outputs);
            Assert.Equal([40.0, 20.0, 0.0], result.Points.Select(p => p.Level));
            Assert.True(result.Points[^1].FloatCosine < result.Points[0].FloatCosine && result.Points[^1].QuantizedCosine < result.Points[0].QuantizedCosine, "white noise at 0 dB SNR must move both models' outputs");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("fog", 6, "unknown sweep 'fog'")]
    [InlineData("noise", 1, "--steps must be at least 2")]
    public void BadSweepsAreUserErrors(string name, int steps, string message)
    {
        var error = Assert.Throws<InvalidInputException>(() => RobustnessSweep.Parse(name, steps));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAudioSweepOverImagesIsAUserError()
    {
        var folder = ModelQuantization.ImageFolder("astronaut.png");
        try
        {
            var error = Assert.Throws<InvalidInputException>(() => RobustnessAnalysis.Files(folder, RobustnessSweep.Parse("snr")));
            Assert.Contains("holds no .wav files", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void LevelsRunFromWeakestToStrongest()
    {
        Assert.Equal([0, 0.05, 0.1, 0.15, 0.2], RobustnessSweep.Parse("noise", 5).Levels.Select(v => System.Math.Round(v, 9)));
        Assert.Equal([1, 0.6, 0.2], RobustnessSweep.Parse("brightness", 3).Levels.Select(v => System.Math.Round(v, 9)));
        var image = RgbImage.Load(TestAssets.Image("chelsea.png"));
        var darker = RobustnessSweep.Parse("brightness").Apply(image, 0.5, new Random(1));
        Assert.True(darker.Pixels.Average(b => (double)b) < 0.6 * image.Pixels.Average(b => (double)b));
    }
}
