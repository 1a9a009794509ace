using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>Broadcast Add/Mul on the vector unit, banded by output rows and double-buffered like the other vector
/// layers. A broadcast axis costs no data movement where the vector operand strides can express it: a pixel axis
/// (Height or Width of 1) is a zero operand stride, and an operand constant over the rows ([1,W,C], [1,1,C]) is
/// loaded once and stays resident. Only a channel axis of 1 under more output channels needs the DMA: it expands
/// each value into a channel row on the way in (a zero DRAM stride), since a vector row reads consecutive
/// columns.</summary>
internal static class BroadcastLowering
{
    private sealed record Operand(NpuTensor Tensor, long Dram, bool Resident, bool Expanded, int RowPixels, int Channels)
    {
        public long RowBytes => (long)RowPixels * Channels;
    }

    public static string Emit(ProgramBuilder builder, BroadcastLayer layer, IReadOnlyList<long> inputDram, long outputDram)
    {
        var spec = builder.Spec;
        var (left, right, output) = (layer.Left, layer.Right, layer.Output);
        // Neither operand broadcasts inside a row: a whole output row is one vector row (fewer, longer rows).
        if (left.Width == output.Width && right.Width == output.Width && left.Channels == output.Channels && right.Channels == output.Channels
            && (long)output.Width * output.Channels <= 4095 && output.Width > 1)
        {
            left = left.Reshaped(left.Name, left.Height, 1, left.Width * left.Channels);
            right = right.Reshaped(right.Name, right.Height, 1, right.Width * right.Channels);
            output = output.Reshaped(output.Name, output.Height, 1, output.Width * output.Channels);
        }
        int c = output.Channels, width = output.Width;
        if (c > 4095 || width > 4095) throw new UnsupportedException($"layer '{layer.Name}': {width} pixels of {c} channels exceed the vector unit's 4095 rows/columns", layer.Name);
        var operands = new[] { Describe(left, inputDram[0]), Describe(right, inputDram[1]) };
        Operand Describe(NpuTensor t, long dram) => new(t, dram, t.Height == 1 && output.Height > 1, t.Channels == 1 && c > 1, t.Width, c);
        if (operands.Any(o => !o.Expanded && o.RowBytes > 65535)) throw new UnsupportedException($"layer '{layer.Name}': an operand row exceeds the DMA's 65535 bytes", layer.Name);
        long resident = operands.Where(o => o.Resident).Sum(o => o.RowBytes);
        long rowBytes = (long)width * c;
        int rows = LargestBand(output.Height, r => resident + 2 * r * (rowBytes + operands.Where(o => !o.Resident).Sum(o => o.RowBytes)) <= spec.ActivationScratchpadBytes);
        if (rows == 0 && layer.Output.Width > 1 && PixelsApart(layer.Left, layer.Output) && PixelsApart(layer.Right, layer.Output))
        {
            // One output row does not fit, and each operand is either the output's shape or one pixel: every pixel is
            // combined independently, so the layer runs as a column of pixels (bands of pixels instead of rows).
            NpuTensor Column(NpuTensor t) => t.Height * t.Width == 1 ? t : t.Reshaped(t.Name, t.Height * t.Width, 1, t.Channels);
            return Emit(builder, layer with { Left = Column(layer.Left), Right = Column(layer.Right), Output = Column(layer.Output) }, inputDram, outputDram)
                + " (as a column of pixels: one output row does not fit)";
        }
        if (rows == 0) throw new UnsupportedException($"layer '{layer.Name}': one output row of {output.ShapeText} does not fit '{spec.Name}'", layer.Name);

        // Activation scratchpad: resident operands, then two slots per streamed operand, then two output slots.
        var at = new long[2];
        long cursor = 0;
        for (int i = 0; i < 2; i++)
        {
            at[i] = cursor;
            cursor += operands[i].Resident ? operands[i].RowBytes : 2 * rows * operands[i].RowBytes;
        }
        long outputBase = cursor, outSlot = rows * rowBytes;
        builder.LoadBlock(MemoryKind.Accumulator, 0, builder.Constant($"{layer.Name} parameters", layer.Parameters), layer.Parameters.Length);
        foreach (var (o, i) in operands.Select((o, i) => (o, i)).Where(p => p.o.Resident)) LoadRows(builder, o, at[i], 0, 1, 0, 0);
        var streamed = Enumerable.Range(0, 2).Where(i => !operands[i].Resident).ToArray();
        int bands = (output.Height + rows - 1) / rows;
        Streaming.Emit(builder, bands,
            (band, wait, signal) =>
            {
                for (int j = 0; j < streamed.Length; j++)
                {
                    var (w, s) = Streaming.Tokens(j, streamed.Length, wait, signal);
                    int i = streamed[j];
                    LoadRows(builder, operands[i], at[i] + (band % 2) * rows * operands[i].RowBytes, band * rows, BandRows(band), w, s);
                }
            },
            (band, wait, signal) =>
            {
                long a = Address(0, band), b = Address(1, band);
                builder.Vector(layer.Multiply ? VectorFunction.Multiply : VectorFunction.Add, width, BandRows(band), c, a, Stride0(0), Stride1(0), outputBase + (band % 2) * outSlot, c,
                    wait, signal, b: b, bStride0: Stride0(1), bStride1: Stride1(1), p: 0);
            },
            (band, wait, signal) => StoreRows(builder, outputBase + (band % 2) * outSlot, outputDram + band * rows * rowBytes, BandRows(band), width, c, wait, signal));
        string how = string.Join(", ", operands.Select(o => $"{o.Tensor.Name} {(o.Resident ? "resident" : "streamed")}{(o.Expanded ? " (DMA-expanded channels)" : "")}"));
        return $"vector unit, {rows} output rows x {width} per band; {how}";

        int BandRows(int band) => Math.Min(rows, output.Height - band * rows);
        long Address(int i, int band) => operands[i].Resident ? at[i] : at[i] + (band % 2) * rows * operands[i].RowBytes;
        long Stride0(int i) => operands[i].RowPixels == 1 ? 0 : c;
        long Stride1(int i) => operands[i].Resident ? 0 : operands[i].RowBytes;
    }

