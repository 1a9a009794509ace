using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Hardware.Tests;

public class SpecTests
{
    [Theory]
    [InlineData("tiny", 8)]
    [InlineData("small", 32)]
    [InlineData("large", 64)]
    public void Named_configurations_load(string name, int size)
    {
        var spec = NpuSpecLoader.Load(name);
        Assert.Equal(name, spec.Name);
        Assert.Equal(size, spec.ArrayRows);
        Assert.Equal(size, spec.ArrayColumns);
        Assert.Equal(Dataflow.WeightStationary, spec.Dataflow);
        Assert.Contains("Horowitz", spec.Energy.Source);
    }

    [Fact]
    public void Configurations_have_distinct_hashes()
    {
        var hashes = new[] { "tiny", "small", "large" }.Select(n => NpuSpecLoader.Load(n).Hash).ToHashSet();
        Assert.Equal(3, hashes.Count);
    }

    private static string Small => File.ReadAllText(Path.Combine(NpuSpecLoader.ConfigFolder, "small.yaml"));

    [Fact]
    public void Out_of_range_field_names_field_line_and_range()
    {
        var yaml = Small.Replace("  rows: 32", "  rows: 0", StringComparison.Ordinal);
        var error = Assert.Throws<ModelFormatException>(() => NpuSpecLoader.Parse(yaml, "bad.yaml"));
        Assert.Contains("parameter 'array.rows' 0 is out of range", error.UserMessage);
        Assert.Contains("bad.yaml:4", error.UserMessage);
        Assert.Contains("allowed range 1..512", error.UserMessage);
    }

    [Fact]
    public void Missing_field_is_named()
    {
        var yaml = string.Join('\n', Small.Split('\n').Where(l => !l.Contains("latency_cycles", StringComparison.Ordinal)));
        var error = Assert.Throws<ModelFormatException>(() => NpuSpecLoader.Parse(yaml, "bad.yaml"));
        Assert.Contains("missing parameter 'dram.latency_cycles'", error.UserMessage);
    }

    [Fact]
    public void Unknown_field_is_rejected()
    {
        var error = Assert.Throws<ModelFormatException>(() => NpuSpecLoader.Parse(Small + "\nclock_ghz: 1\n", "bad.yaml"));
        Assert.Contains("'clock_ghz' is not a known parameter", error.UserMessage);
    }

    [Theory]
    [InlineData("  rows: 32", "  rows: many", "'many' is not an integer")]
    [InlineData("  dataflow: weight-stationary", "  dataflow: diagonal", "use one of weight-stationary, output-stationary")]
    [InlineData("clock_mhz: 500", "clock_mhz: -3", "'clock_mhz' -3 is out of range")]
    [InlineData("  banks: 4", "  banks: 3", "not a multiple of memory.banks")]
    [InlineData("name: small", "name: [a", "invalid YAML")]
    public void Invalid_values_are_explained(string from, string to, string message)
    {
        var error = Assert.Throws<ModelFormatException>(() => NpuSpecLoader.Parse(Small.Replace(from, to, StringComparison.Ordinal), "bad.yaml"));
        Assert.Contains(message, error.UserMessage);
    }

    [Fact]
    public void Unknown_configuration_lists_the_known_ones()
    {
        var error = Assert.Throws<InvalidInputException>(() => NpuSpecLoader.Load("huge"));
        Assert.Contains("tiny", error.UserMessage);
    }
}
