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

public sealed record CosimulationReport(string Config, IReadOnlyList<TileOutcome> Tiles)
{
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
    /// <summary>Generates the Verilog and the testbench into <paramref name="folder"/> and compiles them;
    /// returns the testbench executable.</summary>
    public static string Build(NpuSpec spec, string folder)
    {
        RtlGenerator.Write(spec, folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "harness.cpp"), CosimulationHarness.Source);
        var sources = Directory.GetFiles(folder, "*.v").Select(Path.GetFileName).Order().Cast<string>();
        ExternalTool.Check("verilator",
            ["--cc", "--exe", "--build", "-j", "2", "--top-module", RtlGenerator.TopModule, "--Mdir", "obj", "-o", "harness",
             "-CFLAGS", "-O1", "harness.cpp", .. sources], folder);
        return Path.Combine(folder, "obj", "harness");
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
        for (int i = 0; i < tiles.Count; i++)
        {
            var fields = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var values = expected[i].Values;
            if (fields.Length != values.Length + 1) throw new TesseraException($"tile {i}: {fields.Length - 1} values, expected {values.Length}", resultsPath);
            int mismatched = 0;
            for (int v = 0; v < values.Length; v++) if (fields[v + 1] != values[v]) mismatched++;
            outcomes.Add(new TileOutcome(tiles[i], fields[0], expected[i].Cycles, mismatched));
        }
        return new CosimulationReport(spec.Name, outcomes);
    }
}
