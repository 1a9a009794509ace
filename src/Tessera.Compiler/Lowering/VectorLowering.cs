using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>Pooling, elementwise, lookup and concatenation on the vector unit and the DMA engines. Each picks
/// the largest band (rows of pixels) that fits double-buffered: these layers stream every byte once, so the
/// cost model's only lever is amortising the DRAM latency and per-instruction pipeline over longer bands.</summary>
internal static class VectorLowering
{
    /// <param name="storeAlso">Each band is stored a second time there (a concatenation's channel slice: address of
    /// the slice, pixel pitch).</param>
    /// <param name="residentInput">The input is kept in the activation scratchpad at this address (written by the
    /// producing convolution in this pool's padded layout, <see cref="ResidentOutput"/>): no band loads, the vector
    /// unit reads each band's window there; band slots stay below <paramref name="limit"/>.</param>
    /// <param name="keptOutput">The output stays in the activation scratchpad at this address (unpadded, pixels in
    /// row-major order) for the next layer, which reads it there: the vector unit writes each band there, nothing is
    /// stored.</param>
    public static string Pool(ProgramBuilder builder, Layer layer, NpuTensor input, NpuTensor output, Window window, long inputDram, long outputDram, (long Dram, int Pitch)? storeAlso = null,
        long? residentInput = null, long? limit = null, long? keptOutput = null)
    {
        if (keptOutput is not null && storeAlso is not null) throw new InvalidOperationException($"layer '{layer.Name}': a kept output is not stored");
        var spec = builder.Spec;
        int c = input.Channels;
        if (c > 4095) throw new UnsupportedException($"layer '{layer.Name}': {c} channels exceed the vector unit's 4095 columns", layer.Name);
        if (BandLoader.Check(input, window.Padding) is { } problem) throw new UnsupportedException($"layer '{layer.Name}': {problem}", layer.Name);
        long capacity = limit ?? spec.ActivationScratchpadBytes;
        if (PoolBand(spec, layer is MaxPoolLayer, input, output, window, residentInput is not null, capacity) > 0 || residentInput is not null || storeAlso is not null || keptOutput is not null)
        {
            return PoolChannels(builder, layer, input, output, window, inputDram, outputDram, storeAlso, residentInput, limit, c, keptOutput);
        }
        // One output row of every channel does not fit: channels are independent, so the pool runs on channel chunks,
        // each loading its slice of every pixel (a strided view of the input) and storing into its slice of the output.
        // The fewest chunks that fit, balanced and in whole lane rows where possible.
        for (int count = 2; count <= c; count++)
        {
            int chunk = (c + count - 1) / count;
            if (chunk > spec.VectorLanes) chunk = (chunk + spec.VectorLanes - 1) / spec.VectorLanes * spec.VectorLanes;
            if (PoolBand(spec, layer is MaxPoolLayer, input with { Channels = chunk }, output with { Channels = chunk }, window, false, capacity) == 0) continue;
            var parts = new List<string>();
            for (int c0 = 0; c0 < c; c0 += chunk)
            {
                int channels = Math.Min(chunk, c - c0);
                parts.Add(PoolChannels(builder, layer, input with { Channels = channels }, output with { Channels = channels }, window, inputDram + c0, outputDram + c0, null, null, limit, c));
            }
            return $"{parts.Count} channel chunks of <= {chunk} (one output row of all {c} channels does not fit the activation scratchpad); first chunk: {parts[0]}";
        }
        throw new UnsupportedException($"layer '{layer.Name}': one output row of a {window.KernelHeight}x{window.KernelWidth} window over {input.ShapeText} does not fit '{spec.Name}', not even one channel at a time", layer.Name);
    }

    /// <summary>The largest band of output rows a pool over <paramref name="input"/> fits double-buffered (0: none).</summary>
    internal static int PoolBand(NpuSpec spec, bool max, NpuTensor input, NpuTensor output, Window window, bool resident, long capacity)
    {
        int c = input.Channels, width = output.Width;
        long paddedRow = (long)(input.Width + window.Padding.Left + window.Padding.Right) * c;
        int parameterWords = max ? 2 : c + 5;
        return LargestBand(output.Height, r =>
            (resident ? 0 : 2 * window.InputRows(r) * paddedRow) + 2L * r * width * c <= capacity
            && (max || 2L * r * width * c + parameterWords <= spec.AccumulatorEntries) && r <= 4095);
    }

