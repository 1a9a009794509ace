using System.Text.Json;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`tessera bench mlperf-tiny` on the real MLPerf Tiny models and test assets.</summary>
[Collection("cli")]
public sealed class MlperfTinyCommandTests
{
    [Fact]
    public void Runs_all_five_models_on_reference_cpu_and_the_tiny_npu_and_writes_the_page()
    {
        string folder = Directory.CreateTempSubdirectory("tessera-mlperf-").FullName;
        try
        {
            string json = Path.Combine(folder, "mlperf.json"), markdown = Path.Combine(folder, "mlperf-tiny.md");
            var result = CliHarness.Run("bench", "mlperf-tiny", "--assets", TestAssets.Folder, "--inputs", "8", "--iters", "1", "--warmup", "0",
                "--npu", "tiny", "--npu-inputs", "2", "--json", json, "--markdown", markdown);
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var document = JsonDocument.Parse(File.ReadAllText(json));
            var results = document.RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("Benchmark").GetProperty("Id").GetString()!);
            Assert.Equal(["ad", "ic", "kws", "vww", "ww"], results.Keys.Order());
            foreach (var (id, r) in results)
            {
                var npu = Assert.Single(r.GetProperty("Npu").EnumerateArray());
                Assert.Equal("tiny", npu.GetProperty("Configuration").GetString());
                Assert.True(npu.GetProperty("BitIdentical").GetBoolean(), $"{id}: the NPU differs from the integer executor");
                Assert.Equal(2, npu.GetProperty("InputsCompared").GetInt32());
                Assert.True(npu.GetProperty("NpuMacFraction").GetDouble() >= 0.95, id);
                Assert.True(npu.GetProperty("Cycles").GetInt64() > 0, id);
                Assert.True(r.GetProperty("Int8ReferenceMs").GetDouble() > 0, id);
                Assert.Equal(8, r.GetProperty("Inputs").GetInt32());
                if (id == "ww") continue;
                Assert.True(r.GetProperty("FloatCpuMs").GetDouble() > 0, id);
                Assert.True(r.GetProperty("MeanCosine").GetDouble() > 0.95, $"{id}: int8 vs float cosine {r.GetProperty("MeanCosine").GetDouble()}");
            }
            // The first inputs are astronaut, messi5, coffee, chelsea: person, person, no person, no person; chelsea is a cat (3) for ResNet-8.
            Assert.Equal([1, 1, 0, 0], results["vww"].GetProperty("Int8Top1").EnumerateArray().Take(4).Select(e => e.GetInt32()));
            Assert.Equal(3, results["ic"].GetProperty("Int8Top1")[3].GetInt32());
            Assert.True(results["vww"].GetProperty("SameTop1").GetInt32() >= 7);
            var page = File.ReadAllText(markdown);
            Assert.Contains("tessera bench mlperf-tiny --assets", page);
            Assert.Contains("| kws | keyword spotting (DS-CNN) |", page);
            Assert.Contains("| 181.9 |", page);
            Assert.Equal(5, page.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && l.Contains("| tiny (64 MACs", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_unknown_benchmark_gives_one_line_and_exit_2()
    {
        var result = CliHarness.Run("bench", "mlperf-tiny", "--assets", TestAssets.Folder, "--only", "kws,speech");
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains("unknown MLPerf Tiny benchmark 'speech'", result.Stderr);
    }

    [Fact]
    public void An_assets_folder_without_the_models_gives_one_line_and_exit_2()
    {
        var result = CliHarness.Run("bench", "mlperf-tiny", "--assets", Path.GetTempPath());
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains("models/mlperf-tiny", result.Stderr);
    }
}
