using System.Globalization;
using System.Text;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Rtl;

/// <summary>Builds the generated core with Verilator and runs tiles through it and through a model of the same
/// tiles, comparing every output value bit for bit and the cycle count of every tile.</summary>
public static class Cosimulation
{
    /// <summary>Generates the Verilog and the testbench into <paramref name="folder"/> and compiles them, or reuses
    /// an executable built before from the same text (the cache key hashes every generated file, the testbench
    /// and the Verilator flags, so a changed spec or generator rebuilds); returns the testbench executable.</summary>
    public static string Build(NpuSpec spec, string folder)
    {
        RtlGenerator.Write(spec, folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "harness.cpp"), CosimulationHarness.Source);
        var sources = Directory.GetFiles(folder, "*.v").Select(Path.GetFileName).Order().Cast<string>().ToList();
        string[] flags = ["--cc", "--exe", "--build", "-j", "2", "-O3", "--x-assign", "fast", "--x-initial", "fast",
            "--top-module", RtlGenerator.TopModule, "--Mdir", "obj", "-o", "harness", "-CFLAGS", "-O1"];
        string key = CacheKey(folder, [.. sources, "harness.cpp"], flags);
        string cached = Path.Combine(CacheFolder, key, "harness");
        if (File.Exists(cached)) return cached;
        ExternalTool.Check("verilator", [.. flags, "harness.cpp", .. sources], folder);
        string built = Path.Combine(folder, "obj", "harness");
        // Copy then rename, so a concurrent run never starts a half-written executable.
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        string partial = cached + $".{Guid.NewGuid():N}.partial";
        File.Copy(built, partial);
        File.Move(partial, cached, overwrite: true);
        return cached;
    }

    /// <summary>Where built testbenches are kept: TESSERA_RTL_CACHE, or a folder under the temporary folder.</summary>
    public static string CacheFolder =>
        Environment.GetEnvironmentVariable("TESSERA_RTL_CACHE") is { Length: > 0 } folder ? folder : Path.Combine(Path.GetTempPath(), "tessera-rtl-cache");

    private static string CacheKey(string folder, IEnumerable<string> files, IEnumerable<string> flags)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            hash.AppendData(File.ReadAllBytes(Path.Combine(folder, file)));
        }
        hash.AppendData(Encoding.UTF8.GetBytes(string.Join(' ', flags) + "\n" + ExternalTool.Version("verilator")));
        return Convert.ToHexString(hash.GetHashAndReset())[..24].ToLowerInvariant();
    }

    /// <summary>Runs the tiles through the Verilated core once per mode and through the model once, comparing
    /// every output value bit for bit and every tile's cycles.</summary>
    public static CosimulationReport Run(NpuSpec spec, IReadOnlyList<CosimulationTile> tiles, IGemmModel model, string folder,
        IReadOnlyList<CosimulationMode>? modes = null)
    {
        modes ??= [CosimulationMode.Single, CosimulationMode.BackToBack];
        string harness = Build(spec, folder);
        var activation = new sbyte[spec.ActivationScratchpadBytes];
        var weight = new sbyte[spec.WeightScratchpadBytes];
        var accumulator = new int[spec.AccumulatorEntries];
        var input = new StringBuilder();
        var expected = new List<(long Cycles, int[] Values)>();
        var waits = CosimulationTile.WaitFor(spec, tiles);
        for (int t = 0; t < tiles.Count; t++)
        {
            var (tile, writes) = tiles[t];
            input.Append(CultureInfo.InvariantCulture,
                $"tile {(tile.Accumulate ? 1 : 0)} {tile.M0} {tile.M1} {tile.K} {tile.N} {tile.Input} {tile.InputStride0} {tile.InputStride1} {tile.Weight} {tile.WeightStride} {tile.Output} {tile.OutputStride} {waits[t]}\n");
            input.Append(CultureInfo.InvariantCulture, $"writes {writes.Count}");
            foreach (var write in writes)
            {
                switch (write.Memory)
                {
                    case TileMemory.Activation: activation[write.Address] = checked((sbyte)write.Value); break;
                    case TileMemory.Weight: weight[write.Address] = checked((sbyte)write.Value); break;
                    default: accumulator[write.Address] = write.Value; break;
                }
                input.Append(CultureInfo.InvariantCulture, $" {(int)write.Memory} {write.Address} {write.Value}");
            }
            input.Append('\n');
            long cycles = model.Execute(tile, activation, weight, accumulator);
            var outputs = tile.OutputAddresses().ToArray();
            expected.Add((cycles, outputs.Select(a => accumulator[a]).ToArray()));
            input.Append(CultureInfo.InvariantCulture, $"reads {outputs.Length} {string.Join(' ', outputs)}\n");
        }
        string tilesPath = Path.Combine(folder, "tiles.txt");
        AtomicFile.WriteAllText(tilesPath, input.ToString());
        var gemms = tiles.Select(t => t.Tile).ToList();
        var runs = new List<CycleComparison>();
        foreach (var mode in modes)
        {
            string resultsPath = Path.Combine(folder, $"results-{mode}.txt");
            ExternalTool.Check(harness, [tilesPath, resultsPath, mode == CosimulationMode.Single ? "single" : "back-to-back"], folder);
            var results = ReadResults(resultsPath, expected.Select(e => e.Values.Length).ToList());
            var modelTimes = mode == CosimulationMode.Single ? expected.Select(e => e.Cycles).ToList() : Increments(model.SequenceCompletions(gemms, waits));
            var outcomes = new List<TileOutcome>();
            for (int i = 0; i < tiles.Count; i++)
            {
                var (accept, done, values) = results[i];
                long rtl = mode == CosimulationMode.Single || i == 0 ? done - accept : done - results[i - 1].Done;
                int mismatched = values.Where((v, j) => v != expected[i].Values[j]).Count();
                outcomes.Add(new TileOutcome(gemms[i], rtl, modelTimes[i], mismatched));
            }
            long rtlTotal = mode == CosimulationMode.Single ? outcomes.Sum(o => o.RtlCycles) : results[^1].Done - results[0].Accept;
            runs.Add(new CycleComparison(mode, outcomes, rtlTotal, modelTimes.Sum()));
        }
        // Tiles finish in order, and at most InFlightTiles are in the core at once: only a wait on one of those can stall.
        return new CosimulationReport(spec.Name, runs, waits.Where((w, i) => w >= 0 && i - w <= GemmTile.InFlightTiles).Count());
    }

    private static List<long> Increments(IReadOnlyList<long> completions) =>
        completions.Select((c, i) => i == 0 ? c : c - completions[i - 1]).ToList();

    private static List<(long Accept, long Done, long[] Values)> ReadResults(string path, IReadOnlyList<int> counts)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length != counts.Count) throw new TesseraException($"the testbench returned {lines.Length} results for {counts.Count} tiles", path);
        var results = new List<(long, long, long[])>();
        for (int i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            if (fields.Length != counts[i] + 2) throw new TesseraException($"tile {i}: {fields.Length - 2} values, expected {counts[i]}", path);
            results.Add((fields[0], fields[1], fields[2..]));
        }
        return results;
    }
}
