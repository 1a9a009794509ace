using System.Buffers.Binary;
using System.Text.Json;
using StbImageSharp;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`tessera robustness` on BlazeFace front (the fastest real image model): a noise sweep writes a
/// real PNG of the documented size and JSON figures that degrade; bad input is one line, exit 2, no files.</summary>
[Collection("cli")]
public sealed class RobustnessCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-robustness-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Plot => Path.Combine(_folder, "plot.png");

    private string Json => Path.Combine(_folder, "figures.json");

    private string Faces()
    {
        var folder = Path.Combine(_folder, "faces");
        Directory.CreateDirectory(folder);
        foreach (var image in new[] { "astronaut.png", "messi5.jpg" }) File.Copy(TestAssets.Image(image), Path.Combine(folder, image));
        return folder;
    }

    private string Quantized(string faces)
    {
        var model = Path.Combine(_folder, "front-int8.onnx");
        var result = CliHarness.Run("quantize", "blazeface-front", "-o", model, "--calibration", faces, "--method", "mse");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return model;
    }

    [Fact]
    public void NoiseSweepWritesAPlotAndFiguresThatDegrade()
    {
        var faces = Faces();
        var result = CliHarness.Run("robustness", "blazeface-front", Quantized(faces), "--data", faces, "--sweep", "noise", "--steps", "4", "-o", Plot, "--json", Json);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("int8 cosine", result.Stdout, StringComparison.Ordinal);

        using var document = JsonDocument.Parse(File.ReadAllText(Json));
        Assert.Equal("noise", document.RootElement.GetProperty("sweep").GetString());
        var points = document.RootElement.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(4, points.Count);
        double Cosine(int i, string which) => points[i].GetProperty(which).GetDouble();
        Assert.Equal(1.0, Cosine(0, "float_cosine"), 6);
        Assert.True(Cosine(3, "float_cosine") < Cosine(0, "float_cosine") - 0.05, "noise sigma 0.2 must move the float outputs");
        Assert.True(Cosine(3, "int8_cosine") < Cosine(0, "int8_cosine") - 0.05, "noise sigma 0.2 must move the int8 outputs");
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("decision").ValueKind);

        // A real PNG: signature, IHDR size (one panel: BlazeFace makes no single decision) and drawn content.
        var bytes = File.ReadAllBytes(Plot);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal(900, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(380, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        var image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        Assert.Equal((900, 380), (image.Width, image.Height));
        var colours = new HashSet<int>();
        for (int i = 0; i < image.Data.Length; i += 3) colours.Add(image.Data[i] << 16 | image.Data[i + 1] << 8 | image.Data[i + 2]);
        Assert.True(colours.Count > 20, $"the plot has {colours.Count} colours: lines, text and grid are missing");
        Assert.Empty(Directory.EnumerateFiles(_folder, "*.tmp*"));
    }

    [Theory]
    [InlineData("fog", "unknown sweep 'fog'")]
    [InlineData("snr", "holds no .wav files")]
    public void BadSweepIsOneLineAndWritesNothing(string sweep, string expected)
    {
        var faces = Faces();
        var result = CliHarness.Run("robustness", "blazeface-front", Path.Combine(_folder, "missing.onnx"), "--data", faces, "--sweep", sweep, "-o", Plot, "--json", Json);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.False(File.Exists(Plot) || File.Exists(Json), "no output is written on error");
    }

    [Fact]
    public void MissingQuantizedModelIsOneLine()
    {
        var result = CliHarness.Run("robustness", "blazeface-front", Path.Combine(_folder, "missing.onnx"), "--data", Faces(), "--sweep", "blur", "-o", Plot);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.False(File.Exists(Plot));
    }
}
