using Tessera.Conformance;
using Tessera.Npu;
using Xunit.Abstractions;

namespace Tessera.Conformance.Tests;

/// <summary>The ONNX node tests on the npu backend: quantized by the project's quantizer, partitioned, compiled and
/// run on the simulated NPU, compared bit for bit with the integer reference executor.</summary>
public sealed class NpuConformanceTests(ITestOutputHelper output)
{
    private static CaseResult Run(string name, string configuration)
    {
        var folder = Path.Combine(ConformanceRunner.DefaultRoot, NpuConformanceRunner.Suite, name);
        Assert.True(Directory.Exists(folder), $"{folder} is missing: install libonnx-testdata (scripts/setup.sh)");
        return new NpuConformanceRunner(configuration).RunCase(new ConformanceCase(NpuConformanceRunner.Suite, name, folder));
    }

    private void Print(CaseResult r) =>
        output.WriteLine($"{r.Case.Name}: {r.Status} {r.Reason} {r.Message} npu={r.Npu}");

    /// <summary>Convolutions, transposed convolutions and matrix products: bit-identical, every MAC on the NPU.</summary>
    [Theory]
    [InlineData("test_basic_conv_with_padding", "tiny")]
    [InlineData("test_basic_conv_with_padding", "small")]
    [InlineData("test_basic_conv_with_padding", "large")]
    [InlineData("test_conv_with_strides_and_asymmetric_padding", "tiny")]
    [InlineData("test_convtranspose_pads", "small")]
    [InlineData("test_gemm_default_no_bias", "tiny")]
    [InlineData("test_gemm_transposeB", "large")]
    [InlineData("test_matmul_3d", "small")]
    public void Layers_with_macs_pass_with_every_mac_on_the_npu(string name, string configuration)
    {
        var result = Run(name, configuration);
        Print(result);
        Assert.True(result.Status == CaseStatus.Passed, $"{result.Status}: {result.Message}");
        var figures = Assert.IsType<NpuCaseFigures>(result.Npu);
        Assert.True(figures.NpuMacs > 0, "no MACs on the NPU");
        Assert.Equal(0, figures.CpuMacs);
        Assert.Equal(1.0, figures.NpuMacFraction);
        Assert.True(figures.Compared >= 1, "no NPU-produced value compared");
    }

    [Theory]
    [InlineData("test_relu", "tiny")]
    [InlineData("test_add", "small")]
    [InlineData("test_add_bcast", "large")]
    [InlineData("test_maxpool_2d_pads", "small")]
    [InlineData("test_sigmoid", "small")]
    public void Element_wise_and_pooling_ops_pass_on_the_npu(string name, string configuration)
    {
        var result = Run(name, configuration);
        Print(result);
        Assert.True(result.Status == CaseStatus.Passed, $"{result.Status}: {result.Message}");
        var figures = Assert.IsType<NpuCaseFigures>(result.Npu);
        Assert.True(figures.NpuSteps >= 1 && figures.NpuSegments >= 1 && figures.Compared >= 1, figures.ToString());
        Assert.Null(figures.NpuMacFraction);
    }

    /// <summary>The check can fail: one weight byte of the compiled NPU program flipped makes the conv case's NPU
    /// output differ from the integer executor, and the comparison says where.</summary>
    [Fact]
    public void A_corrupted_npu_weight_byte_is_a_mismatch()
    {
        const string name = "test_basic_conv_with_padding";
        var folder = Path.Combine(ConformanceRunner.DefaultRoot, NpuConformanceRunner.Suite, name);
        var runner = new NpuConformanceRunner("small");
        var (partition, inputs) = runner.Partition(new ConformanceCase(NpuConformanceRunner.Suite, name, folder), Path.Combine(folder, "test_data_set_0"));
        Assert.True(BitExactComparison.Run(partition, inputs).Result.Identical);
        var weights = partition.Segments.SelectMany(s => s.Compiled.Program.Constants).First(c => c.Name.Contains("weights", StringComparison.Ordinal));
        weights.Bytes[0] ^= 0x40;
        var (_, result) = BitExactComparison.Run(partition, inputs);
        output.WriteLine(result.Mismatch);
        Assert.False(result.Identical);
        Assert.Contains("differs from the integer executor", result.Mismatch, StringComparison.Ordinal);
    }

    [Fact]
    public void An_op_with_no_int8_form_is_unsupported_with_the_reason()
    {
        var result = Run("test_abs", "small");
        Print(result);
        Assert.Equal(CaseStatus.Unsupported, result.Status);
        Assert.Equal("op not quantizable (no int8 form in QDQ)", result.Reason);
        Assert.Contains("Abs", result.Message, StringComparison.Ordinal);
        Assert.Null(result.Npu);
    }

    [Theory]
    [InlineData("test_concat_2d_axis_0", "NPU: Concat along axis 0")]
    [InlineData("test_gemm_alpha", "alpha/beta")]
    [InlineData("test_averagepool_2d_ceil", "ceil_mode")]
    [InlineData("test_add_uint8", "(dtype)")]
    public void Cases_the_npu_path_cannot_take_say_why(string name, string reason)
    {
        var result = Run(name, "small");
        Print(result);
        Assert.Equal(CaseStatus.Unsupported, result.Status);
        Assert.Contains(reason, result.Reason, StringComparison.Ordinal);
    }

    /// <summary>The whole node suite on one configuration: nothing differs from the integer executor, every
    /// unsupported case has a reason, the int8 layers with MACs run them all on the NPU.</summary>
    [Fact]
    public void Node_suite_on_small_has_no_failures()
    {
        var summary = new NpuConformanceRunner("small").Run();
        output.WriteLine(summary.SummaryLine);
        var failures = summary.Results.Where(r => r.Status == CaseStatus.Failed).Select(r => $"{r.Case.Name}: {r.Message}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(summary.Total > 900, $"expected the node suite, found {summary.Total} cases");
        Assert.True(summary.Passed >= 100, summary.SummaryLine);
        Assert.All(summary.Results.Where(r => r.Status == CaseStatus.Unsupported), r => Assert.False(string.IsNullOrEmpty(r.Reason), r.Case.Name));
        var layers = summary.Results.Where(r => r.Status == CaseStatus.Passed && r.Op is "Conv" or "ConvTranspose" or "Gemm" or "MatMul").ToList();
        Assert.True(layers.Count >= 20, $"{layers.Count} conv/gemm/matmul cases passed");
        Assert.All(layers, r => Assert.Equal(1.0, r.Npu!.NpuMacFraction));
    }
}
