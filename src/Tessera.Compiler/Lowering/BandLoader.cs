using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>Loads the padded input rows an output band reads into an activation-scratchpad slot laid out as
/// rows of (left pad + Width + right pad) pixels of Channels bytes. Horizontal padding comes from the DMA's
/// per-plane pad rows (one DMA row per pixel, so any channel count works); vertical padding rows are copies of
/// a Channels-byte constant of the pad value read with zero DRAM strides, so no scratchpad fill pass is needed.</summary>
/// <summary>A strided 1x1 convolution's input seen as the column of the pixels it reads: output pixel p reads
/// DRAM offset (p / <paramref name="OutputWidth"/>) x <paramref name="RowStride"/> + (p % OutputWidth) x
/// <paramref name="PixelStride"/>, so only those pixels are loaded.</summary>
internal sealed record Subsample(int OutputWidth, long PixelStride, long RowStride);

/// <summary>Stacked kernel rows (<see cref="ConvPlanner.StackRows"/>): the convolution is planned as a 1 x KernelWidth
/// one over a tensor whose row oy holds, per input pixel x, the KernelHeight input rows StrideY x oy + r x DilationY -
/// Padding.Top (r = 0..KernelHeight-1) of <paramref name="Source"/>'s channels side by side; the loader builds those rows
/// from <paramref name="Source"/>'s HWC rows in DRAM (one strided load per kernel row and band, vertical pad rows from
/// the pad constant), so a gemm's k covers the whole kernel.</summary>
internal sealed record StackedRows(NpuTensor Source, Window Window);

internal sealed class BandLoader
{
    private readonly Subsample? subsample;
    private readonly StackedRows? stacked;
    private readonly ProgramBuilder builder;
    private readonly NpuTensor input;
    private readonly long dram;
    private readonly Padding padding;
    private readonly int padValue;
    private readonly long pixelPitch, rowPitch;
    private long padRowAddress = -1;

    /// <param name="view">The input is a window of a larger HWC tensor in DRAM (a column tile with its halo, or a slice
    /// of its channels): bytes from one pixel to the next and from one row to the next there; null: the input's own
    /// (Channels, Width x Channels).</param>
    public BandLoader(ProgramBuilder builder, NpuTensor input, long dram, Padding padding, int padValue, Subsample? subsample = null, StackedRows? stacked = null,
        (long Pixel, long Row)? view = null)
    {
        (this.builder, this.input, this.dram, this.padding, this.padValue, this.subsample, this.stacked) = (builder, input, dram, padding, padValue, subsample, stacked);
        (pixelPitch, rowPitch) = view ?? (input.Channels, (long)input.Width * input.Channels);
        if (view is not null && (subsample is not null || stacked is not null)) throw new InvalidOperationException("a windowed input is loaded by plain rows");
        if (subsample is not null && (input.Width != 1 || padding != Padding.None)) throw new InvalidOperationException("a subsampled input is an unpadded column of pixels");
        if (stacked is not null && (subsample is not null || padding.Top != 0 || padding.Bottom != 0 || input.Width != stacked.Source.Width
            || input.Channels != stacked.Window.KernelHeight * stacked.Source.Channels))
        {
            throw new InvalidOperationException("a stacked-rows input has KernelHeight x the source's channels, its width and no vertical padding");
        }
        if (padding.Left > 15 || padding.Right > 15 || padding.Top > 15 || padding.Bottom > 15)
        {
            throw new UnsupportedException($"padding {padding} exceeds the DMA's 15 pad pixels per side");
        }
    }

    public int PaddedWidth => input.Width + padding.Left + padding.Right;

    public long RowBytes => (long)PaddedWidth * input.Channels;

    /// <summary>Why this input cannot be loaded by rows, or null.</summary>
    public static string? Check(NpuTensor input, Padding padding)
    {
        if (padding.Left > 15 || padding.Right > 15 || padding.Top > 15 || padding.Bottom > 15) return $"padding {padding} exceeds the DMA's 15 pad pixels per side";
        if (input.Width > 4095 || input.Channels > 65535) return $"rows of {input.Width} pixels x {input.Channels} channels exceed the DMA's limits";
        return null;
    }

