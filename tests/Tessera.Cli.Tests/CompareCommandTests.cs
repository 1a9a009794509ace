using System.Text.Json;
using Tessera.Cli.Compare;
using Tessera.Hardware;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Cli.Tests;

/// <summary>`tessera compare` end to end on BlazeFace front (the fastest real image model): one run with a
/// model quantized by `tessera quantize`, shared by the tests of this class.</summary>
[Collection("cli")]
public sealed class CompareCommandTests(CompareCommandTests.Run run, ITestOutputHelper output) : IClassFixture<CompareCommandTests.Run>
{
    public sealed class Run : IDisposable
    {
        public string Folder { get; } = Directory.CreateTempSubdirectory("tessera-compare-").FullName;

        public string Html => Path.Combine(Folder, "report.html");

        public string Json => Path.Combine(Folder, "report.json");

        public CliHarness.Result Result { get; }

        public Run()
        {
            TestAssets.Model("blazeface-front");
            string calibration = Path.Combine(Folder, "calibration");
            Directory.CreateDirectory(calibration);
            foreach (var image in new[] { "astronaut.png", "messi5.jpg" }) File.Copy(TestAssets.Image(image), Path.Combine(calibration, image));
            string quantized = Path.Combine(Folder, "front-int8.onnx");
            var quantize = CliHarness.Run("quantize", "blazeface-front", "-o", quantized, "--calibration", calibration);
            if (quantize.ExitCode != 0) throw new InvalidOperationException("quantize failed: " + quantize.Stderr);
            Result = CliHarness.Run("compare", "blazeface-front", "--npu", "tiny,small", "--warmup", "1", "--iters", "3",
                "--quantized", quantized, "--html", Html, "--json", Json);
        }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }

    private static readonly string[] ExpectedFigures = ["latency", "layer-macs", "roofline-tiny", "npu-layers-tiny", "roofline-small", "npu-layers-small"];

