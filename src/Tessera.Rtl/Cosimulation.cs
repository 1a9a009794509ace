using System.Globalization;
using System.Text;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Rtl;

/// <summary>One tile's outcome: RTL and model cycles and how many output values differed.</summary>
public sealed record TileOutcome(GemmTile Tile, long RtlCycles, long ModelCycles, int MismatchedValues)
{
    /// <summary>(model - RTL) / RTL in percent: positive when the model is pessimistic.</summary>
    public double ErrorPercent => 100.0 * (ModelCycles - RtlCycles) / RtlCycles;
}

/// <summary>Every tile's outcome, and the whole sequence run back to back: RTL edges from the first tile's start
/// to the last tile's final write, against what the simulator's scheduling charges for the same sequence.</summary>
public sealed record CosimulationReport(string Config, IReadOnlyList<TileOutcome> Tiles, long RtlSequenceCycles, long ModelSequenceCycles)
{
    /// <summary>(model - RTL) / RTL for the back-to-back sequence, in percent.</summary>
    public double SequenceErrorPercent => 100.0 * (ModelSequenceCycles - RtlSequenceCycles) / RtlSequenceCycles;

    /// <summary>Tiles per bucket of per-tile cycle error (model - RTL) / RTL: exact, then bands of
    /// absolute error, signed so a pessimistic and an optimistic model are told apart.</summary>
    public IReadOnlyList<(string Bucket, int Tiles)> ErrorHistogram()
    {
        (string Name, Func<double, bool> Contains)[] buckets =
        [
            ("< -5%", e => e < -5), ("-5% .. -1%", e => e >= -5 && e < -1), ("-1% .. 0%", e => e >= -1 && e < 0),
            ("exact", e => e == 0),
            ("0% .. 1%", e => e > 0 && e <= 1), ("1% .. 5%", e => e > 1 && e <= 5), ("> 5%", e => e > 5),
        ];
        return buckets.Select(b => (b.Name, Tiles.Count(t => b.Contains(t.ErrorPercent)))).ToList();
    }

    public int MismatchedTiles => Tiles.Count(t => t.MismatchedValues > 0);

    public long Values => Tiles.Sum(t => (long)t.Tile.Rows * t.Tile.N);

    public int CyclesExact => Tiles.Count(t => t.RtlCycles == t.ModelCycles);

    public double MaximumAbsoluteErrorPercent => Tiles.Count == 0 ? 0 : Tiles.Max(t => Math.Abs(t.ErrorPercent));

    public double MeanAbsoluteErrorPercent => Tiles.Count == 0 ? 0 : Tiles.Average(t => Math.Abs(t.ErrorPercent));
}

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

    public static CosimulationReport Run(NpuSpec spec, IReadOnlyList<GemmTile> tiles, IGemmModel model, string folder, int seed = 1)
    {
        string harness = Build(spec, folder);
        var random = new Random(seed);
        var activation = new sbyte[spec.ActivationScratchpadBytes];
        var weight = new sbyte[spec.WeightScratchpadBytes];
        var accumulator = new int[spec.AccumulatorEntries];
        var input = new StringBuilder();
        var expected = new List<(long Cycles, int[] Values)>();
        foreach (var tile in tiles)
        {
            input.Append(CultureInfo.InvariantCulture,
                $"tile {(tile.Accumulate ? 1 : 0)} {tile.M0} {tile.M1} {tile.K} {tile.N} {tile.Input} {tile.InputStride0} {tile.InputStride1} {tile.Weight} {tile.WeightStride} {tile.Output} {tile.OutputStride}\n");
            var writes = new StringBuilder();
            int count = 0;
            // Both sides get the same fresh random operands; accumulators are preset only where the tile adds to them.
            foreach (int address in tile.ActivationAddresses())
            {
                activation[address] = (sbyte)random.Next(-128, 128);
                writes.Append(CultureInfo.InvariantCulture, $" 0 {address} {activation[address]}");
                count++;
            }
            foreach (int address in tile.WeightAddresses())
            {
                weight[address] = (sbyte)random.Next(-128, 128);
                writes.Append(CultureInfo.InvariantCulture, $" 1 {address} {weight[address]}");
                count++;
            }
            if (tile.Accumulate)
            {
                foreach (int address in tile.OutputAddresses())
                {
                    accumulator[address] = random.Next(int.MinValue, int.MaxValue);
                    writes.Append(CultureInfo.InvariantCulture, $" 2 {address} {accumulator[address]}");
                    count++;
                }
            }
            input.Append(CultureInfo.InvariantCulture, $"writes {count}").Append(writes).Append('\n');
            long cycles = model.Execute(tile, activation, weight, accumulator);
            var outputs = tile.OutputAddresses().ToArray();
            expected.Add((cycles, outputs.Select(a => accumulator[a]).ToArray()));
            input.Append(CultureInfo.InvariantCulture, $"reads {outputs.Length} {string.Join(' ', outputs)}\n");
        }
        string tilesPath = Path.Combine(folder, "tiles.txt"), resultsPath = Path.Combine(folder, "results.txt");
        AtomicFile.WriteAllText(tilesPath, input.ToString());
        ExternalTool.Check(harness, [tilesPath, resultsPath], folder);
        var lines = File.ReadAllLines(resultsPath);
        if (lines.Length != tiles.Count) throw new TesseraException($"the testbench returned {lines.Length} results for {tiles.Count} tiles", resultsPath);
        var outcomes = new List<TileOutcome>();
        long firstStartEdge = 0, lastDoneEdge = 0;
        for (int i = 0; i < tiles.Count; i++)
        {
            var fields = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var values = expected[i].Values;
            if (fields.Length != values.Length + 2) throw new TesseraException($"tile {i}: {fields.Length - 2} values, expected {values.Length}", resultsPath);
            int mismatched = 0;
            for (int v = 0; v < values.Length; v++) if (fields[v + 2] != values[v]) mismatched++;
            outcomes.Add(new TileOutcome(tiles[i], fields[0], expected[i].Cycles, mismatched));
            if (i == 0) firstStartEdge = fields[1] - fields[0];
            lastDoneEdge = fields[1];
        }
        return new CosimulationReport(spec.Name, outcomes, lastDoneEdge - firstStartEdge, model.SequenceCycles(tiles));
    }
}