    /// <param name="pitch">Bytes from one pixel to the next in the input and output in DRAM (the layer's channels, or
    /// all of the tensor's when <paramref name="input"/> is a slice of them).</param>
    private static string PoolChannels(ProgramBuilder builder, Layer layer, NpuTensor input, NpuTensor output, Window window, long inputDram, long outputDram, (long Dram, int Pitch)? storeAlso,
        long? residentInput, long? limit, int pitch, long? keptOutput = null)
    {
        var spec = builder.Spec;
        bool max = layer is MaxPoolLayer;
        var average = layer as AveragePoolLayer;
        int c = input.Channels, width = output.Width;
        long paddedRow = (long)(input.Width + window.Padding.Left + window.Padding.Right) * c;
        bool resident = residentInput is not null;
        long capacity = limit ?? spec.ActivationScratchpadBytes;
        int rows = PoolBand(spec, max, input, output, window, resident, capacity);
        if (rows == 0) throw new UnsupportedException($"layer '{layer.Name}': one output row of a {window.KernelHeight}x{window.KernelWidth} window over {input.ShapeText} does not fit '{spec.Name}'", layer.Name);
        {
            int instructions = window.Taps + (max ? 1 : 3), chunks = (c + spec.VectorLanes - 1) / spec.VectorLanes;
            rows = BalancedBand(spec, output.Height, rows,
                r => resident ? 0 : window.InputRows(r) * (long)input.Width * c,
                r => instructions * ((long)r * width * chunks + spec.VectorPipelineCycles),
                r => (keptOutput is not null ? 0L : storeAlso is null ? 1L : 2L) * r * width * c);
        }
        long inSlot = resident ? 0 : window.InputRows(rows) * paddedRow, outSlot = (long)rows * width * c, accSlot = max ? 0 : (long)rows * width * c, parameters = 2 * accSlot;
        var loader = new BandLoader(builder, input, inputDram, window.Padding, max ? -128 : input.ZeroPoint, view: pitch == c ? null : (pitch, (long)input.Width * pitch));
        int[] block = max
            ? [(layer as MaxPoolLayer)!.Minimum, (layer as MaxPoolLayer)!.Maximum]
            : [.. Enumerable.Repeat(unchecked(-window.Taps * input.ZeroPoint), c), output.ZeroPoint, average!.Minimum, average.Maximum, average.Multiplier, average.Shift];
        bool clip = max && (block[0] > -128 || block[1] < 127);
        // A resident input: the parameter load (after the barrier, so after the producer's last vector instruction,
        // which wrote the input) is the vector unit's go.
        builder.LoadBlock(MemoryKind.Accumulator, parameters, builder.Constant($"{layer.Name} parameters", block), block.Length, signal: Q.If(resident, Q.Vector));
        int bands = (output.Height + rows - 1) / rows;
        long VectorCycles(int r) => (window.Taps + (max ? 1 : 3)) * ((long)r * width * ((c + spec.VectorLanes - 1) / spec.VectorLanes) + spec.VectorPipelineCycles);
        long StoreCycles(int r) => ((keptOutput is not null ? 0L : storeAlso is null ? 1L : 2L) * r * width * c + spec.DramBytesPerCycle - 1) / spec.DramBytesPerCycle;
        // Later convolutions' weights (WeightRing) in the DMA time the pool leaves free: with a kept input the load
        // queue has nothing else to do, so all of it after the parameter load.
        if (resident && builder.Ring is { } ring)
        {
            long free = Enumerable.Range(0, bands).Sum(b => VectorCycles(BandRows(b)) - StoreCycles(BandRows(b)));
            ring.Prefetch(builder, Math.Max(0, free) * spec.DramBytesPerCycle);
        }
        Streaming.Emit(builder, bands,
            resident ? null : (band, wait, signal) => loader.Emit((band % 2) * inSlot, band * rows * window.StrideY, window.InputRows(BandRows(band)), wait, signal),
            (band, wait, signal) =>
            {
                int r = BandRows(band);
                long inAt = resident ? residentInput!.Value + (long)band * rows * window.StrideY * paddedRow : (band % 2) * inSlot, accAt = (band % 2) * accSlot;
                long outAt = keptOutput is { } kept ? kept + (long)band * rows * width * c : 2 * inSlot + (band % 2) * outSlot;
                int doublings = average is null ? 0 : average.InputShift * DoublingPieces(r * width * c);
                int count = window.Taps + (max ? (clip ? 1 : 0) : (input.ZeroPoint != 0 ? 2 : 1) + doublings), index = 0;
                for (int tap = 0; tap < window.Taps; tap++, index++)
                {
                    int ky = tap / window.KernelWidth, kx = tap % window.KernelWidth;
                    long a = inAt + ky * window.DilationY * paddedRow + (long)kx * window.DilationX * c;
                    var (w, s) = Streaming.Tokens(index, count, wait, signal);
                    if (max) builder.Vector(tap == 0 ? VectorFunction.Copy : VectorFunction.Max, width, r, c, a, window.StrideX * c, window.StrideY * paddedRow, outAt, c, w, s);
                    else builder.Vector(VectorFunction.Sum, width, r, c, a, window.StrideX * c, window.StrideY * paddedRow, accAt, c, w, s, accumulate: tap > 0);
                }
                if (clip)
                {
                    var (w, s) = Streaming.Tokens(index++, count, wait, signal);
                    builder.Vector(VectorFunction.Clip, width, r, c, outAt, c, (long)width * c, outAt, c, w, s, p: parameters);
                }
                if (!max)
                {
                    if (input.ZeroPoint != 0)
                    {
                        var (w, s) = Streaming.Tokens(index++, count, wait, signal);
                        builder.Vector(VectorFunction.Bias, width, r, c, accAt, c, (long)width * c, accAt, c, w, s, b: parameters);
                    }
                    // The input shift as repeated doubling (sum + sum through `bias` with b = a): the requantize
                    // instruction has one shift, and a left shift there would drop the final rounding right shift.
                    int values = r * width * c;
                    for (int bit = 0; bit < average!.InputShift; bit++)
                    for (int first = 0; first < values; first += MaximumColumns)
                    {
                        var (w, s) = Streaming.Tokens(index++, count, wait, signal);
                        int columns = Math.Min(MaximumColumns, values - first);
                        builder.Vector(VectorFunction.Bias, 1, 1, columns, accAt + first, columns, columns, accAt + first, columns, w, s, b: accAt + first);
                    }
                    var (w2, s2) = Streaming.Tokens(index++, count, wait, signal);
                    builder.Vector(VectorFunction.Requantize, width, r, c, accAt, c, (long)width * c, outAt, c, w2, s2, p: parameters + c);
                }
            },
            keptOutput is not null ? null : (band, wait, signal) =>
            {
                long sram = 2 * inSlot + (band % 2) * outSlot;
                StoreRows(builder, sram, outputDram + (long)band * rows * width * pitch, BandRows(band) * width, c, pitch, wait, storeAlso is null ? signal : 0);
                if (storeAlso is { } also) StoreRows(builder, sram, also.Dram + (long)band * rows * width * also.Pitch, BandRows(band) * width, c, also.Pitch, 0, signal);
            });
        return $"vector unit, {rows} output rows x {width} per band, {window.Taps} taps" + (resident ? $"; input read from the scratchpad at {residentInput} (kept by its producer)" : "")
            + (keptOutput is { } at ? $"; output kept in the scratchpad at {at} for the next layer" : "") + (storeAlso is { } a ? $"; also stored into a {a.Pitch}-channel concatenation" : "");

        int BandRows(int band) => Math.Min(rows, output.Height - band * rows);
    }

