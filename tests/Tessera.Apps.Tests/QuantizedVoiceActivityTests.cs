using Tessera.Core;
using Tessera.Media;
using Tessera.Onnx;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

/// <summary>Silero VAD v5 int8 against float, as the VAD application sees them: the catalog model and its QDQ
/// model (the project quantizer, calibrated on four one-to-two-second Speech Commands and micro_speech clips,
/// none of them evaluated here) through the same <see cref="VoiceActivityDetector"/> on the reference backend.
/// The issue's bar (every frame within 0.05 of float, identical segments) does not hold today: on speech the
/// int8 probabilities differ by up to 0.87 on single frames and segment boundaries move by one 32 ms frame
/// (docs/quantization.md has the figures). What is asserted is what holds: the same segments per file, each
/// boundary within one frame, and within 0.05 on every frame of the noise-only file.</summary>
public sealed class QuantizedVoiceActivityTests(ITestOutputHelper output)
{
    private static readonly string[] CalibrationClips = ["yes_1000ms.wav", "no_1000ms.wav", "noise_1000ms.wav", "marvin_617de221_0.wav"];
    private static readonly string[] Evaluated = ["speech_en_16k.wav", "silence_noise_16k.wav", "keywords_en_16k.wav"];

    /// <summary>The layers the search keeps float on the calibration clips (minmax, 2026-12-06: starting from the
    /// STFT's epsilon Add, the layer `tessera quantize silero-vad-v5 --auto-fallback 0.99` keeps on speech_en_16k.wav,
    /// output cosine 0.97027 -> 0.99058 in 3 steps); the search starts from them and goes on if they are not enough.</summary>
    private static readonly string[] FallbackStart =
    [
        "If_0_then_branch__Inline_0__/stft/Conv", "If_0_then_branch__Inline_0__/stft/Add",
        "If_0_then_branch__Inline_0__/encoder/2/reparam_conv/Conv", "Relu_If_0_then_branch__Inline_0__/encoder/2/activation/Relu_output_0",
        "If_0_then_branch__Inline_0__/encoder/3/reparam_conv/Conv", "Relu_If_0_then_branch__Inline_0__/encoder/3/activation/Relu_output_0",
    ];

