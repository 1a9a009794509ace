using Tessera.Core;
using Tessera.Onnx;

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
}
