using Tessera.Media;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

/// <summary>The applications on the npu backend (configuration 'small'): each model quantized with the
/// application's own calibration on test assets, partitioned between the simulated NPU and the integer
/// executor, and run by the hybrid runner. The same acceptance as on the float backends, plus the figures the
/// simulator reports being there.</summary>
public sealed class NpuApplicationTests(ITestOutputHelper output)
{
    /// <summary>A temporary calibration folder holding copies of test assets.</summary>
    internal static NpuTarget Calibration(string prefix, params string[] files) => Calibration(prefix, 16, files);

    internal static NpuTarget Calibration(string prefix, int maxSamples, params string[] files)
    {
        var folder = Directory.CreateTempSubdirectory($"tessera-npu-{prefix}-").FullName;
        foreach (var file in files)
        {
            var source = file.EndsWith(".wav", StringComparison.Ordinal) ? TestAssets.Audio(file) : TestAssets.Image(file);
            File.Copy(source, Path.Combine(folder, file));
        }
        return new NpuTarget("small", folder, maxSamples);
    }

    private void Report(AppModel model)
    {
        var usage = Assert.IsType<NpuAppModel>(model).Usage();
        output.WriteLine(usage.Summary());
        Assert.True(usage.Inferences > 0);
        Assert.True(usage.Cycles > 0 && usage.EnergyMicrojoules > 0, "the simulator reported no work");
        Assert.True(usage.NpuMacFraction > 0.5, $"NPU MAC fraction {usage.NpuMacFraction:P2}");
    }

    [Fact]
    public void Faces_on_the_npu_match_the_cpu_box_and_find_none_on_coffee()
    {
        // Calibrated on the two face photos, as the int8 application tests are.
        var target = Calibration("faces", "astronaut.png", "messi5.jpg");
        try
        {
            var npu = new FaceDetector(BlazeFaceVariant.Front, "npu", target);
            var cpu = new FaceDetector(BlazeFaceVariant.Front, "cpu");
            var astronaut = RgbImage.Load(TestAssets.Image("astronaut.png"));
            var faces = npu.Detect(astronaut);
            var reference = Assert.Single(cpu.Detect(astronaut));
            var face = Assert.Single(faces);
            double iou = face.IntersectionOverUnion(reference);
            output.WriteLine($"npu box {face.Left:F1},{face.Top:F1} - {face.Right:F1},{face.Bottom:F1} score {face.Score:F3}; cpu {reference.Left:F1},{reference.Top:F1} - {reference.Right:F1},{reference.Bottom:F1}; IoU {iou:F4}");
            Assert.True(face.Contains(face.Keypoint("right_eye")) && face.Contains(face.Keypoint("left_eye")), "an eye lies outside the box");
            Assert.True(face.Contains(face.Keypoint("mouth")), "the mouth lies outside the box");
            Assert.True(iou >= 0.9, $"IoU with the cpu box {iou}");
            Assert.Empty(npu.Detect(RgbImage.Load(TestAssets.Image("coffee.png"))));
            Report(npu.Model);
        }
        finally
        {
            Directory.Delete(target.CalibrationFolder, recursive: true);
        }
    }

    /// <summary>Silero v5 runs on the NPU because its sample rate is bound to 16 kHz and its input shapes to one
    /// frame, which lets the optimizer inline every If and expand the LSTM into gate Gemm/MatMuls on the NPU; calibrated
    /// on four one-second clips not evaluated here.</summary>
    [Fact]
    public void Vad_on_the_npu_finds_the_sentence_and_nothing_in_noise()
    {
        var target = Calibration("vad", "yes_1000ms.wav", "no_1000ms.wav", "noise_1000ms.wav", "marvin_617de221_0.wav");
        try
        {
            var detector = new VoiceActivityDetector("silero-vad-v5", "npu", target);
            var speech = WaveAudio.Read(TestAssets.Audio("speech_en_16k.wav"));
            var (_, voicedEnd) = VoiceActivityDetectorTests.VoicedSpan(speech);
            var segments = detector.Detect(speech);
            output.WriteLine($"speech: {string.Join(", ", segments.Select(s => $"{s.Start:F3}-{s.End:F3} s"))}; sentence ends {voicedEnd:F2} s");
            var segment = Assert.Single(segments);
            Assert.InRange(segment.Start, 0.8, 1.2);
            Assert.InRange(segment.End, voicedEnd - 0.3, voicedEnd + 0.3);
            Assert.Empty(detector.Detect(WaveAudio.Read(TestAssets.Audio("silence_noise_16k.wav"))));
            Report(detector.Runner);
            // The expanded LSTM runs on the NPU: only the STFT front end's float Pow/ReduceMean stay on the host.
            var usage = Assert.IsType<NpuAppModel>(detector.Runner).Usage();
            Assert.True(usage.NpuMacFraction >= 0.95, $"NPU MAC fraction {usage.NpuMacFraction:P2}");
        }
        finally
        {
            Directory.Delete(target.CalibrationFolder, recursive: true);
        }
    }

    /// <summary>OCR on the NPU, on the page's first printed line (rows 12 to 36) to keep the test short: simulating
    /// the whole page takes minutes (docs/apps.md has that run: 13 lines, 161 of 166 words). The three models are
    /// calibrated on imageTextN.png, the only printed page among the assets, so the line read is one the
    /// calibration saw. The recognizer and classifier are calibrated on its first 4 lines (calibration runs the
    /// float models on the reference kernels, the slow part of this test).</summary>
    [Fact]
    public void Ocr_on_the_npu_reads_the_first_line_exactly()
    {
        var target = Calibration("ocr", 4, "imageTextN.png");
        try
        {
            var pipeline = new Ocr.OcrPipeline("npu", null, target);
            var page = RgbImage.Load(TestAssets.Image("imageTextN.png"));
            int first = 12, rows = 25;
            var line = new RgbImage(page.Width, rows, page.Pixels[(first * page.Width * 3)..((first + rows) * page.Width * 3)]);
            var result = pipeline.Read(line);
            var read = Assert.Single(result.Lines);
            output.WriteLine($"{read.Score:F3}: {read.Text}");
            Assert.Equal("technical details are too complex to cover in the book itself.", read.Text);
            foreach (var model in pipeline.Models) Report(model);
        }
        finally
        {
            Directory.Delete(target.CalibrationFolder, recursive: true);
        }
    }

    [Fact]
    public void Backend_npu_without_a_target_is_a_clear_error()
    {
        var error = Assert.Throws<Core.InvalidInputException>(() => new FaceDetector(BlazeFaceVariant.Front, "npu"));
        Assert.Contains("--npu", error.UserMessage, StringComparison.Ordinal);
    }
}