    private static Model Quantize(string method, double? fallback = null, Action<string>? log = null, bool floatFrontEndInt16State = false)
    {
        var folder = Directory.CreateTempSubdirectory("tessera-vad-int8-").FullName;
        try
        {
            foreach (var clip in CalibrationClips) File.Copy(TestAssets.Audio(clip), Path.Combine(folder, clip));
            var preset = PreprocessingPresets.Get("silero-vad-v5");
            // Without cross-layer equalization: with it the int8 segment of speech_en_16k ends two frames early
            // (4.256 s against float's 4.320 s; without it, within one frame). Measured, docs/quantization.md.
            var calibration = Quantizer.Calibrate(OnnxImporter.Load(TestAssets.Model("silero-vad-v5")),
                m => CalibrationData.Read(folder, m, preset, 160), preset, optimize: true, equalize: false);
            var options = new QuantizationOptions { Method = RangeSelection.Parse(method) };
            if (floatFrontEndInt16State)
            {
                // The STFT and the encoder (every counted MAC) stay float; the recurrent state the decoder's Concat
                // writes (stateN, carried to the next frame) is int16; the decoder head stays int8.
                var graph = calibration.FloatModel.Graph;
                var quantizable = Quantizer.Rewrite(calibration, options).Report.QuantizedNodes;
                var frontEnd = quantizable.Where(n => n.Contains("/stft/", StringComparison.Ordinal) || n.Contains("/encoder/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
                var state = graph.Nodes.Where(n => n.Name.EndsWith("/decoder/Concat", StringComparison.Ordinal)).SelectMany(n => n.Inputs.Concat(n.Outputs))
                    .Where(v => v is { Constant: null } && calibration.Observers.ContainsKey(v.Name)).Select(v => v!.Name).ToHashSet(StringComparer.Ordinal);
                Assert.Contains("stateN", state);
                var (model, report) = Quantizer.Rewrite(calibration, options with { KeepFloat = frontEnd, Int16Tensors = state });
                log?.Invoke($"float: {frontEnd.Count} nodes, int8 MACs {report.Int8Macs:N0} of {report.TotalMacs:N0}; int16: {string.Join(", ", state)}");
                return model;
            }
            if (fallback is not { } target) return Quantizer.Rewrite(calibration, options).Model;
            var samples = CalibrationData.Read(folder, calibration.FloatModel, preset, 160).ToList();
            var result = AutoFallback.Run(calibration, options with { KeepFloat = FallbackStart.ToHashSet(StringComparer.Ordinal) }, samples, preset, target, maxSteps: 4, log: log);
            log?.Invoke($"auto-fallback on the calibration clips: output cosine {result.Analysis.OutputCosine:F5}, float: {string.Join(", ", result.Report.KeptFloat.Where(k => k.Reason == "kept float by fallback").Select(k => k.Name))}");
            return result.Model;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Every counted MAC with int8 weights except the STFT's, as `tessera quantize silero-vad-v5 --method percentile --no-equalize
    /// --max-samples 4000 --augment AUGMENT --count 7 --keep-float "*/stft/Conv,*/stft/Add" --int16 "*" [--adaptive-rounding]`
    /// does it: the four clips and seven augmented variants of each (gain, noise, speed; 1,024 frames) give the ranges
    /// and the patch statistics, the STFT Conv and its epsilon Add stay float (the power spectrum's range), every other
    /// activation is int16 (W8A16), and with <paramref name="adaptive"/> the Conv weights are rounded by
    /// <see cref="AdaptiveRounding"/>.</summary>
    private static (Model Model, QuantizationReport Report) QuantizeW8A16(bool adaptive)
    {
        var folder = Directory.CreateTempSubdirectory("tessera-vad-w8a16-").FullName;
        try
        {
            foreach (var clip in CalibrationClips) File.Copy(TestAssets.Audio(clip), Path.Combine(folder, clip));
            var preset = PreprocessingPresets.Get("silero-vad-v5");
            var augmentation = new CalibrationAugmentation(Augment, 7);
            var calibration = Quantizer.Calibrate(OnnxImporter.Load(TestAssets.Model("silero-vad-v5")),
                m => CalibrationData.Read(folder, m, preset, 4000, augmentation), preset, optimize: true, equalize: false);
            var options = new QuantizationOptions { Method = CalibrationMethod.Percentile };
            var stft = Quantizer.Rewrite(calibration, options).Report.QuantizedNodes.Where(n => n.EndsWith("/stft/Conv", StringComparison.Ordinal) || n.EndsWith("/stft/Add", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
            Assert.Equal(2, stft.Count);
            options = options with { KeepFloat = stft, Int16Tensors = calibration.Observers.Keys.ToHashSet(StringComparer.Ordinal) };
            if (adaptive)
            {
                var samples = CalibrationData.Read(folder, calibration.FloatModel, preset, 4000, augmentation).ToList();
                Assert.Equal(1024, samples.Count);
                options = options with { WeightRounding = AdaptiveRounding.Measure(calibration, samples, preset) };
            }
            return Quantizer.Rewrite(calibration, options);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const string Augment = "gain:db=-12..6, noise:snr=20..50, speed:factor=0.9..1.1";

    private static string Describe(IEnumerable<SpeechSegment> segments) => string.Join(", ", segments.Select(s => $"{s.Start:F3}-{s.End:F3} s")) is { Length: > 0 } text ? text : "none";

    [Fact]
    public void V5Int8SegmentsMatchFloatWithinOneFrame() => AssertSegments(Quantize("minmax"), noiseWithinBar: true);

    /// <summary>With auto-fallback to 0.99 on the calibration clips (6 layers float, 301,056 of 548,352 MACs, the STFT Conv
    /// 264,192 of them). The issue's bar is still not met (measured 2026-12-06): speech_en_16k.wav segments identical
    /// (max 0.263, 9 of 196 frames over 0.05), keywords_en_16k.wav starts one frame early (max 0.512, 14 of 117),
    /// silence_noise_16k.wav max 0.073 (3 of 94). Asserted: segments within one frame.</summary>
    [Fact]
    public void V5Int8WithAutoFallbackSegmentsMatchFloatWithinOneFrame() => AssertSegments(Quantize("minmax", 0.99, output.WriteLine), noiseWithinBar: false);

    /// <summary>The issue's bar (every frame within 0.05 of float, identical segments) holds once the STFT and the
    /// encoder stay float and the recurrent state is int16 (measured 2026-12-07: max 0.0118 / 0.0020 / 0.0131 on the
    /// three files, segments identical). The price: none of the 548,352 counted MACs (STFT and encoder convolutions)
    /// stays int8; only the decoder head (ReLU, 1x1 Conv, Sigmoid) and the int16 state are quantized. With int8 weights
    /// kept (STFT float, the rest W8A16) keywords_en_16k.wav has one frame at 0.066 (docs/quantization.md).</summary>
    [Fact]
    public void V5WithFloatFrontEndAndInt16StateMeetsThePerFrameBar() => AssertSegments(Quantize("minmax", log: output.WriteLine, floatFrontEndInt16State: true), noiseWithinBar: true, perFrameBar: true);

    /// <summary>The issue's bar with int8 weights on the encoder and decoder (284,160 of 548,352 counted MACs; the STFT
    /// float, activations int16): met with adaptive weight rounding (measured 2026-12-07: max 0.0284 / 0.0003 / 0.0277,
    /// segments identical), missed with nearest rounding (keywords_en_16k.wav frame 92 at 0.0568).</summary>
    [Fact]
    public void V5W8A16WithAdaptiveRoundingMeetsThePerFrameBar()
    {
        var (nearest, nearestReport) = QuantizeW8A16(adaptive: false);
        var (adaptive, report) = QuantizeW8A16(adaptive: true);
        Assert.Equal(284_160, report.Int8Macs);
        Assert.Equal(548_352, report.TotalMacs);
        Assert.Equal(report.Int8Macs, nearestReport.Int8Macs);
        output.WriteLine($"int8-weight MACs {report.Int8Macs:N0} of {report.TotalMacs:N0}, int16 activations {report.Int16Tensors}");
        AssertSegments(adaptive, noiseWithinBar: true, perFrameBar: true);
        output.WriteLine("nearest rounding:");
        var failure = Record.Exception(() => AssertSegments(nearest, noiseWithinBar: true, perFrameBar: true));
        Assert.NotNull(failure);
        output.WriteLine($"nearest rounding misses the bar: {failure.Message}");
    }

    private void AssertSegments(Model int8Model, bool noiseWithinBar, bool perFrameBar = false)
    {
        var floatDetector = new VoiceActivityDetector("silero-vad-v5");
        var int8Detector = new VoiceActivityDetector(int8Model, "silero-vad-v5 int8");
        var settings = new VadSettings();
        double frame = VoiceActivityDetector.FrameSeconds;
        foreach (var file in Evaluated)
        {
            var audio = WaveAudio.Read(TestAssets.Audio(file));
            var reference = floatDetector.Probabilities(audio);
            var quantized = int8Detector.Probabilities(audio);
            Assert.Equal(reference.Length, quantized.Length);
            var differences = reference.Zip(quantized, (f, q) => System.Math.Abs(f - q)).ToArray();
            int worst = Array.IndexOf(differences, differences.Max());
            var floatSegments = VoiceActivityDetector.Segments(reference, settings, audio.Duration);
            var int8Segments = VoiceActivityDetector.Segments(quantized, settings, audio.Duration);
            output.WriteLine($"{file}: {reference.Length} frames; |p int8 - p float| max {differences[worst]:F4} (frame {worst}: float {reference[worst]:F4}, int8 {quantized[worst]:F4}), mean {differences.Average():F4}, "
                + $"{differences.Count(d => d > 0.05)} frames over 0.05; segments float {Describe(floatSegments)} | int8 {Describe(int8Segments)}");
            Assert.Equal(floatSegments.Count, int8Segments.Count);
            double slack = frame + 1e-9;
            for (int i = 0; i < floatSegments.Count; i++)
            {
                Assert.InRange(int8Segments[i].Start, floatSegments[i].Start - slack, floatSegments[i].Start + slack);
                Assert.InRange(int8Segments[i].End, floatSegments[i].End - slack, floatSegments[i].End + slack);
            }
            if (perFrameBar)
            {
                Assert.True(differences[worst] <= 0.05, $"{file}: largest difference {differences[worst]:F4} at frame {worst}");
                Assert.Equal(Describe(floatSegments), Describe(int8Segments));
            }
            if (noiseWithinBar && file == "silence_noise_16k.wav") Assert.True(differences[worst] <= 0.05, $"{file}: largest difference {differences[worst]:F4}");
        }
    }
}
