using System.Text.Json;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`tessera app kws` end to end on real recordings, with the built-in MLPerf Tiny model.</summary>
[Collection("cli")]
public sealed class KwsCommandTests
{
    [Fact]
    public void Json_reports_yes_for_the_real_yes_recording()
    {
        var result = CliHarness.Run("app", "kws", TestAssets.Audio("yes_1000ms.wav"), "--json");
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        var keyword = Assert.Single(document.RootElement.GetProperty("keywords").EnumerateArray());
        Assert.Equal("yes", keyword.GetProperty("label").GetString());
        var window = Assert.Single(document.RootElement.GetProperty("windows").EnumerateArray());
        Assert.Equal(12, window.GetProperty("probabilities").GetArrayLength());
    }

    [Fact]
    public void Speech_commands_marvin_is_heard_as_unknown_and_reports_no_keyword()
    {
        var result = CliHarness.Run("app", "kws", TestAssets.Audio("marvin_617de221_0.wav"), "--json");
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Empty(document.RootElement.GetProperty("keywords").EnumerateArray());
        Assert.Equal("unknown", Assert.Single(document.RootElement.GetProperty("windows").EnumerateArray()).GetProperty("label").GetString());
    }

    [Fact]
    public void A_missing_model_file_gives_one_line_and_exit_2()
    {
        var result = CliHarness.Run("app", "kws", TestAssets.Audio("yes_1000ms.wav"), "--model", "/nonexistent/kws.tflite");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Stderr);
    }
}