    /// <summary>Whether the operand has the output's pixels or a single pixel (broadcast over all of them).</summary>
    private static bool PixelsApart(NpuTensor operand, NpuTensor output) =>
        operand.Height * operand.Width == 1 || (operand.Height == output.Height && operand.Width == output.Width);

    /// <summary>Loads operand rows [first, first + count) into consecutive scratchpad rows; a channel axis of 1 is
    /// expanded to the output's channels by reading each value C times (zero DRAM stride).</summary>
    private static void LoadRows(ProgramBuilder builder, Operand o, long sram, int first, int count, int wait, int signal)
    {
        long dram = o.Dram + (long)first * o.Tensor.Width * o.Tensor.Channels;
        if (!o.Expanded)
        {
            builder.Load(MemoryKind.Activation, sram, dram, (int)o.RowBytes, count, 1, o.RowBytes, 0, o.RowBytes, 0, wait, signal);
            return;
        }
        int values = count * o.RowPixels, pieces = (values + 4094) / 4095;
        for (int p = 0; p < pieces; p++)
        {
            int start = p * 4095, n = Math.Min(4095, values - start);
            var (w, s) = Streaming.Tokens(p, pieces, wait, signal);
            builder.Load(MemoryKind.Activation, sram + (long)start * o.Channels, dram + start, 1, o.Channels, n, 0, 1, 1, o.Channels, w, s);
        }
    }

    /// <summary>Stores <paramref name="rows"/> output rows of <paramref name="width"/> x <paramref name="channels"/>
    /// bytes, consecutive in the scratchpad and in DRAM: one row per DMA row when it fits the DMA's x field,
    /// else one pixel per DMA row.</summary>
    internal static void StoreRows(ProgramBuilder builder, long sram, long dram, int rows, int width, int channels, int wait, int signal)
    {
        long rowBytes = (long)width * channels;
        if (rowBytes <= 65535) builder.Store(MemoryKind.Activation, sram, dram, (int)rowBytes, rows, 1, rowBytes, 0, rowBytes, 0, wait, signal);
        else builder.Store(MemoryKind.Activation, sram, dram, channels, width, rows, channels, rowBytes, channels, rowBytes, wait, signal);
    }

    internal static int LargestBand(int limit, Func<int, bool> fits)
    {
        int best = 0;
        for (int r = 1; r <= Math.Min(limit, 4095) && fits(r); r++) best = r;
        return best;
    }
}