    private const int MaximumColumns = 4095;

    private static int DoublingPieces(int values) => (values + MaximumColumns - 1) / MaximumColumns;

    /// <param name="outputPitch">Bytes from one output pixel to the next in DRAM: the channel count, or a
    /// concatenation's when the output is written in place into its channel slice.</param>
    public static string Elementwise(ProgramBuilder builder, Layer layer, IReadOnlyList<long> inputDram, long outputDram, int? outputPitch = null)
    {
        var spec = builder.Spec;
        var output = layer.Output;
        int c = output.Channels;
        if (c > 4095) throw new UnsupportedException($"layer '{layer.Name}': {c} channels exceed the vector unit's 4095 columns", layer.Name);
        // An operand read twice (a Concat part's rescale is an Add of the part with itself) is loaded once and
        // both vector operands point at its slot: same address, same shape, same bytes.
        var distinct = inputDram.Distinct().ToList();
        int operands = distinct.Count;
        int[] slotOf = [.. inputDram.Select(d => distinct.IndexOf(d))];
        long tableBytes = layer is LookupLayer ? 256 : 0;
        int rows = LargestBand(output.Pixels, r => tableBytes + 2L * (operands + 1) * r * c <= spec.ActivationScratchpadBytes && r <= 4095);
        if (rows == 0) throw new UnsupportedException($"layer '{layer.Name}': one row of {c} channels does not fit '{spec.Name}'", layer.Name);
        rows = BalancedBand(spec, output.Pixels, rows,
            r => (long)operands * r * c,
            r =>
            {
                int g = PixelsPerRow(spec, c, r);
                return (long)(r / g) * ((g * c + spec.VectorLanes - 1) / spec.VectorLanes) + spec.VectorPipelineCycles;
            },
            r => (long)r * c);
        long slot = (long)rows * c;
        long SlotAt(int operand, int band) => tableBytes + (operand * 2 + band % 2) * slot;
        switch (layer)
        {
            case LookupLayer lookup:
                builder.LoadBlock(MemoryKind.Activation, 0, builder.Constant($"{layer.Name} table", (byte[])(Array)lookup.Table), 256);
                break;
            case ElementwiseLayer elementwise:
                builder.LoadBlock(MemoryKind.Accumulator, 0, builder.Constant($"{layer.Name} parameters", elementwise.Parameters), elementwise.Parameters.Length);
                break;
        }
        int bands = (output.Pixels + rows - 1) / rows;
        Streaming.Emit(builder, bands,
            (band, wait, signal) =>
            {
                for (int i = 0; i < operands; i++)
                {
                    var (w, s) = Streaming.Tokens(i, operands, wait, signal);
                    builder.Load(MemoryKind.Activation, SlotAt(i, band), distinct[i] + (long)band * rows * c, c, BandRows(band), 1, c, 0, c, 0, w, s);
                }
            },
            (band, wait, signal) =>
            {
                int r = BandRows(band);
                long d = SlotAt(operands, band);
                // The tiles are contiguous and the operation does not depend on the channel: g pixels per vector row
                // fill the lanes (4 channels on 32 lanes: 8 pixels in one cycle instead of 8).
                int g = PixelsPerRow(spec, c, r), cols = g * c;
                switch (layer)
                {
                    case LookupLayer:
                        builder.Vector(VectorFunction.Lookup, r / g, 1, cols, SlotAt(slotOf[0], band), cols, 0, d, cols, wait, signal, b: 0);
                        break;
                    case ElementwiseLayer elementwise:
                        builder.Vector(elementwise.Multiply ? VectorFunction.Multiply : VectorFunction.Add, r / g, 1, cols, SlotAt(slotOf[0], band), cols, 0, d, cols, wait, signal,
                            b: SlotAt(slotOf[1], band), bStride0: cols, p: 0);
                        break;
                }
            },
            (band, wait, signal) => StoreRows(builder, SlotAt(operands, band), outputDram + (long)band * rows * (outputPitch ?? c), BandRows(band), c, outputPitch ?? c, wait, signal));
        return $"vector unit, {rows} pixels per band" + (operands < inputDram.Count ? "; one operand read twice, loaded once" : "") + (outputPitch is { } pitch && pitch != c ? $"; written in place into a {pitch}-channel concatenation" : "");

        int BandRows(int band) => Math.Min(rows, output.Pixels - band * rows);
    }

