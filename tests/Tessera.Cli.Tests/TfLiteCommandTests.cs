using Tessera.Core;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`info` and `run` take .tflite files like .onnx ones; `int-run` runs pre-quantized ones.</summary>
[Collection("cli")]
public sealed class TfLiteCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-tflite-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Model(string file) => TestAssets.File("models", "mlperf-tiny", file);

    [Fact]
    public void Info_shows_the_nhwc_input_of_a_tflite_model()
    {
        var result = CliHarness.Run("info", Model("vww_96_float.tflite"));
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("float32[1,96,96,3]", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Conv", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_writes_the_autoencoder_output()
    {
        var input = Path.Combine(_folder, "features.npy");
        var random = new Random(5);
        NpyFile.Write(input, Tensor.Create([1, 640], Enumerable.Range(0, 640).Select(_ => (float)random.NextDouble()).ToArray()));
        var output = Path.Combine(_folder, "out");
        var result = CliHarness.Run("run", Model("ad01_fp32.tflite"), "-i", input, "-o", output);
        Assert.Equal(0, result.ExitCode);
        var reconstruction = NpyFile.Read(Path.Combine(output, "Identity.npy"));
        Assert.Equal([1, 640], reconstruction.Shape);
    }

    [Fact]
    public void Int8_model_runs_with_int_run_on_the_integer_executor()
    {
        var input = Path.Combine(_folder, "window.npy");
        var random = new Random(8);
        NpyFile.Write(input, Tensor.Create([1, 30, 1, 40], Enumerable.Range(0, 1200).Select(_ => (sbyte)random.Next(-128, 128)).ToArray()));
        var output = Path.Combine(_folder, "out");
        var result = CliHarness.Run("int-run", Model("str_ww_ref_model.tflite"), "-i", input, "-o", output);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("no float islands", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("int.Softmax", result.Stdout, StringComparison.Ordinal);
        var scores = NpyFile.Read(Directory.GetFiles(output, "*.npy").Single());
        Assert.Equal(DataType.Int8, scores.DataType);
        Assert.Equal([1, 3], scores.Shape);
    }

    [Fact]
    public void Int_run_requantization_profiles_give_the_executor_arithmetic_they_name()
    {
        var input = Path.Combine(_folder, "window.npy");
        var random = new Random(640);
        var window = Tensor.Create([1, 640], Enumerable.Range(0, 640).Select(_ => (sbyte)random.Next(-128, 128)).ToArray());
        NpyFile.Write(input, window);
        var program = Tessera.Integer.IntegerLowering.Lower(Tessera.TFLite.TfLiteImporter.Load(Model("ad01_int8.tflite")));
        var outputs = new Dictionary<string, sbyte[]>();
        foreach (var (name, profile) in new[] { ("reference", Tessera.Integer.RequantizationProfile.Reference), ("float", Tessera.Integer.RequantizationProfile.Float), ("tflite", Tessera.Integer.RequantizationProfile.TfLite), ("armnn", Tessera.Integer.RequantizationProfile.ArmNn), ("ort", Tessera.Integer.RequantizationProfile.OnnxRuntime) })
        {
            var folder = Path.Combine(_folder, name);
            var result = CliHarness.Run("int-run", Model("ad01_int8.tflite"), "-i", input, "-o", folder, "--requantization", name);
            Assert.True(result.ExitCode == 0, result.Stderr);
            outputs[name] = NpyFile.Read(Directory.GetFiles(folder, "*.npy").Single()).As<sbyte>();
            var expected = program.WithRequantization(profile).RunOutputs(new Dictionary<string, Tensor> { [program.Inputs.Single()] = window })[program.Outputs.Single()];
            Assert.Equal(expected.As<sbyte>(), outputs[name]);
        }
        // AD's small shifts put many values near a half step: the three arithmetics really differ on this input.
        Assert.NotEqual(outputs["reference"], outputs["float"]);
        Assert.NotEqual(outputs["reference"], outputs["tflite"]);
        var bad = CliHarness.Run("int-run", Model("ad01_int8.tflite"), "-i", input, "--requantization", "onnxruntime");
        Assert.Equal(2, bad.ExitCode);
        Assert.Single(bad.ErrorLines);
    }

    [Fact]
    public void Run_on_an_int8_model_points_to_int_run_on_one_line()
    {
        var input = Path.Combine(_folder, "features.npy");
        NpyFile.Write(input, Tensor.Create([1, 49, 10, 1], new sbyte[490]));
        var output = Path.Combine(_folder, "out");
        var result = CliHarness.Run("run", Model("kws_ref_model.tflite"), "-i", input, "-o", output);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains("pre-quantized int8 TFLite model", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("tessera int-run", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Info_shows_the_int8_input_of_a_pre_quantized_model()
    {
        var result = CliHarness.Run("info", Model("kws_ref_model.tflite"));
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("int8[1,49,10,1]", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("DequantizeLinear", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_tflite_file_is_a_one_line_format_error()
    {
        var path = Path.Combine(_folder, "truncated.tflite");
        File.WriteAllBytes(path, File.ReadAllBytes(Model("kws_ref_model_float32.tflite"))[..5000]);
        var result = CliHarness.Run("info", path);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains("malformed TFLite file", result.Stderr, StringComparison.Ordinal);
    }
}
