using Tessera.Core;
using Tessera.Onnx;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`int-run` on the ONNX conformance QLinearConv: parameters bound, output bit-exact; without them the
/// node is a reported float island and the missing inputs are named.</summary>
[Collection("cli")]
public sealed class IntegerCommandTests : IDisposable
{
    private const string Case = "/usr/share/libonnx-testdata/data/node/test_qlinearconv";
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-int-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Data(int i) => Path.Combine(Case, "test_data_set_0", $"input_{i}.pb");

    [Fact]
    public void Int_run_with_bound_parameters_is_bit_exact_and_integer_only()
    {
        var result = CliHarness.Run("int-run", Path.Combine(Case, "model.onnx"), "-i", "x=" + Data(0), "--bind",
            "x_scale=" + Data(1), "x_zero_point=" + Data(2), "w=" + Data(3), "w_scale=" + Data(4), "w_zero_point=" + Data(5),
            "y_scale=" + Data(6), "y_zero_point=" + Data(7), "-o", _folder);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("int.Conv", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("no float islands", result.Stdout, StringComparison.Ordinal);
        var expected = TensorProtoConverter.ReadFile(Path.Combine(Case, "test_data_set_0", "output_0.pb"));
        var actual = NpyFile.Read(Path.Combine(_folder, "y.npy"));
        Assert.Equal(expected.DataType, actual.DataType);
        Assert.Equal(expected.ToInt64Array(), actual.ToInt64Array());
    }

    [Fact]
    public void Int_run_without_parameters_reports_the_island_and_the_missing_inputs()
    {
        var result = CliHarness.Run("int-run", Path.Combine(Case, "model.onnx"), "-i", "x=" + Data(0));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not constants", result.Stdout, StringComparison.Ordinal);
        Assert.Single(result.ErrorLines);
        Assert.Contains("x_scale", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Int_run_inlines_the_shape_tests_of_a_quantized_silero_model()
    {
        var calibration = Directory.CreateDirectory(Path.Combine(_folder, "calibration")).FullName;
        File.Copy(TestAssets.Audio("yes_1000ms.wav"), Path.Combine(calibration, "yes_1000ms.wav"));
        var model = Path.Combine(_folder, "vad.onnx");
        var quantize = CliHarness.Run("quantize", "silero-vad-v5", "-o", model, "--calibration", calibration, "--max-samples", "24");
        Assert.True(quantize.ExitCode == 0, quantize.Stderr);
        Assert.Contains(OnnxImporter.Load(model).Graph.Nodes, n => n.OpType == "If");

        var random = new Random(5);
        var frame = Enumerable.Range(0, 576).Select(_ => (float)(0.2 * (random.NextDouble() - 0.5))).ToArray();
        var input = Path.Combine(_folder, "input.npy");
        var state = Path.Combine(_folder, "state.npy");
        NpyFile.Write(input, Tensor.FromArray(DataType.Float32, [1, 576], frame));
        NpyFile.Write(state, Tensor.FromArray(DataType.Float32, [2, 1, 128], new float[256]));
        var integer = CliHarness.Run("int-run", model, "-i", "input=" + input, "-i", "state=" + state, "--requantization", "float", "-o", Path.Combine(_folder, "int"));
        Assert.True(integer.ExitCode == 0, integer.Stderr);
        Assert.Contains("int.Conv", integer.Stdout, StringComparison.Ordinal);
        Assert.Contains("LSTM", integer.Stdout, StringComparison.Ordinal);
        var simulated = CliHarness.Run("run", model, "-i", "input=" + input, "-i", "state=" + state, "-o", Path.Combine(_folder, "qdq"));
        Assert.True(simulated.ExitCode == 0, simulated.Stderr);
        // The QDQ graph run in float (quantize-dequantize) and the integer program agree to within one output step.
        float expected = NpyFile.Read(Path.Combine(_folder, "qdq", "output.npy")).ToFloatArray()[0];
        float actual = NpyFile.Read(Path.Combine(_folder, "int", "output.npy")).ToFloatArray()[0];
        Assert.InRange(actual, expected - 0.005f, expected + 0.005f);
    }
}