    /// <summary>Concatenation by copy: each part's pixels go through the activation scratchpad into their
    /// channel slice of the output (a strided store).</summary>
    /// <param name="placed">Parts their producers already wrote into their slices (concat by placement): not copied.</param>
    public static string Concat(ProgramBuilder builder, ConcatLayer concat, IReadOnlyList<long> inputDram, long outputDram, IReadOnlySet<int>? placed = null)
    {
        placed ??= new HashSet<int>();
        if (placed.Count == concat.Parts.Count) return "by placement: every part written into its channel slice by its producer, no instructions";
        var spec = builder.Spec;
        int pixels = concat.Output.Pixels, total = concat.Output.Channels;
        int widest = concat.Parts.Max(p => p.Channels);
        int rows = LargestBand(pixels, r => 2L * r * widest <= spec.ActivationScratchpadBytes && r <= 4095);
        if (rows == 0 || widest > 65535) throw new UnsupportedException($"layer '{concat.Name}': one pixel of {widest} channels does not fit '{spec.Name}'", concat.Name);
        int bandsPerPart = (pixels + rows - 1) / rows;
        var offsets = new int[concat.Parts.Count];
        for (int p = 1; p < offsets.Length; p++) offsets[p] = offsets[p - 1] + concat.Parts[p - 1].Channels;
        var copied = Enumerable.Range(0, concat.Parts.Count).Where(p => !placed.Contains(p)).ToArray();
        Streaming.Emit(builder, bandsPerPart * copied.Length,
            (step, wait, signal) =>
            {
                var (part, first, count) = Step(step);
                int c = concat.Parts[part].Channels;
                builder.Load(MemoryKind.Activation, (step % 2) * (long)rows * widest, inputDram[part] + (long)first * c, c, count, 1, c, 0, c, 0, wait, signal);
            },
            null,
            (step, wait, signal) =>
            {
                var (part, first, count) = Step(step);
                int c = concat.Parts[part].Channels;
                StoreRows(builder, (step % 2) * (long)rows * widest, outputDram + (long)first * total + offsets[part], count, c, total, wait, signal);
            });
        return $"DMA copy, {rows} pixels per band" + (placed.Count > 0 ? $"; {placed.Count} of {concat.Parts.Count} parts written in place by their producers" : "");

        (int Part, int First, int Count) Step(int step)
        {
            int part = copied[step / bandsPerPart], first = step % bandsPerPart * rows;
            return (part, first, Math.Min(rows, pixels - first));
        }
    }

