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
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
