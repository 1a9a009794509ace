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
            File.WriteAllLines("/tmp/rtl-cycles.txt", report.Tiles.Select(t => $"{t.Tile.Rows} {t.Tile.K} {t.RtlCycles} {t.ModelCycles}"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
