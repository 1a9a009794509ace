using Tessera.Compiler;
using Tessera.Hardware;
using Tessera.Rtl;
using Tessera.Rtl.Simulation;

namespace Tessera.Rtl.Tests;

/// <summary>The tiny core against the simulator. One class, so the two tests run one after the other and the
/// second reuses the testbench the first built (CosimulationTests share Cosimulation's cache).</summary>
public sealed class CosimulationTests
{
    [Fact]
    public void TinyRandomTilesMatchTheSimulatorBitForBitAloneAndBackToBack()
    {
        var spec = NpuSpecLoader.Load("tiny");
        var tiles = CosimulationTile.Random(spec, 60, seed: 11);
        var report = InFolder(folder => Cosimulation.Run(spec, tiles, new SimulatorGemmModel(spec), folder));
        var single = report.Run(CosimulationMode.Single);
        var sequence = report.Run(CosimulationMode.BackToBack);
        Assert.Equal(0, report.MismatchedTiles);
        Assert.True(single.Values > 1000, $"only {single.Values} values compared");
        Assert.Contains(single.Tiles, t => t.Tile.Rows < spec.ArrayRows);
        Assert.Contains(single.Tiles, t => t.Tile.Rows >= spec.ArrayRows);
        // The cycle model was calibrated on this RTL: every tile, short or long, alone or behind another, agrees
        // to the cycle (back to back: the cycles each tile adds to the sequence).
        Assert.Equal(60, single.CyclesExact);
        Assert.Equal(60, sequence.CyclesExact);
        Assert.Equal(sequence.ModelTotal, sequence.RtlTotal);
        // The double-buffered weights really overlap tiles: the sequence is much shorter than the tiles one by one,
        // and a short tile is followed by the next one ROWS cycles (its weight load) after it started streaming.
        Assert.True(sequence.RtlTotal < 0.6 * single.RtlTotal, $"back to back {sequence.RtlTotal}, alone {single.RtlTotal}");
    }

    [Fact]
    public void EveryGemmTileOfACompiledNetworkMatchesOnTiny()
    {
        var spec = NpuSpecLoader.Load("tiny");
        var network = SampleNetwork.MobileNetLike(size: 16);
        var program = ProgramTiles.FromNetwork(NetworkCompiler.Compile(spec, network), SampleNetwork.Inputs(network));
        Assert.Equal(["stem", "pw1", "expand", "project", "conv3x3", "classifier"], program.Layers.Distinct().ToArray());
        // Alone only: the program orders its tiles with tokens (shared double-buffered bands and output rows)
        // that the testbench does not model, so back to back would race on memory, not test the core.
        var report = InFolder(folder => Cosimulation.Run(spec, program.Tiles, new SimulatorGemmModel(spec), folder, [CosimulationMode.Single]));
        var single = report.Run(CosimulationMode.Single);
        Assert.Equal(0, single.MismatchedTiles);
        Assert.True(single.Values > 10000, $"only {single.Values} values compared");
        // Accumulating taps take their partial sums from the RTL's own earlier tiles, not from a preset.
        Assert.Contains(program.Tiles, t => t.Tile.Accumulate && t.Writes.All(w => w.Memory != TileMemory.Accumulator));
        Assert.Equal(program.Tiles.Count, single.CyclesExact);
    }

    private static CosimulationReport InFolder(Func<string, CosimulationReport> run)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"tessera-rtl-cosim-{Guid.NewGuid():N}");
        try
        {
            return run(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
