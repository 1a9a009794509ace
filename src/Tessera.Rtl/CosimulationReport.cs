namespace Tessera.Rtl;

/// <summary>How the testbench offers tiles: each on an idle core, or each as soon as the core takes it.</summary>
public enum CosimulationMode
{
    Single,
    BackToBack,
}

/// <summary>One tile's outcome in one run. Single: cycles from the edge that accepted the tile to the edge that
/// wrote its last output row, against the model's completion on an idle array. Back to back: the cycles the
/// tile adds to the sequence (its last write minus the previous tile's last write; the first tile counts from
/// its acceptance), against the same difference of the model's completion times.</summary>
public sealed record TileOutcome(GemmTile Tile, long RtlCycles, long ModelCycles, int MismatchedValues)
{
    /// <summary>(model - RTL) / RTL in percent: positive when the model is pessimistic.</summary>
    public double ErrorPercent => 100.0 * (ModelCycles - RtlCycles) / RtlCycles;
}

/// <summary>Every tile's outcome in one run, and the whole run: RTL edges from the first acceptance to the last
/// write against the model's figure for the same tiles.</summary>
public sealed record CycleComparison(CosimulationMode Mode, IReadOnlyList<TileOutcome> Tiles, long RtlTotal, long ModelTotal)
{
    public double TotalErrorPercent => 100.0 * (ModelTotal - RtlTotal) / RtlTotal;

    public int MismatchedTiles => Tiles.Count(t => t.MismatchedValues > 0);

    public long Values => Tiles.Sum(t => (long)t.Tile.Rows * t.Tile.N);

    public int CyclesExact => Tiles.Count(t => t.RtlCycles == t.ModelCycles);

    public int WithinPercent(double percent) => Tiles.Count(t => Math.Abs(t.ErrorPercent) <= percent);

    /// <summary>Minimum, median and maximum of the per-tile error (model - RTL) / RTL in percent.</summary>
    public (double Minimum, double Median, double Maximum) ErrorDistribution()
    {
        if (Tiles.Count == 0) return (0, 0, 0);
        var sorted = Tiles.Select(t => t.ErrorPercent).Order().ToList();
        double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return (sorted[0], median, sorted[^1]);
    }

    /// <summary>Tiles per bucket of per-tile cycle error: exact, then bands of absolute error, signed so a
    /// pessimistic and an optimistic model are told apart.</summary>
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
}

/// <summary>The runs of one co-simulation (the same tiles and operands in each mode), and how many tiles wait back
/// to back for one of the <see cref="GemmTile.InFlightTiles"/> tiles before them (<see cref="CosimulationTile.WaitFor"/>;
/// a wait on an older tile never stalls the core).</summary>
public sealed record CosimulationReport(string Config, IReadOnlyList<CycleComparison> Runs, int WaitingTiles)
{
    public int MismatchedTiles => Runs.Sum(r => r.MismatchedTiles);

    public CycleComparison Run(CosimulationMode mode) => Runs.Single(r => r.Mode == mode);
}