    [Fact]
    public void Html_is_self_contained_and_holds_every_plot()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Stderr);
        string html = File.ReadAllText(run.Html);
        var images = ReportPage.AssertSelfContained(html);
        var figureIds = images.Select(i => i.Parent!.Attribute("id")!.Value).ToList();
        Assert.Equal(ExpectedFigures, figureIds);
        Assert.DoesNotContain(ComparisonReport.NpuNotSimulatedNote, html, StringComparison.Ordinal);
        Assert.Contains("NPU 'small': simulated layers", html, StringComparison.Ordinal);
        Assert.Contains("not measured (no power meter)", html, StringComparison.Ordinal);
        Assert.Contains("onnxruntime", html, StringComparison.Ordinal);
        Assert.False(File.Exists(run.Html + ".tmp"));
    }

    [Fact]
    public void Json_holds_measured_latencies_roofs_from_the_spec_and_the_same_plots()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(run.Json));
        var root = document.RootElement;
        var latencies = root.GetProperty("latencies").EnumerateArray().ToList();
        Assert.Equal(["tessera cpu", "onnxruntime"], latencies.Select(l => l.GetProperty("engine").GetString()));
        foreach (var l in latencies)
        {
            output.WriteLine($"{l.GetProperty("engine").GetString()}: median {l.GetProperty("median_ms").GetDouble():F3} ms");
            Assert.Equal(3, l.GetProperty("runs").GetInt32());
            Assert.InRange(l.GetProperty("p10_ms").GetDouble(), 1e-6, l.GetProperty("median_ms").GetDouble());
            Assert.True(l.GetProperty("p90_ms").GetDouble() >= l.GetProperty("median_ms").GetDouble());
        }
        foreach (var npu in root.GetProperty("npu").EnumerateArray())
        {
            var spec = NpuSpecLoader.Load(npu.GetProperty("config").GetString()!);
            Assert.Equal((double)spec.MacCount / spec.DramBytesPerCycle, npu.GetProperty("ridge_intensity").GetDouble(), 9);
            Assert.Equal(spec.MacCount * spec.ClockMegahertz * 1e6, npu.GetProperty("peak_macs_per_second").GetDouble(), 3);
            // The int8 model simulated on this configuration: figures positive and consistent with each other.
            var simulation = npu.GetProperty("simulation");
            long cycles = simulation.GetProperty("cycles").GetInt64();
            double latency = simulation.GetProperty("latency_us").GetDouble();
            output.WriteLine($"NPU {spec.Name}: {cycles} cycles, {latency:F1} us, {simulation.GetProperty("energy_uj").GetDouble():F2} uJ, utilization {simulation.GetProperty("mac_utilization").GetDouble():P1}");
            Assert.True(cycles > 0);
            Assert.Equal(spec.ClockMegahertz, simulation.GetProperty("clock_mhz").GetDouble());
            Assert.Equal(cycles / spec.ClockMegahertz, latency, 6);
            Assert.Equal(1e6 / latency, simulation.GetProperty("inferences_per_second").GetDouble(), 6);
            Assert.True(simulation.GetProperty("energy_uj").GetDouble() > 0);
            long npuMacs = simulation.GetProperty("npu_macs").GetInt64();
            Assert.True(npuMacs > 0);
            Assert.InRange(simulation.GetProperty("mac_utilization").GetDouble(), 1e-6, 1.0);
            Assert.Equal(npuMacs / (cycles * (double)spec.MacCount), simulation.GetProperty("mac_utilization").GetDouble(), 9);
            var layers = simulation.GetProperty("layers").EnumerateArray().ToList();
            Assert.NotEmpty(layers);
            Assert.True(layers.Sum(l => l.GetProperty("macs").GetInt64()) > 0);
            Assert.All(layers, l => Assert.InRange(l.GetProperty("mac_utilization").GetDouble(), 0, 1));
            Assert.True(layers.Sum(l => l.GetProperty("cycles").GetInt64()) > 0);
        }
        var cost = root.GetProperty("cost");
        Assert.Equal(30_760_960, cost.GetProperty("macs").GetInt64());
        Assert.Equal(cost.GetProperty("macs").GetInt64(), cost.GetProperty("layers").EnumerateArray().Sum(l => l.GetProperty("macs").GetInt64()));
        var figures = root.GetProperty("figures").EnumerateArray().ToList();
        Assert.Equal(ExpectedFigures, figures.Select(f => f.GetProperty("name").GetString()));
        string html = File.ReadAllText(run.Html);
        foreach (var f in figures) Assert.Contains("data:image/png;base64," + f.GetProperty("png_base64").GetString(), html, StringComparison.Ordinal);
    }

    [Fact]
    public void Int8_outputs_follow_the_float_outputs()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(run.Json));
        var outputs = document.RootElement.GetProperty("agreement").GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(4, outputs.Count);
        foreach (var o in outputs)
        {
            double cosine = o.GetProperty("cosine").GetDouble();
            output.WriteLine($"{o.GetProperty("output").GetString()}: cosine {cosine:F5}");
            Assert.InRange(cosine, 0.98, 1.0 + 1e-9);
        }
    }

    [ChromiumFact]
    public void Headless_chromium_renders_the_page_with_its_plots()
    {
        string shot = Path.Combine(run.Folder, "screenshot.png");
        var image = ReportPage.Screenshot(run.Html, shot, 1100, 2400);
        Assert.Equal(1100, image.Width);
        int pixels = image.Width * image.Height, inked = 0, plotBlue = 0;
        for (int i = 0; i < pixels; i++)
        {
            byte r = image.Pixels[3 * i], g = image.Pixels[3 * i + 1], b = image.Pixels[3 * i + 2];
            if (r < 200 || g < 200 || b < 200) inked++;
            // The plots draw their bars and markers in SteelBlue (70, 130, 180); the page's text and tables do not use it.
            if (Math.Abs(r - 70) < 25 && Math.Abs(g - 130) < 25 && Math.Abs(b - 180) < 25) plotBlue++;
        }
        output.WriteLine($"{image.Width}x{image.Height}: {inked * 100.0 / pixels:F1}% inked, {plotBlue} plot-blue pixels");
        Assert.True(inked > pixels / 50, "the screenshot is (nearly) blank");
        Assert.True(plotBlue > 2000, "no plot visible in the screenshot");
    }

    [Theory]
    [InlineData("--backends", "cpu,gpu", "unknown engine 'gpu'")]
    [InlineData("--npu", "medium", "unknown NPU configuration 'medium'")]
    [InlineData("--iters", "0", "--iters must be at least 1")]
    public void Bad_options_are_one_line_exit_2_and_write_nothing(string option, string value, string expected)
    {
        string html = Path.Combine(run.Folder, $"bad-{Guid.NewGuid():N}.html");
        var result = CliHarness.Run("compare", "blazeface-front", option, value, "--html", html);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.False(File.Exists(html));
    }

    [Fact]
    public void Missing_model_is_one_line_exit_2()
    {
        var result = CliHarness.Run("compare", Path.Combine(run.Folder, "absent.onnx"));
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
    }
}