    /// <summary>Emits loads of padded rows [first, first + count) into <paramref name="sram"/>; the first load
    /// waits <paramref name="wait"/>, the last signals <paramref name="signal"/>.</summary>
    public void Emit(long sram, int first, int count, int wait, int signal)
    {
        if (subsample is { } view)
        {
            // Pixels [first, first + count) of the column: a partial output row, whole rows (one load, y = pixels
            // of a row, z = rows), a partial row.
            var loads = new List<(long At, long Source, int Pixels, int Rows)>();
            for (int p = first; p < first + count;)
            {
                int y = p / view.OutputWidth, x = p % view.OutputWidth;
                int rows = x == 0 ? Math.Min((first + count - p) / view.OutputWidth, 4095) : 0;
                int pixels = rows > 0 ? view.OutputWidth : Math.Min(view.OutputWidth - x, first + count - p);
                loads.Add((sram + (long)(p - first) * input.Channels, dram + y * view.RowStride + x * view.PixelStride, pixels, Math.Max(rows, 1)));
                p += pixels * Math.Max(rows, 1);
            }
            for (int i = 0; i < loads.Count; i++)
            {
                var (at, source, pixels, rows) = loads[i];
                builder.Load(MemoryKind.Activation, at, source, input.Channels, pixels, rows, view.PixelStride, view.RowStride, input.Channels, (long)pixels * input.Channels,
                    i == 0 ? wait : 0, i == loads.Count - 1 ? signal : 0);
            }
            return;
        }
        if (stacked is not null)
        {
            EmitStacked(sram, first, count, wait, signal);
            return;
        }
        int top = Math.Clamp(padding.Top - first, 0, count);
        int realStart = Math.Max(first - padding.Top, 0);
        int realEnd = Math.Min(first + count - padding.Top, input.Height);
        int real = Math.Max(realEnd - realStart, 0);
        int bottom = count - top - real;
        var actions = new List<Action<int, int>>();
        int c = input.Channels;
        if (top > 0) actions.Add((w, s) => PadRows(sram, top, w, s));
        if (real > 0)
        {
            long at = sram + top * RowBytes;
            long source = dram + realStart * rowPitch;
            if (padding.Left + padding.Right == 0 && pixelPitch == c && (long)input.Width * c <= 65535)
            {
                actions.Add((w, s) => builder.Load(MemoryKind.Activation, at, source, input.Width * c, real, 1, rowPitch, 0, RowBytes, 0, w, s));
            }
            else
            {
                actions.Add((w, s) => builder.Load(MemoryKind.Activation, at, source, c, input.Width, real, pixelPitch, rowPitch, c, RowBytes, w, s,
                    padTop: padding.Left, padBottom: padding.Right, padValue: padValue));
            }
        }
        if (bottom > 0) actions.Add((w, s) => PadRows(sram + (top + real) * RowBytes, bottom, w, s));
        for (int i = 0; i < actions.Count; i++) actions[i](i == 0 ? wait : 0, i == actions.Count - 1 ? signal : 0);
    }

    /// <summary>Stacked rows [first, first + count) (output rows): per kernel row r, the source rows those output rows
    /// read are one load (C bytes per pixel at a pixel stride of KernelHeight x C, the left/right pad pixels from the
    /// DMA's plane padding); output rows whose row r falls in the vertical padding take the pad constant.</summary>
    private void EmitStacked(long sram, int first, int count, int wait, int signal)
    {
        var (source, window) = (stacked!.Source, stacked.Window);
        int c = source.Channels, sy = window.StrideY, end = first + count;
        var actions = new List<Action<int, int>>();
        for (int r = 0; r < window.KernelHeight; r++)
        {
            int offset = r * window.DilationY - window.Padding.Top; // source row of output row oy: sy x oy + offset
            int lo = Math.Clamp(offset >= 0 ? 0 : (-offset + sy - 1) / sy, first, end);
            int hi = source.Height - 1 - offset < 0 ? lo : Math.Clamp((source.Height - 1 - offset) / sy + 1, lo, end);
            long column = (long)r * c;
            if (lo > first) AddPad(first, lo - first);
            if (hi > lo)
            {
                long at = sram + (lo - first) * RowBytes + column, from = dram + ((long)sy * lo + offset) * source.Width * c;
                int rows = hi - lo;
                actions.Add((w, s) => builder.Load(MemoryKind.Activation, at, from, c, source.Width, rows, c, (long)sy * source.Width * c, input.Channels, RowBytes, w, s,
                    padTop: padding.Left, padBottom: padding.Right, padValue: padValue));
            }
            if (end > hi) AddPad(hi, end - hi);

            void AddPad(int from, int rows)
            {
                long at = sram + (from - first) * RowBytes + column;
                actions.Add((w, s) => builder.Load(MemoryKind.Activation, at, PadConstant(), c, PaddedWidth, rows, 0, 0, input.Channels, RowBytes, w, s));
            }
        }
        for (int i = 0; i < actions.Count; i++) actions[i](i == 0 ? wait : 0, i == actions.Count - 1 ? signal : 0);
    }

    private long PadConstant()
    {
        if (padRowAddress < 0) padRowAddress = builder.Constant($"pad {padValue} x {input.Channels}", Enumerable.Repeat((byte)(sbyte)padValue, input.Channels).ToArray());
        return padRowAddress;
    }

    private void PadRows(long sram, int rows, int wait, int signal)
    {
        PadConstant();
        builder.Load(MemoryKind.Activation, sram, padRowAddress, input.Channels, PaddedWidth, rows, 0, 0, input.Channels, RowBytes, wait, signal);
    }
}
