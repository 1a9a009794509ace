using Tessera.Hardware;

namespace Tessera.Rtl;

/// <summary>One gemm tile instruction's fields (the ISA's names): rows = m0 * m1 input rows of k activations
/// times a k x n weight tile, written or added to accumulator rows.</summary>
public sealed record GemmTile(bool Accumulate, int M0, int M1, int K, int N, int Input, int InputStride0, int InputStride1,
    int Weight, int WeightStride, int Output, int OutputStride)
{
    public int Rows => M0 * M1;

    public int RowAddress(int row) => Input + row / M0 * InputStride1 + row % M0 * InputStride0;

    public IEnumerable<int> ActivationAddresses() =>
        Enumerable.Range(0, Rows).SelectMany(row => Enumerable.Range(RowAddress(row), K)).Distinct();

    public IEnumerable<int> WeightAddresses() =>
        Enumerable.Range(0, K).SelectMany(row => Enumerable.Range(Weight + row * WeightStride, N));

    public IEnumerable<int> OutputAddresses() =>
        Enumerable.Range(0, Rows).SelectMany(row => Enumerable.Range(Output + row * OutputStride, N));

    public int InputExtent => (M1 - 1) * InputStride1 + (M0 - 1) * InputStride0 + K;

    public int WeightExtent => (K - 1) * WeightStride + N;

    public int OutputExtent => (Rows - 1) * OutputStride + N;

    /// <summary>Whether the two tiles touch a common address range in any memory (bounding ranges, so strided
    /// tiles with interleaved rows count as overlapping).</summary>
    public bool Overlaps(GemmTile other) =>
        Input < other.Input + other.InputExtent && other.Input < Input + InputExtent ||
        Weight < other.Weight + other.WeightExtent && other.Weight < Weight + WeightExtent ||
        Output < other.Output + other.OutputExtent && other.Output < Output + OutputExtent;

    /// <summary>A random tile that fits the spec's array and memories: strided and overlapping input rows
    /// (a convolution window's implicit im2col), partial k and n, row counts below and above the array height.</summary>
    public static GemmTile Random(NpuSpec spec, Random random)
    {
        int k = random.Next(1, spec.ArrayRows + 1), n = random.Next(1, spec.ArrayColumns + 1);
        int m0 = random.Next(1, 2 * spec.ArrayRows + 1), m1 = random.Next(1, 4);
        int stride0 = random.Next(1, k + 5);
        int stride1 = m0 * stride0 + random.Next(0, 17);
        int weightStride = random.Next(n, n + 9);
        int outputStride = random.Next(n, n + 9);
        return new GemmTile(random.Next(2) == 1, m0, m1, k, n, 0, stride0, stride1, 0, weightStride, 0, outputStride).Placed(spec, random);
    }

    /// <summary>The same tile at random addresses that keep it inside the memories.</summary>
    public GemmTile Placed(NpuSpec spec, Random random) => this with
    {
        Input = random.Next(0, spec.ActivationScratchpadBytes - InputExtent + 1),
        Weight = random.Next(0, spec.WeightScratchpadBytes - WeightExtent + 1),
        Output = random.Next(0, spec.AccumulatorEntries - OutputExtent + 1),
    };

    /// <summary>Tiles that may run overlapped in the core: the testbench writes a tile's operands when the core
    /// accepts it, while up to five earlier tiles are still loading, streaming or draining (the loader, the
    /// streamer and up to three tiles in the ROWS + COLUMNS - 2 cycles of drain), so each tile's memory ranges
    /// are kept apart from those of the <see cref="InFlightTiles"/> tiles before it. Otherwise as
    /// <see cref="Random(NpuSpec, System.Random)"/>.</summary>
    public static IReadOnlyList<GemmTile> RandomSequence(NpuSpec spec, Random random, int count)
    {
        var tiles = new List<GemmTile>(count);
        while (tiles.Count < count)
        {
            var recent = tiles.Skip(Math.Max(0, tiles.Count - InFlightTiles)).ToList();
            var tile = Random(spec, random);
            // Try other addresses for the same shape first, so the shapes keep Random's distribution.
            for (int attempt = 0; attempt < 200 && recent.Any(tile.Overlaps); attempt++) tile = tile.Placed(spec, random);
            if (!recent.Any(tile.Overlaps)) tiles.Add(tile);
        }
        return tiles;
    }

    /// <summary>How many earlier tiles a tile of <see cref="RandomSequence"/> stays clear of.</summary>
    public const int InFlightTiles = 6;
}

/// <summary>What the RTL is compared with: executes a tile on memories holding the same contents as the RTL's
/// and returns the model's cycle count for that tile on an idle array. Tessera.Rtl depends on the hardware spec
/// only, so the simulator side is plugged in by the caller (Tessera.Rtl.Simulation's SimulatorGemmModel).</summary>
public interface IGemmModel
{
    long Execute(GemmTile tile, sbyte[] activation, sbyte[] weight, int[] accumulator);

    /// <summary>The model's completion cycle of each tile when the tiles are issued back to back (each as soon as
    /// the array takes it, but not before the tile <paramref name="waitFor"/> names is done: the testbench offers
    /// it the edge after), counted from the first tile's start.</summary>
    IReadOnlyList<long> SequenceCompletions(IReadOnlyList<GemmTile> tiles, IReadOnlyList<int> waitFor);
}
