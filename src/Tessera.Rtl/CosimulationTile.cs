using Tessera.Hardware;

namespace Tessera.Rtl;

/// <summary>The memory a testbench write goes to (the core's host-port numbering).</summary>
public enum TileMemory
{
    Activation = 0,
    Weight = 1,
    Accumulator = 2,
}

/// <summary>One value the testbench puts into a memory before offering a tile (a byte for the scratchpads, an
/// int32 for the accumulators).</summary>
public readonly record struct MemoryWrite(TileMemory Memory, int Address, int Value);

/// <summary>A gemm tile and the memory contents it needs that the memories do not hold yet: the RTL and the model
/// apply the same writes, then execute the tile.</summary>
public sealed record CosimulationTile(GemmTile Tile, IReadOnlyList<MemoryWrite> Writes)
{
    /// <summary>Fresh random operands for every tile: all activations and weights it reads, and preset
    /// accumulators (full int32 range, so wrap-around is exercised) where it accumulates.</summary>
    public static IReadOnlyList<CosimulationTile> WithRandomOperands(IEnumerable<GemmTile> tiles, int seed)
    {
        var random = new Random(seed);
        var result = new List<CosimulationTile>();
        foreach (var tile in tiles)
        {
            var writes = new List<MemoryWrite>();
            foreach (int address in tile.ActivationAddresses()) writes.Add(new MemoryWrite(TileMemory.Activation, address, random.Next(-128, 128)));
            foreach (int address in tile.WeightAddresses()) writes.Add(new MemoryWrite(TileMemory.Weight, address, random.Next(-128, 128)));
            if (tile.Accumulate)
            {
                foreach (int address in tile.OutputAddresses()) writes.Add(new MemoryWrite(TileMemory.Accumulator, address, random.Next(int.MinValue, int.MaxValue)));
            }
            result.Add(new CosimulationTile(tile, writes));
        }
        return result;
    }

    /// <summary>For each tile, the latest earlier tile that must be done before the testbench may offer it (-1 for
    /// none): one whose operands or outputs the tile's writes would overwrite. The testbench writes a tile's
    /// operands when it offers the tile, so without this wait a compiled program's next band (the DMA's job, which
    /// the program orders with tokens) would overwrite the input of a tile still streaming. Exact addresses, so
    /// only a real conflict waits; tiles finish in order, so waiting for the latest conflicting one suffices.</summary>
    public static int[] WaitFor(NpuSpec spec, IReadOnlyList<CosimulationTile> tiles)
    {
        // The last tile that reads each scratchpad byte or reads or writes each accumulator.
        var lastUse = new int[][]
        {
            Filled(spec.ActivationScratchpadBytes), Filled(spec.WeightScratchpadBytes), Filled(spec.AccumulatorEntries),
        };
        var waits = new int[tiles.Count];
        for (int i = 0; i < tiles.Count; i++)
        {
            var (tile, writes) = tiles[i];
            int wait = -1;
            foreach (var write in writes) wait = Math.Max(wait, lastUse[(int)write.Memory][write.Address]);
            waits[i] = wait;
            foreach (int a in tile.ActivationAddresses()) lastUse[(int)TileMemory.Activation][a] = i;
            foreach (int a in tile.WeightAddresses()) lastUse[(int)TileMemory.Weight][a] = i;
            foreach (int a in tile.OutputAddresses()) lastUse[(int)TileMemory.Accumulator][a] = i;
        }
        return waits;
    }

    private static int[] Filled(int length)
    {
        var array = new int[length];
        Array.Fill(array, -1);
        return array;
    }

    /// <summary>Random tiles (<see cref="GemmTile.RandomSequence"/>, safe to run overlapped) with random operands.</summary>
    public static IReadOnlyList<CosimulationTile> Random(NpuSpec spec, int count, int seed) =>
        WithRandomOperands(GemmTile.RandomSequence(spec, new Random(seed), count), seed + 1);
}
