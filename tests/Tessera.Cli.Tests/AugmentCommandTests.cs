using Tessera.Testing;

namespace Tessera.Cli.Tests;

[Collection("cli")]
public sealed class AugmentCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tessera-cli-augment-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Augment_writes_count_variants_and_a_manifest()
    {
        var output = Path.Combine(folder, "out");
        var result = CliHarness.Run("augment", TestAssets.Image("coffee.png"), "-o", output, "--ops", "flip:p=0.5, blur:sigma=1, jpeg:quality=50", "--count", "4", "--seed", "3");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(["coffee_000.png", "coffee_001.png", "coffee_002.png", "coffee_003.png", "manifest.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("4 files", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Augment_of_a_wav_writes_wav_files()
    {
        var output = Path.Combine(folder, "audio");
        var result = CliHarness.Run("augment", TestAssets.Audio("keywords_en_16k.wav"), "-o", output, "--ops", "gain:db=-6..6, noise:snr=10:color=pink", "-n", "2");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(3, Directory.GetFiles(output).Length);
        Assert.Equal(2, Directory.GetFiles(output, "*.wav").Length);
    }

    [Fact]
    public void A_bad_spec_prints_one_line_exits_2_and_writes_nothing()
    {
        var output = Path.Combine(folder, "bad");
        var result = CliHarness.Run("augment", TestAssets.Image("coffee.png"), "-o", output, "--ops", "flip, rotat:degrees=5");
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("unknown image operation 'rotat' (column 7", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }
}
