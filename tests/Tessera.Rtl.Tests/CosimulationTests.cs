using Tessera.Hardware;
using Tessera.Rtl;

namespace Tessera.Rtl.Tests;

public sealed class CosimulationTests
{
    [Fact]
    public void TinyRandomTilesMatchTheSimulatorBitForBit()
    {
        var spec = NpuSpecLoader.Load("tiny");
        var random = new Random(11);
        var tiles = Enumerable.Range(0, 60).Select(_ => GemmTile.Random(spec, random)).ToList();
        var folder = Path.Combine(Path.GetTempPath(), $"tessera-rtl-cosim-{Guid.NewGuid():N}");
        try
        {
            var report = Cosimulation.Run(spec, tiles, new SimulatorGemmModel(spec), folder);
            Assert.Equal(60, report.Tiles.Count);
            Assert.Equal(0, report.MismatchedTiles);
            Assert.True(report.Values > 1000, $"only {report.Values} values compared");
            Assert.Contains(report.Tiles, t => t.Tile.Rows < spec.ArrayRows);
            Assert.Contains(report.Tiles, t => t.Tile.Rows >= spec.ArrayRows);
            // The cycle model was calibrated on this RTL: every tile, short or long, agrees to the cycle.
            Assert.Equal(report.Tiles.Count, report.CyclesExact);
            Assert.Equal([("exact", 60)], report.ErrorHistogram().Where(b => b.Tiles > 0).ToArray());
            // The testbench starts each tile on the edge after the previous one's last write, so the sequence takes
            // the tiles' own cycles plus one start edge between consecutive tiles and nothing else.
            Assert.Equal(report.Tiles.Sum(t => t.RtlCycles) + report.Tiles.Count - 1, report.RtlSequenceCycles);
            // The simulator overlaps the next tile's weight load with the current stream (double-buffered weight
            // registers the generated core does not have yet), so for a sequence it is optimistic: docs/rtl.md.
            Assert.True(report.ModelSequenceCycles < report.RtlSequenceCycles, $"model {report.ModelSequenceCycles}, RTL {report.RtlSequenceCycles}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