    /// <summary>Stores <paramref name="rows"/> rows of <paramref name="columns"/> bytes (consecutive in the
    /// scratchpad) to DRAM rows <paramref name="dramStride"/> apart, in pieces of at most 4095 rows.</summary>
    private static void StoreRows(ProgramBuilder builder, long sram, long dram, int rows, int columns, int dramStride, int wait, int signal)
    {
        int pieces = (rows + 4094) / 4095;
        for (int i = 0; i < pieces; i++)
        {
            int first = i * 4095, count = Math.Min(4095, rows - first);
            var (w, s) = Streaming.Tokens(i, pieces, wait, signal);
            builder.Store(MemoryKind.Activation, sram + (long)first * columns, dram + (long)first * dramStride, columns, count, 1, dramStride, 0, columns, 0, w, s);
        }
    }

    /// <summary>Pixels per vector row for an operation over <paramref name="pixels"/> consecutive pixels of
    /// <paramref name="channels"/> contiguous channels that does not depend on the channel: the divisor g of the pixel
    /// count (at most 64, g x channels within the 4095 columns) with the fewest ceil(g x channels / lanes) / g cycles
    /// per pixel.</summary>
    internal static int PixelsPerRow(NpuSpec spec, int channels, int pixels)
    {
        int lanes = spec.VectorLanes, best = 1;
        long bestRows = (channels + lanes - 1) / lanes;
        for (int g = 2; g <= Math.Min(pixels, 64) && (long)g * channels <= MaximumColumns; g++)
        {
            if (pixels % g != 0) continue;
            long rows = ((long)g * channels + lanes - 1) / lanes;
            if (rows * best < bestRows * g) (best, bestRows) = (g, rows);
        }
        return best;
    }

