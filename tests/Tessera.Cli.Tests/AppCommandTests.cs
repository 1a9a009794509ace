using System.Text.Json;
using Tessera.Media;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`tessera app ...` end to end on the real models and assets.</summary>
[Collection("cli")]
public sealed class AppCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-app-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("reference")]
    [InlineData("cpu")]
    public void Faces_json_reports_one_face_and_writes_the_drawing(string backend)
    {
        TestAssets.Model("blazeface-front");
        var png = Path.Combine(_folder, "faces.png");
        var result = CliHarness.Run("app", "faces", TestAssets.Image("astronaut.png"), "-o", png, "--json", "--backend", backend);
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        var face = Assert.Single(document.RootElement.GetProperty("faces").EnumerateArray());
        Assert.Equal(6, face.GetProperty("keypoints").GetArrayLength());
        Assert.True(face.GetProperty("score").GetDouble() > 0.75);
        var drawn = RgbImage.Load(png);
        Assert.Equal((512, 512), (drawn.Width, drawn.Height));
        Assert.NotEqual(RgbImage.Load(TestAssets.Image("astronaut.png")).Pixels, drawn.Pixels);
    }

    [Theory]
    [InlineData("reference")]
    [InlineData("cpu")]
    public void Vad_json_lists_the_speech_segment(string backend)
    {
        TestAssets.Model("silero-vad-v5");
        var result = CliHarness.Run("app", "vad", TestAssets.Audio("speech_en_16k.wav"), "--json", "--backend", backend);
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        var segment = Assert.Single(document.RootElement.GetProperty("segments").EnumerateArray());
        Assert.InRange(segment.GetProperty("start").GetDouble(), 0.8, 1.2);
    }

    [Fact]
    public void Classify_ranks_the_orientation_classes()
    {
        TestAssets.Model("ppocr-cls");
        var labels = Path.Combine(_folder, "labels.txt");
        File.WriteAllLines(labels, ["0", "180"]);
        var result = CliHarness.Run("app", "classify", TestAssets.Image("imageTextN.png"), "--model", "ppocr-cls", "--labels", labels,
            "--preprocess", "paddle-text", "--top", "1", "--json");
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Equal("0", Assert.Single(document.RootElement.EnumerateArray()).GetProperty("label").GetString());
    }

    /// <summary>Without --calibration the application calibrates on its own input; the JSON carries the
    /// simulator's figures for the model.</summary>
    [Fact]
    public void Faces_on_the_npu_report_the_simulated_figures_in_json()
    {
        TestAssets.Model("blazeface-front");
        var result = CliHarness.Run("app", "faces", TestAssets.Image("astronaut.png"), "--backend", "npu", "--npu", "small", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Single(document.RootElement.GetProperty("faces").EnumerateArray().ToList());
        var npu = Assert.Single(document.RootElement.GetProperty("npu").EnumerateArray().ToList());
        Assert.Equal("small", npu.GetProperty("configuration").GetString());
        Assert.Equal(1, npu.GetProperty("inferences").GetInt32());
        long cycles = npu.GetProperty("cycles").GetInt64();
        Assert.True(cycles > 0);
        Assert.Equal(cycles / npu.GetProperty("clock_mhz").GetDouble(), npu.GetProperty("latency_us").GetDouble(), 6);
        Assert.True(npu.GetProperty("energy_uj").GetDouble() > 0);
    }

    [Fact]
    public void Ocr_json_reads_the_first_lines_of_the_book_page_and_draws_their_boxes()
    {
        TestAssets.Model("ppocr-det");
        TestAssets.Model("ppocr-rec");
        TestAssets.Model("ppocr-cls");
        // The page's first two printed lines only: the whole page takes minutes on the reference backend
        // and is covered by the Apps acceptance test.
        var page = RgbImage.Load(TestAssets.Image("imageTextN.png"));
        int rows = 53; // the third line's ink starts at row 56
        var top = new RgbImage(page.Width, rows, page.Pixels[..(page.Width * rows * 3)]);
        var input = Path.Combine(_folder, "top.png");
        top.SavePng(input);
        var png = Path.Combine(_folder, "ocr.png");
        var result = CliHarness.Run("app", "ocr", input, "-o", png, "--json");
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        var lines = document.RootElement.GetProperty("lines").EnumerateArray().ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("technical details are too complex to cover in the book itself.", lines[0].GetProperty("text").GetString());
        Assert.StartsWith("In teaching our courses", lines[1].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, lines[0].GetProperty("box").GetArrayLength());
        Assert.True(document.RootElement.GetProperty("timingsMs").GetProperty("recognition").GetDouble() > 0);
        var drawn = RgbImage.Load(png);
        Assert.Equal((top.Width, top.Height), (drawn.Width, drawn.Height));
        Assert.NotEqual(top.Pixels, drawn.Pixels);
    }

    [Fact]
    public void Ocr_rejects_an_unknown_npu_configuration_in_one_line()
    {
        var result = CliHarness.Run("app", "ocr", TestAssets.Image("text.png"), "--backend", "npu", "--npu", "medium");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown NPU configuration 'medium'", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void Missing_audio_file_is_one_line_exit_2()
    {
        var result = CliHarness.Run("app", "vad", Path.Combine(_folder, "absent.wav"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", Assert.Single(result.ErrorLines));
    }
}
