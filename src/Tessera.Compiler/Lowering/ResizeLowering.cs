using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>Nearest Resize as DMA data movement, no vector work. The column map becomes runs of output pixels
/// reading one source pixel; runs of the same length whose sources advance by the same step are one load
/// (x = channels, y = run length reading DRAM with stride 0, z = runs with the source step), so an x2
/// upsampling loads each input row once, already widened. The row map becomes runs of output rows reading one
/// source row; the widened row is stored once per run with a zero scratchpad stride (y = run length), and runs
/// of the same length with consecutive sources are one store. Bands of row runs are double-buffered.</summary>
internal static class ResizeLowering
{
    private readonly record struct Run(int Source, int First, int Count);

    /// <summary>A group of runs of equal length whose sources advance by a constant step.</summary>
    private readonly record struct Group(int Source, int First, int Count, int Runs, int Step);

    public static string Emit(ProgramBuilder builder, ResizeNearestLayer layer, long inputDram, long outputDram)
    {
        var spec = builder.Spec;
        var (input, output) = (layer.Input, layer.Output);
        int c = output.Channels;
        long rowBytes = (long)output.Width * c;
        if (c > 65535 || output.Width > 4095) throw new UnsupportedException($"layer '{layer.Name}': rows of {output.Width} pixels x {c} channels exceed the DMA's fields", layer.Name);
        var columnRuns = Runs(layer.SourceColumns);
        var columnGroups = Groups(columnRuns, i => columnRuns[i].Source);
        var rowRuns = Runs(layer.SourceRows);
        int perBand = BroadcastLowering.LargestBand(rowRuns.Count, r => 2 * r * rowBytes <= spec.ActivationScratchpadBytes);
        if (perBand == 0) throw new UnsupportedException($"layer '{layer.Name}': one output row of {rowBytes} bytes does not fit '{spec.Name}' twice", layer.Name);
        long slot = perBand * rowBytes;
        int bands = (rowRuns.Count + perBand - 1) / perBand;
        Streaming.Emit(builder, bands,
            (band, wait, signal) =>
            {
                var runs = BandRuns(band);
                int count = runs.Count * columnGroups.Count, index = 0;
                for (int r = 0; r < runs.Count; r++)
                {
                    foreach (var g in columnGroups)
                    {
                        var (w, s) = Streaming.Tokens(index++, count, wait, signal);
                        builder.Load(MemoryKind.Activation, (band % 2) * slot + r * rowBytes + (long)g.First * c, inputDram + ((long)runs[r].Source * input.Width + g.Source) * c,
                            c, g.Count, g.Runs, 0, (long)g.Step * c, c, (long)g.Count * c, w, s);
                    }
                }
            },
            null,
            (band, wait, signal) =>
            {
                var runs = BandRuns(band);
                // Source of a store group = its first row in the slot.
                var stores = rowBytes <= 65535 ? Groups(runs, i => i) : runs.Select((r, i) => new Group(i, r.First, r.Count, 1, 0)).ToList();
                for (int i = 0; i < stores.Count; i++)
                {
                    var g = stores[i];
                    var (w, s) = Streaming.Tokens(i, stores.Count, wait, signal);
                    long sram = (band % 2) * slot + g.Source * rowBytes, dram = outputDram + g.First * rowBytes;
                    if (rowBytes <= 65535) builder.Store(MemoryKind.Activation, sram, dram, (int)rowBytes, g.Count, g.Runs, rowBytes, g.Count * rowBytes, 0, rowBytes, w, s);
                    else builder.Store(MemoryKind.Activation, sram, dram, c, output.Width, g.Count, c, rowBytes, c, 0, w, s);
                }
            });
        return $"DMA only: {rowRuns.Count} row runs, {columnGroups.Count} load(s) per row, {perBand} rows per band";

        List<Run> BandRuns(int band) => rowRuns.GetRange(band * perBand, Math.Min(perBand, rowRuns.Count - band * perBand));
    }

    private static List<Run> Runs(int[] map)
    {
        var runs = new List<Run>();
        for (int i = 0; i < map.Length;)
        {
            int j = i;
            while (j < map.Length && map[j] == map[i]) j++;
            runs.Add(new Run(map[i], i, j - i));
            i = j;
        }
        return runs;
    }

    /// <summary>Merges consecutive runs of equal length whose sources advance by one constant positive step (the
    /// DMA's plane stride), at most 4095 runs per group; <paramref name="source"/> gives run i's source.</summary>
    private static List<Group> Groups(List<Run> runs, Func<int, int> source)
    {
        var groups = new List<Group>();
        for (int i = 0; i < runs.Count;)
        {
            int step = i + 1 < runs.Count ? source(i + 1) - source(i) : 0, j = i + 1;
            while (step > 0 && j < runs.Count && j - i < 4095 && runs[j].Count == runs[i].Count && source(j) - source(j - 1) == step) j++;
            groups.Add(new Group(source(i), runs[i].First, runs[i].Count, j - i, j > i + 1 ? step : 0));
            i = j;
        }
        return groups;
    }
}
