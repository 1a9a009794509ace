using System.Text.Json;

namespace Tessera.Cli.Tests;

/// <summary>`tessera conformance --backend npu`: the summary line, the JSON with every case's MAC split and
/// reason, and a one-line error for an unknown configuration.</summary>
[Collection("cli")]
public sealed class ConformanceNpuCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-conf-npu-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Gemm_cases_on_tiny_report_passed_and_unsupported_with_the_mac_split()
    {
        var json = Path.Combine(_folder, "gemm.json");
        var result = CliHarness.Run("conformance", "--backend", "npu", "--npu", "tiny", "--filter", "test_gemm_default", "--json", json);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var root = document.RootElement;
        Assert.Equal("tiny", root.GetProperty("npu").GetString());
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        var passed = cases.Where(c => c.GetProperty("status").GetString() == "passed").ToList();
        var unsupported = cases.Where(c => c.GetProperty("status").GetString() == "unsupported").ToList();
        Assert.True(passed.Count >= 2, $"{passed.Count} passed");
        Assert.True(unsupported.Count >= 1, $"{unsupported.Count} unsupported");
        Assert.All(passed, c => Assert.Equal(1.0, c.GetProperty("npu_mac_fraction").GetDouble()));
        Assert.All(unsupported, c => Assert.False(string.IsNullOrEmpty(c.GetProperty("reason").GetString())));
        Assert.Equal(passed.Count, root.GetProperty("passed").GetInt32());
        Assert.Contains($"conformance: {passed.Count} passed, 0 failed, {unsupported.Count} unsupported", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("unsupported because", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("test_gemm_default_no_bias", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Npu_without_the_npu_backend_is_a_one_line_error()
    {
        var result = CliHarness.Run("conformance", "--npu", "tiny", "--filter", "test_relu");
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains("--backend npu", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_npu_configuration_is_a_one_line_error()
    {
        var result = CliHarness.Run("conformance", "--backend", "npu", "--npu", "huge", "--filter", "test_relu");
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains("huge", result.Stderr, StringComparison.Ordinal);
    }
}