    private static int LargestBand(int limit, Func<int, bool> fits)
    {
        int best = 0;
        for (int r = 1; r <= limit && fits(r); r++) best = r;
        return best;
    }

    /// <summary>The band height (1..<paramref name="largest"/>) with the fewest estimated cycles for the
    /// double-buffered load -> vector -> store pipeline of <see cref="Streaming"/> over <paramref name="total"/>
    /// rows. The largest band that fits is not always best: its first load and last store do not overlap anything,
    /// so a layer of two bands (SqueezeNet's first max pool on small: 17 + 6 output rows) runs its load, vector and
    /// store work almost one after another. The estimate follows the simulator's rules without being part of it:
    /// loads and stores share the one DRAM channel (bytes / bytes per cycle, then the DRAM latency), vector
    /// instructions take rows x ceil(columns / lanes) cycles plus the pipeline depth, a load waits for the vector
    /// work two bands back, the vector work for its load and for the store two bands back. Ties go to the larger
    /// band (fewer instructions).</summary>
    /// <param name="loadBytes">DRAM bytes loaded for a band of the given rows.</param>
    /// <param name="vectorCycles">Vector unit cycles (pipeline depth included) for a band of the given rows.</param>
    /// <param name="storeBytes">DRAM bytes stored for a band of the given rows.</param>
    internal static int BalancedBand(NpuSpec spec, int total, int largest, Func<int, long> loadBytes, Func<int, long> vectorCycles, Func<int, long> storeBytes)
    {
        int best = largest;
        long bestCycles = long.MaxValue;
        for (int r = largest; r >= 1; r--)
        {
            long cycles = EstimateBands(spec, total, r, loadBytes, vectorCycles, storeBytes);
            if (cycles < bestCycles) (best, bestCycles) = (r, cycles);
        }
        return best;
    }

    internal static long EstimateBands(NpuSpec spec, int total, int rows, Func<int, long> loadBytes, Func<int, long> vectorCycles, Func<int, long> storeBytes)
    {
        int bands = (total + rows - 1) / rows;
        long Transfer(long bytes) => (bytes + spec.DramBytesPerCycle - 1) / spec.DramBytesPerCycle;
        int Rows(int band) => Math.Min(rows, total - band * rows);
        var loadEnd = new long[bands];
        var vectorEnd = new long[bands];
        var storeEnd = new long[bands];
        long dramFree = 0, loadQueue = 0;
        void Load(int band)
        {
            long start = Math.Max(loadQueue, band >= 2 ? vectorEnd[band - 2] : 0);
            long channel = Math.Max(start, dramFree);
            dramFree = channel + Transfer(loadBytes(Rows(band)));
            loadQueue = dramFree;
            loadEnd[band] = dramFree + spec.DramLatencyCycles;
        }
        Load(0);
        for (int band = 0; band < bands; band++)
        {
            long start = Math.Max(loadEnd[band], band >= 1 ? vectorEnd[band - 1] : 0);
            if (band >= 2) start = Math.Max(start, storeEnd[band - 2]);
            vectorEnd[band] = start + vectorCycles(Rows(band));
            if (band + 1 < bands) Load(band + 1);
            long storeStart = Math.Max(vectorEnd[band], band >= 1 ? storeEnd[band - 1] : 0);
            long channel = Math.Max(storeStart, dramFree);
            dramFree = channel + Transfer(storeBytes(Rows(band)));
            storeEnd[band] = dramFree + spec.DramLatencyCycles;
        }
        return storeEnd[bands - 1];
    }
}
