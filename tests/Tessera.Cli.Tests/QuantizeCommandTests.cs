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
        AssertUserError(CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", Folder("faces", "astronaut.png"), "--int16", "no_such_tensor"), "no activation matching 'no_such_tensor'");

    /// <summary>"*" makes every activation int16: no int8 activation pair is left, the weights stay int8.</summary>
    [Fact]
    public void Int16StarMakesEveryActivationInt16()
    {
        var result = CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", Folder("faces", "astronaut.png"), "--int16", "*");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var model = OnnxImporter.Load(Output);
        var quantizers = model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.True(quantizers.Count > 10);
        Assert.All(quantizers, q => Assert.Equal(DataType.Int16, q.Input(2)!.Constant!.DataType));
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "DequantizeLinear" && n.Input(0)?.Constant is { DataType: DataType.Int8 });
    }

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

    /// <summary>--adaptive-rounding changes some int8 Conv weights by one level against nearest rounding (the same
    /// calibration otherwise) and records itself in the metadata.</summary>
    [Fact]
    public void AdaptiveRoundingMovesConvWeightsByOneLevel()
    {
        var faces = Folder("faces", "astronaut.png");
        var nearest = CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", faces);
        Assert.True(nearest.ExitCode == 0, nearest.Stderr);
        var before = Int8ConvWeights(OnnxImporter.Load(Output));
        var adaptive = CliHarness.Run("quantize", "blazeface-front", "-o", Output, "--calibration", faces, "--adaptive-rounding");
        Assert.True(adaptive.ExitCode == 0, adaptive.Stderr);
        var match = System.Text.RegularExpressions.Regex.Match(adaptive.Stdout, @"adaptive rounding: (\d+) Conv layers");
        Assert.True(match.Success, adaptive.Stdout);
        var model = OnnxImporter.Load(Output);
        Assert.Contains("adaptive_rounding=True", model.Metadata["tessera.quantization"], StringComparison.Ordinal);
        var after = Int8ConvWeights(model);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        int changed = 0, layers = 0;
        foreach (var (name, levels) in before)
        {
            var moved = levels.Zip(after[name]).Count(p => p.First != p.Second);
            Assert.All(levels.Zip(after[name]), p => Assert.InRange(p.First - p.Second, -1, 1));
            changed += moved;
            if (moved > 0) layers++;
        }
        int measured = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(layers, 1, measured);
        Assert.InRange(changed, 1, before.Values.Sum(v => v.Length) / 2);
    }

    private static Dictionary<string, sbyte[]> Int8ConvWeights(Model model) =>
        model.Graph.Nodes.Where(n => n.OpType == "Conv" && n.Input(1)?.Producer is { OpType: "DequantizeLinear" } dq && dq.Input(0)?.Constant is { DataType: DataType.Int8 })
            .ToDictionary(n => n.Name, n => n.Input(1)!.Producer!.Input(0)!.Constant!.As<sbyte>().ToArray(), StringComparer.Ordinal);

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
