using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>Transpose as a DMA layout move: each band of output rows is gathered into the scratchpad by strided
/// loads (the input strides of the permuted axes) and stored contiguously, double-buffered. When the channels
/// stay innermost a band is one load of channel runs; otherwise every element is its own DMA column (x = 1),
/// one load per output row, which the timing model charges only by bytes (a real DMA would pay per burst).</summary>
internal static class TransposeLowering
{
    public static string Emit(ProgramBuilder builder, TransposeLayer layer, long inputDram, long outputDram)
    {
        var spec = builder.Spec;
        var output = layer.Output;
        int[] p = layer.Permutation;
        int width = output.Width, c = output.Channels;
        bool channelsInner = p[2] == 2;
        if (width > 4095 || (channelsInner ? c > 65535 : c > 4095)) throw new UnsupportedException($"layer '{layer.Name}': output rows of {width} x {c} exceed the DMA's fields", layer.Name);
        long rowBytes = (long)width * c;
        int rows = BroadcastLowering.LargestBand(output.Height, r => 2 * r * rowBytes <= spec.ActivationScratchpadBytes);
        if (rows == 0) throw new UnsupportedException($"layer '{layer.Name}': one output row of {rowBytes} bytes does not fit '{spec.Name}' twice", layer.Name);
        long slot = rows * rowBytes;
        int bands = (output.Height + rows - 1) / rows;
        Streaming.Emit(builder, bands,
            (band, wait, signal) =>
            {
                int first = band * rows, count = Math.Min(rows, output.Height - first);
                long sram = (band % 2) * slot, dram = inputDram + first * layer.InputStride(p[0]);
                if (channelsInner)
                {
                    builder.Load(MemoryKind.Activation, sram, dram, c, width, count, layer.InputStride(p[1]), layer.InputStride(p[0]), c, rowBytes, wait, signal);
                    return;
                }
                for (int r = 0; r < count; r++)
                {
                    var (w, s) = Streaming.Tokens(r, count, wait, signal);
                    builder.Load(MemoryKind.Activation, sram + r * rowBytes, dram + r * layer.InputStride(p[0]), 1, c, width, layer.InputStride(p[2]), layer.InputStride(p[1]), 1, c, w, s);
                }
            },
            null,
            (band, wait, signal) =>
            {
                int first = band * rows, count = Math.Min(rows, output.Height - first);
                BroadcastLowering.StoreRows(builder, (band % 2) * slot, outputDram + first * rowBytes, count, width, c, wait, signal);
            });
        return $"DMA gather, {(channelsInner ? "channel runs" : "single elements")}, {rows} output rows per band";
    }
}
