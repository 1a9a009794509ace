using System.IO.Compression;
using Tessera.Core;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`tessera compile` -> `tessera run MODEL.tnpu`, and `tessera run MODEL --backend npu`, on PP-OCR's
/// orientation classifier: the outputs equal `tessera int-run` on the same quantized model; a corrupt or
/// foreign package is a one-line error.</summary>
[Collection("cli")]
public sealed class NpuCompileCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-npu-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private string Calibration()
    {
        var folder = PathOf("calibration");
        Directory.CreateDirectory(folder);
        File.Copy(TestAssets.Image("text.png"), Path.Combine(folder, "text.png"), overwrite: true);
        return folder;
    }

    private string Input()
    {
        var path = PathOf("x.npy");
        NpyFile.Write(path, RealModelInputs.TextLine(192)["x"]);
        return path;
    }

    [Fact]
    public void Compiled_package_runs_like_the_integer_executor()
    {
        var package = PathOf("cls.tnpu");
        var compile = CliHarness.Run("compile", "ppocr-cls", "--npu", "small", "--calibration", Calibration(), "--max-samples", "2", "--shape", "x=1x3x48x192", "-o", package, "--explain");
        Assert.True(compile.ExitCode == 0, compile.Stderr);
        Assert.Contains("MACs on the NPU", compile.Stdout, StringComparison.Ordinal);
        Assert.Contains("Softmax 'p2o.Softmax.0': float.Softmax runs in float on the host", compile.Stdout, StringComparison.Ordinal);
        Assert.Contains("(100.00 %)", compile.Stdout, StringComparison.Ordinal);

        var input = Input();
        var run = CliHarness.Run("run", package, "-i", $"x={input}", "-o", PathOf("npu"), "--report", PathOf("report.json"), "--trace", PathOf("trace.json"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("inferences/s", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"npu_mac_fraction\"", File.ReadAllText(PathOf("report.json")), StringComparison.Ordinal);
        Assert.Contains("\"ph\":\"X\"", File.ReadAllText(PathOf("trace.json")), StringComparison.Ordinal);

        var model = PathOf("cls-int8.onnx");
        using (var zip = ZipFile.OpenRead(package)) zip.GetEntry("model.onnx")!.ExtractToFile(model);
        var reference = CliHarness.Run("int-run", model, "-i", $"x={input}", "-o", PathOf("int"));
        Assert.True(reference.ExitCode == 0, reference.Stderr);
        AssertSameOutputs(PathOf("int"), PathOf("npu"));

        // Compile (for the given input's shape) and run in one command on another configuration: the same outputs.
        var direct = CliHarness.Run("run", model, "--backend", "npu", "--npu", "tiny", "-i", $"x={input}", "-o", PathOf("direct"));
        Assert.True(direct.ExitCode == 0, direct.Stderr);
        AssertSameOutputs(PathOf("int"), PathOf("direct"));

        // A QDQ model with a redundant Identity before its output: compile cleans it up (without touching the
        // quantization) unless --no-optimize, and the program computes the same outputs.
        var padded = PathOf("cls-identity.onnx");
        var withIdentity = Tessera.Onnx.OnnxImporter.Load(model);
        var output = withIdentity.Graph.Outputs[0];
        var inner = new Value(output.Name + "_inner", output.Type);
        var producer = withIdentity.Graph.Nodes.Single(n => n.Outputs.Contains(output));
        producer.SetOutput(producer.Outputs.ToList().IndexOf(output), inner);
        withIdentity.Graph.AddNode("Identity", [inner], [output], "");
        File.WriteAllBytes(padded, Tessera.Onnx.OnnxExporter.ToBytes(withIdentity));
        var cleaned = CliHarness.Run("run", padded, "--backend", "npu", "--npu", "tiny", "-i", $"x={input}", "-o", PathOf("cleaned"));
        Assert.True(cleaned.ExitCode == 0, cleaned.Stderr);
        Assert.Matches(@"optimized: (\d+) -> \d+ nodes", cleaned.Stdout);
        AssertSameOutputs(PathOf("int"), PathOf("cleaned"));
        var asWritten = CliHarness.Run("compile", padded, "--npu", "tiny", "--shape", "x=1x3x48x192", "-o", PathOf("as-written.tnpu"), "--no-optimize");
        Assert.True(asWritten.ExitCode == 0, asWritten.Stderr);
        Assert.DoesNotContain("optimized:", asWritten.Stdout, StringComparison.Ordinal);

        // A package whose program was altered fails its checksum: one line, exit 2.
        var tampered = PathOf("tampered.tnpu");
        File.Copy(package, tampered);
        using (var zip = ZipFile.Open(tampered, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("segment0.bin")!;
            byte[] bytes;
            using (var stream = entry.Open())
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            bytes[^1] ^= 1;
            entry.Delete();
            using var replaced = zip.CreateEntry("segment0.bin").Open();
            replaced.Write(bytes);
        }
        AssertUserError(CliHarness.Run("run", tampered, "-i", $"x={input}", "-o", PathOf("bad")), "segment0.bin does not match its sha256");
        Assert.False(Directory.Exists(PathOf("bad")) && Directory.EnumerateFiles(PathOf("bad")).Any());
    }

    [Fact]
    public void Shapes_given_to_compile_fix_a_vad_before_calibration_so_its_lstm_runs_on_the_npu()
    {
        // The catalog model declares input [batch, sequence]: fixed at one frame before calibration, the LSTM
        // has a known sequence length and is expanded into gate layers the NPU runs.
        var calibration = Directory.CreateDirectory(PathOf("audio")).FullName;
        foreach (var clip in new[] { "yes_1000ms.wav", "no_1000ms.wav" }) File.Copy(TestAssets.Audio(clip), Path.Combine(calibration, clip));
        var package = PathOf("vad.tnpu");
        var compile = CliHarness.Run("compile", "silero-vad-v5", "--npu", "small", "--calibration", calibration, "--max-samples", "8",
            "--shape", "input=1x576", "--shape", "state=2x1x128", "-o", package, "--explain");
        Assert.True(compile.ExitCode == 0, compile.Stderr);
        var fraction = System.Text.RegularExpressions.Regex.Match(compile.Stdout, @"MACs on the NPU: [\d,]+ of [\d,]+ \(([\d.]+) %\)");
        Assert.True(fraction.Success, compile.Stdout);
        Assert.True(double.Parse(fraction.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 95, fraction.Value);
        Assert.DoesNotContain(" LSTM '", compile.Stdout, StringComparison.Ordinal);

        var random = new Random(11);
        var input = PathOf("input.npy");
        var state = PathOf("state.npy");
        NpyFile.Write(input, Tensor.FromArray(DataType.Float32, [1, 576], Enumerable.Range(0, 576).Select(_ => (float)(0.2 * (random.NextDouble() - 0.5))).ToArray()));
        NpyFile.Write(state, Tensor.FromArray(DataType.Float32, [2, 1, 128], Enumerable.Range(0, 256).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()));
        var run = CliHarness.Run("run", package, "-i", $"input={input}", "-i", $"state={state}", "-o", PathOf("npu"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var model = PathOf("vad-int8.onnx");
        using (var zip = ZipFile.OpenRead(package)) zip.GetEntry("model.onnx")!.ExtractToFile(model);
        var reference = CliHarness.Run("int-run", model, "-i", $"input={input}", "-i", $"state={state}", "-o", PathOf("int"));
        Assert.True(reference.ExitCode == 0, reference.Stderr);
        AssertSameOutputs(PathOf("int"), PathOf("npu"));

        // A shape of the wrong rank, or for an input the model lacks, is a one-line error before any work.
        AssertUserError(CliHarness.Run("compile", "silero-vad-v5", "--npu", "small", "--calibration", calibration, "--shape", "input=576", "-o", PathOf("bad.tnpu")), "has rank 2");
        AssertUserError(CliHarness.Run("compile", "silero-vad-v5", "--npu", "small", "--calibration", calibration, "--shape", "frames=1x576", "-o", PathOf("bad.tnpu")), "no input named 'frames'");
        Assert.False(File.Exists(PathOf("bad.tnpu")));
    }

    [Fact]
    public void A_foreign_file_is_a_one_line_error()
    {
        var path = PathOf("foreign.tnpu");
        File.WriteAllBytes(path, "this is not a package"u8.ToArray());
        AssertUserError(CliHarness.Run("run", path, "-o", PathOf("out")), "not a usable .tnpu package");
    }

    [Fact]
    public void A_float_model_without_calibration_is_a_one_line_error_and_writes_nothing()
    {
        var package = PathOf("float.tnpu");
        AssertUserError(CliHarness.Run("compile", "ppocr-cls", "--npu", "small", "-o", package), "not quantized");
        Assert.False(File.Exists(package));
        AssertUserError(CliHarness.Run("compile", "ppocr-cls", "--npu", "medium", "-o", package), "unknown NPU configuration");
    }

    private static void AssertUserError(CliHarness.Result result, string expected)
    {
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    private static void AssertSameOutputs(string expectedFolder, string actualFolder)
    {
        var expected = Directory.GetFiles(expectedFolder, "*.npy").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Directory.GetFiles(actualFolder, "*.npy").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        foreach (var file in expected)
        {
            var a = NpyFile.Read(Path.Combine(expectedFolder, file!));
            var b = NpyFile.Read(Path.Combine(actualFolder, file!));
            Assert.Equal(a.Shape, b.Shape);
            Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        }
    }
}
