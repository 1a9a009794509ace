using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>Weight residency across layers: every weight block of a run of convolutions (only layers that leave
/// the weight scratchpad alone between them) gets a fixed place in the weight scratchpad, chosen so that it
/// overwrites the blocks used longest ago; a block may load as soon as every earlier block sharing its bytes has
/// finished (the block barrier orders that), so its weights can load many layers ahead, in whatever time the DMA
/// channel has free while earlier layers compute (the 54 KB of ResNet-8's last stage load during its 16-channel
/// 32x32 layers, which keep the array busy and the DMA channel idle). Blocks load in program order; a block
/// not fully loaded when its turn comes loads the rest then (after the barrier).</summary>
internal sealed class WeightRing
{
    private sealed class Entry(WeightBlock block, long address, int reusedAfter)
    {
        public WeightBlock Block { get; } = block;

        public long Address { get; } = address;

        /// <summary>The last earlier block whose bytes this one overwrites (-1: none); it may load once that block
        /// is done, i.e. from the block after it on.</summary>
        public int ReusedAfter { get; } = reusedAfter;

        public int Loaded { get; set; }
    }

    private readonly List<Entry> entries = [];
    private int current = -1;

    /// <summary>Places the blocks (program order) in a weight scratchpad of <paramref name="capacity"/> bytes:
    /// of the candidate addresses (0, the end of an earlier block, the top) the one whose overwritten blocks were
    /// used earliest; on a tie an end of the scratchpad (top, then 0), which keeps the rest in one piece: SqueezeNet's
    /// conv10 placed its first 64 KB block right after fire9's last one, so its second block overlapped the first and
    /// loaded only once that one had finished.</summary>
    public WeightRing(IReadOnlyList<WeightBlock> blocks, long capacity)
    {
        var placed = new List<(long Start, long End)>();
        foreach (var block in blocks)
        {
            long size = block.Bytes.Length;
            if (size > capacity) throw new InvalidOperationException($"{block.Key}: {size} bytes exceed the {capacity}-byte weight scratchpad");
            long top = (capacity - size) / 64 * 64;
            var candidates = new SortedSet<long> { 0, top };
            foreach (var (_, end) in placed) candidates.Add(ProgramBuilder.Align(end));
            (long Address, int Reused)? best = null;
            // The two ends first: on a tie they leave the rest in one piece for the next blocks.
            foreach (long at in new[] { top, 0L }.Concat(candidates))
            {
                if (at < 0 || at + size > capacity) continue;
                int reused = -1;
                for (int i = placed.Count - 1; i >= 0; i--)
                {
                    if (placed[i].Start < at + size && at < placed[i].End)
                    {
                        reused = i;
                        break;
                    }
                }
                if (best is null || reused < best.Value.Reused) best = (at, reused);
            }
            entries.Add(new Entry(block, best!.Value.Address, best.Value.Reused));
            placed.Add((best.Value.Address, best.Value.Address + size));
        }
    }

    public int Count => entries.Count;

    /// <summary>Blocks whose weights were all loaded by earlier blocks' prefetches when their turn came.</summary>
    public HashSet<string> Preloaded { get; } = [];

    /// <summary>Starts the next block in program order (it must be <paramref name="block"/>): loads whatever of
    /// its weights no prefetch has loaded yet (the first loads after the barrier) and returns their address.</summary>
    public long Begin(ProgramBuilder builder, WeightBlock block)
    {
        current++;
        if (current >= entries.Count || entries[current].Block.Key != block.Key || !entries[current].Block.Bytes.AsSpan().SequenceEqual(block.Bytes))
        {
            throw new InvalidOperationException($"weight residency plan out of step at '{block.Key}'");
        }
        var entry = entries[current];
        if (entry.Loaded == block.Bytes.Length) Preloaded.Add(block.Key);
        if (entry.Loaded < block.Bytes.Length)
        {
            builder.LoadBlock(MemoryKind.Weight, entry.Address + entry.Loaded, builder.WeightConstant(block) + entry.Loaded, block.Bytes.Length - entry.Loaded);
            entry.Loaded = block.Bytes.Length;
        }
        return entry.Address;
    }

    /// <summary>Bytes of the next block in program order not loaded yet (0 when it is loaded or there is none).</summary>
    public int NextMissing => current + 1 < entries.Count ? entries[current + 1].Block.Bytes.Length - entries[current + 1].Loaded : 0;

    /// <summary>Loads up to <paramref name="budget"/> bytes of later blocks, in program order, as far as the blocks
    /// they overwrite are done (all blocks before the current one are).</summary>
    public void Prefetch(ProgramBuilder builder, long budget)
    {
        for (int j = current + 1; j < entries.Count && budget > 0; j++)
        {
            var entry = entries[j];
            int missing = entry.Block.Bytes.Length - entry.Loaded;
            if (missing == 0) continue;
            if (entry.ReusedAfter >= current) return;
            int piece = (int)Math.Min(missing, budget);
            builder.LoadBlock(MemoryKind.Weight, entry.Address + entry.Loaded, builder.WeightConstant(entry.Block) + entry.Loaded, piece);
            entry.Loaded += piece;
            budget -= piece;
            if (entry.Loaded < entry.Block.Bytes.Length) return;
        }
    }
}
