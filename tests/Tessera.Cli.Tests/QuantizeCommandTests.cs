using Tessera.Core;
using Tessera.Onnx;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`tessera quantize` and `tessera analyze` on BlazeFace (front), the fastest real image model.</summary>
[Collection("cli")]
public sealed class QuantizeCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-quantize-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Output => Path.Combine(_folder, "out.onnx");

    private string Folder(string name, params string[] images)
    {
        var folder = Path.Combine(_folder, name);
        Directory.CreateDirectory(folder);
        foreach (var image in images) File.Copy(TestAssets.Image(image), Path.Combine(folder, image));
        return folder;
    }

    private void AssertUserError(CliHarness.Result result, string expected)
    {
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Output), "no output file is written on error");
    }

    [Fact]
    public void MissingCalibrationFolderIsAUserError() =>
        AssertUserError(CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", Path.Combine(_folder, "missing")), "does not exist");

    [Fact]
    public void EmptyCalibrationFolderIsAUserError() =>
        AssertUserError(CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", Folder("empty")), "holds no .npy, image or .wav files");

    [Fact]
    public void ImagesWithoutPreprocessingAreAUserError() =>
        AssertUserError(CliHarness.Run("quantize", TestAssets.Model("blazeface-front"), "-o", Output, "--calibration", Folder("images", "astronaut.png")), "no image preprocessing");

    [Fact]
    public void WrongInputSizeIsAUserError()
    {
        var folder = Folder("arrays");
        NpyFile.Write(Path.Combine(folder, "sample.npy"), Tensor.Create([1, 64, 64, 3], new float[64 * 64 * 3]));
        AssertUserError(CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", folder), "input");
    }

    [Fact]
    public void UnknownMethodIsAUserError() =>
        AssertUserError(CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", Folder("faces", "astronaut.png"), "--method", "median"), "unknown calibration method");

    [Fact]
    public void UnknownInt16TensorIsAUserError() =>
        AssertUserError(CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", Folder("faces", "astronaut.png"), "--int16", "no_such_tensor"), "no activation 'no_such_tensor'");

    [Fact]
    public void KeepFloatPatternMatchingNoNodeIsAUserError() =>
        AssertUserError(CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", Folder("faces", "astronaut.png"), "--keep-float", "no_such_node*"), "no node of the model matches 'no_such_node*'");

    [Fact]
    public void KeepFloatLeavesTheMatchedConvolutionsInFloat()
    {
        var faces = Folder("faces", "astronaut.png");
        var plain = CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", faces);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        int QuantizedWeights() => OnnxImporter.Load(Output).Graph.Nodes.Count(n => n.OpType == "Conv" && n.Input(1)?.Producer?.OpType == "DequantizeLinear");
        int before = QuantizedWeights();
        var kept = CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", faces, "--keep-float", "*depthwise*");
        Assert.True(kept.ExitCode == 0, kept.Stderr);
        var match = System.Text.RegularExpressions.Regex.Match(kept.Stdout, @"kept float by --keep-float: (\d+) nodes");
        Assert.True(match.Success, kept.Stdout);
        int count = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(count > 0);
        // Every matched depthwise convolution reads float weights now; the other convolutions stay int8.
        int after = QuantizedWeights();
        Assert.True(after > 0 && after < before, $"{after} int8-weight convolutions with --keep-float, {before} without");
        Assert.DoesNotContain(OnnxImporter.Load(Output).Graph.Nodes, n => n.OpType == "Conv" && n.Name.Contains("depthwise", StringComparison.Ordinal) && n.Input(1)?.Producer?.OpType == "DequantizeLinear");
    }

    [Fact]
    public void Int16WorstAndBiasCorrectionWriteInt16QdqPairs()
    {
        var result = CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", Folder("faces", "astronaut.png"), "--int16-worst", "3", "--bias-correction");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("int16 activations: 3", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("bias correction:", result.Stdout, StringComparison.Ordinal);
        var model = OnnxImporter.Load(Output);
        Assert.Equal(3, model.Graph.Nodes.Count(n => n.OpType == "QuantizeLinear" && n.Input(2)?.Constant?.DataType == DataType.Int16));
        Assert.Contains("bias_correction=True", model.Metadata["tessera.quantization"], StringComparison.Ordinal);
    }

    [Fact]
    public void QuantizeWritesAQdqModelAndAnalyzeComparesIt()
    {
        var faces = Folder("faces", "astronaut.png", "messi5.jpg");
        var result = CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", faces);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("MACs in int8", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Conv", result.Stdout, StringComparison.Ordinal);
        var model = OnnxImporter.Load(Output);
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.True(model.OpsetOf(string.Empty) >= 13);

        var json = Path.Combine(_folder, "analysis.json");
        var html = Path.Combine(_folder, "analysis.html");
        var analysis = CliHarness.Run("analyze", "blazeface-front", Output, "--data", faces, "--json", json, "--html", html);
        Assert.True(analysis.ExitCode == 0, analysis.Stderr);
        var text = File.ReadAllText(json);
        Assert.Contains("\"output_cosine\"", text, StringComparison.Ordinal);
        Assert.Contains("\"local\"", text, StringComparison.Ordinal);
        Assert.Contains("<table>", File.ReadAllText(html), StringComparison.Ordinal);
    }
}
