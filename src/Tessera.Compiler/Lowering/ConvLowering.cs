using Tessera.Compiler.Layers;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>A convolution's output kept in the activation scratchpad as the next convolution's padded input
/// (the layout <see cref="BandLoader"/> would load: rows of left pad + width + right pad pixels, top and bottom
/// pad rows, pad pixels holding the consumer's input zero point).</summary>
/// <param name="AlsoStore">The tensor has other readers too: the producer stores it as usual and, per band, copies
/// the stored tile into this layout as well (single weight block, array engine).</param>
internal sealed record ResidentOutput(long Base, int Height, int Width, int Channels, Padding Padding, int PadValue, bool AlsoStore = false)
{
    public int PaddedWidth => Width + Padding.Left + Padding.Right;

    public long Bytes => (long)(Height + Padding.Top + Padding.Bottom) * PaddedWidth * Channels;

    /// <summary>Address of pixel (y, x), channel 0.</summary>
    public long At(int y, int x) => Base + ((long)(y + Padding.Top) * PaddedWidth + x + Padding.Left) * Channels;

    /// <summary>Splits <paramref name="count"/> consecutive pixels from <paramref name="first"/> (row-major) into
    /// runs that are contiguous in the padded layout: (offset from first, pixels, address).</summary>
    public List<(long Offset, int Count, long At)> Pieces(long first, int count)
    {
        var pieces = new List<(long, int, long)>();
        if (Padding.Left + Padding.Right == 0)
        {
            pieces.Add((0, count, Base + (Padding.Top * (long)Width + first) * Channels));
            return pieces;
        }
        for (long p = first; p < first + count;)
        {
            int y = (int)(p / Width), x = (int)(p % Width);
            int run = (int)Math.Min(Width - x, first + count - p);
            pieces.Add((p - first, run, At(y, x)));
            p += run;
        }
        return pieces;
    }

    /// <summary>Whether the layout has pad pixels (<see cref="FillPadding"/> emits loads).</summary>
    public bool HasPadding => Padding.Top + Padding.Left + Padding.Bottom + Padding.Right > 0;

    /// <summary>Writes the pad value into the border pixels (DMA from a Channels-byte constant read with zero
    /// DRAM strides), before the producer's first gemm so every later access is ordered after it, or sending
    /// <paramref name="signal"/> with its last load (the producer's first vector instruction then waits for it).</summary>
    public void FillPadding(ProgramBuilder builder, int signal = 0)
    {
        var (top, left, bottom, right) = (Padding.Top, Padding.Left, Padding.Bottom, Padding.Right);
        if (top + left + bottom + right == 0) return;
        long constant = builder.Constant($"pad {PadValue} x {Channels}", Enumerable.Repeat((byte)(sbyte)PadValue, Channels).ToArray());
        long rowBytes = (long)PaddedWidth * Channels;
        var fills = new List<(long Sram, int Pixels, int Rows)>();
        if (top > 0) fills.Add((Base, PaddedWidth, top));
        if (bottom > 0) fills.Add((Base + (long)(top + Height) * rowBytes, PaddedWidth, bottom));
        if (left > 0) fills.Add((Base + top * rowBytes, left, Height));
        if (right > 0) fills.Add((Base + top * rowBytes + (long)(left + Width) * Channels, right, Height));
        for (int i = 0; i < fills.Count; i++)
        {
            var (sram, pixels, rows) = fills[i];
            builder.Load(MemoryKind.Activation, sram, constant, Channels, pixels, rows, 0, 0, Channels, rowBytes, signal: i == fills.Count - 1 ? signal : 0);
        }
    }
}

/// <summary>An elementwise Add/Mul fused into a convolution's epilogue: the convolution's output (read only by
/// the elementwise layer) is one operand, <paramref name="OtherDram"/> the other (already in DRAM); per band the
/// other operand's tile is loaded, the vector unit combines it with the requantized tile in place, and the band
/// store writes the elementwise layer's output. Single weight block, array engine only.</summary>
/// <param name="OtherResident">The other operand is kept in the activation scratchpad (unpadded, written by an
/// earlier convolution): each band's tile is read there, nothing is loaded.</param>
/// <param name="Self">Both operands are the convolution's output (a concatenation part's rescale, x + x with the
/// concatenation's scale): the requantized tile is combined with itself, nothing is loaded.</param>
/// <param name="OtherKept">The other operand is kept in the activation scratchpad in another layer's padded input
/// layout (a block's input that a depthwise layer also reads from there): each band's pixels are read there in runs
/// contiguous in that layout, nothing is loaded.</param>
internal sealed record FusedElementwise(ElementwiseLayer Layer, long OtherDram, bool ConvIsLeft, long? OtherResident = null, bool Self = false, ResidentOutput? OtherKept = null)
{
    /// <summary>Whether each band loads the other operand's tile (double-buffered, load &lt;-&gt; vector tokens).</summary>
    public bool LoadsOperand => OtherResident is null && OtherKept is null && !Self;
}

/// <summary>Emits a convolution as a pipelined band loop. Per weight block: its weights (laid out in the
/// constant section exactly as the array consumes them: chunk, tap, k-slice, k x n row-major) and its bias and
/// requantization parameters are loaded once; then per band of output rows the padded input rows are loaded
/// (double-buffered), each chunk runs one gemm per tap and k-slice on the implicit-im2col view of the band
/// (or, depthwise, one multiply_accumulate per tap), and the vector unit adds the bias and requantizes into
/// an int8 output tile (double-buffered) that one store writes to DRAM.
/// Token protocol (all counts balanced within the layer): load -> engine per band (input ready); engine ->
/// load when a band's input slot is free; compute -> vector per chunk (accumulators ready); vector -> compute
/// when an accumulator slot is free; vector -> store per band; store -> vector when an output slot is free.
/// Fused (see <see cref="ResidentOutput"/>): a resident input replaces the band loads (the parameter load is the
/// engine's go); a resident output replaces the stores (each block's last vector instruction signals the load
/// queue, the barrier). A weight block that fits half the weight scratchpad prefetches the next one into the
/// other half.</summary>
internal static class ConvLowering
{
    /// <summary>Writes a band's output tile (rows x output width pixels of a block's channels, consecutive in the
    /// scratchpad) somewhere other than the conv's own HWC output: the first store waits for the vector queue and
    /// the last sends <paramref name="signal"/>.</summary>
    public delegate void BandStore(long sram, int firstRow, int rows, int blockStart, int blockChannels, int signal);

    public static ConvPlan Emit(ProgramBuilder builder, ConvLayer conv, ConvPlan plan, long inputDram, long outputDram, BandStore? store = null,
        long? residentInput = null, ResidentOutput? residentOutput = null, FusedElementwise? elementwise = null, Subsample? subsample = null,
        bool signalConsumer = false, bool goFromProducer = false, (long Dram, int Pitch)? storeAlso = null, StackedRows? stacked = null, (long Pixel, long Row)? inputView = null)
    {
        if (storeAlso is not null && (store is not null || residentOutput is { AlsoStore: false })) throw new InvalidOperationException($"layer '{conv.Name}': a second store needs the layer's own stores");
        if (goFromProducer && (residentInput is null || plan.OnVector)) throw new InvalidOperationException($"layer '{conv.Name}': only an array convolution reading a kept input starts on its producer's token");
        if (signalConsumer && residentOutput is null) throw new InvalidOperationException($"layer '{conv.Name}': only a kept output has a consumer to signal");
        if (elementwise is not null && !plan.OneArrayBlock(conv.Output.Channels))
        {
            throw new InvalidOperationException($"layer '{conv.Name}': an elementwise layer fuses only into a single-block array convolution");
        }
        bool keepCopy = residentOutput is { AlsoStore: true };
        if (keepCopy && (!plan.OneArrayBlock(conv.Output.Channels) || store is not null))
        {
            throw new InvalidOperationException($"layer '{conv.Name}': a stored output keeps a copy in the scratchpad only from a single-block array convolution");
        }
        bool fromScratchpad = residentInput is not null, toScratchpad = residentOutput is not null && !keepCopy;
        // A kept copy written directly: the epilogue's last instruction (the requantize, or the fused elementwise
        // layer) writes the band's finished pixels into the next layer's padded input layout and the band's store
        // reads them there, so no vector copy of the tile (one vector pass per output element less).
        // A kept output without a store (no copy either) with a fused elementwise layer: the same, without the store.
        // Without a store the kept layout may have a wider pixel pitch (a channel slice of a kept concatenation).
        bool direct = (keepCopy || (toScratchpad && elementwise is not null)) && (residentOutput!.Channels == conv.Output.Channels || toScratchpad) && storeAlso is null
            && !plan.RowPairs && !plan.ColumnPairs && plan.VectorPixels == 1;
        if (toScratchpad && elementwise is not null && !direct)
        {
            throw new InvalidOperationException($"layer '{conv.Name}': a fused elementwise layer writes a kept output only directly (same channels, no pairs)");
        }
        var spec = builder.Spec;
        var loader = new BandLoader(builder, conv.Input, inputDram, conv.Window.Padding, conv.Input.ZeroPoint, subsample, stacked, inputView);
        var (window, input, output) = (conv.Window, conv.Input, conv.Output);
        int c = input.Channels, width = output.Width;
        long inSlot = ConvPlanner.InputSlot(conv, plan.BandRows), outSlot = ConvPlanner.OutputSlot(conv, plan);
        long accSlot = ConvPlanner.AccumulatorSlot(conv, plan);
        int engine = plan.OnVector ? Q.Vector : Q.Compute;
        int bands = (output.Height + plan.BandRows - 1) / plan.BandRows;
        var blockConstants = plan.Blocks.Select(b => Constants(conv, b, plan.OnVector, plan.RowPairs, plan.ColumnPairs, plan.VectorPixels)).ToList();
        // Depthwise on the vector unit: gp consecutive pixels per vector row (1 for every other plan).
        int gp = plan.VectorPixels;
        // Parameters before the barrier: when the first block's weights are already in the weight scratchpad (loaded
        // by earlier prefetches), its bias and requantization parameters (and a fused elementwise layer's) load while
        // the previous layer still runs, into accumulator words that layer does not use (above this layer's two
        // accumulator slots); the engine's go is then a sync on the barrier instead of a load with its DRAM latency.
        int parameterWords = blockConstants.Max(b => b.Parameters.Length) + (elementwise?.Layer.Parameters.Length ?? 0);
        // Array plans take a third accumulator slot when it fits: a chunk's results leave the array rows + columns - 2
        // cycles after its last pass, so with two slots the gemm of step s + 2 waited for the epilogue of step s, which
        // starts only then (the array idled between steps whenever the epilogue is as long as a step's passes).
        int accSlots = !plan.OnVector && 3 * accSlot + parameterWords <= spec.AccumulatorEntries ? 3 : 2;
        long parameterBase = accSlots * accSlot;
        long? earlyBase = null;
        if (builder.AccumulatorInUse is { } inUse)
        {
            var candidates = new SortedSet<long> { parameterBase };
            foreach (var (_, end) in inUse) if (end > parameterBase) candidates.Add(end);
            foreach (long at in candidates)
            {
                if (at + parameterWords > spec.AccumulatorEntries) break;
                if (inUse.All(r => r.End <= at || at + parameterWords <= r.Start))
                {
                    earlyBase = at;
                    break;
                }
            }
        }
        var ring = builder.Ring;
        var first = new WeightBlock($"{conv.Name} weights block 0", blockConstants[0].Weights);
        bool weightsThere = ring is not null ? ring.NextMissing == 0
            : builder.Prefetched is { } p0 && p0.Block.Key == first.Key && p0.Block.Bytes.AsSpan().SequenceEqual(first.Bytes);
        // A resident input is ordered by the producer's token (its last vector instruction signals the array), not
        // by the barrier, so only then may the early parameter load be the engine's go.
        bool early = earlyBase is not null && weightsThere && (!fromScratchpad || goFromProducer);
        if (early) parameterBase = earlyBase!.Value;
        // The kept output's pad pixels: with a resident input and the array, after the engine's go (the first vector
        // instruction waits for them), otherwise before it.
        bool deferPadding = fromScratchpad && !plan.OnVector && residentOutput is { HasPadding: true };
        // The first vector instruction waits for a load-queue token sent after the barrier (the pad pixels, or a sync
        // when the engine started on its producer's token), so this layer's end is ordered after the previous one's.
        bool vectorAfterBarrier = deferPadding || (early && fromScratchpad);
        // At most two bands (one per input slot) and several weight blocks: the slots still hold every band's input
        // when a later block starts, so only the first block loads it.
        bool reuseInput = ConvPlanner.ReusesInput(conv, plan, fromScratchpad);
        for (int blockIndex = 0; blockIndex < plan.Blocks.Count; blockIndex++)
        {
            // The input is in the scratchpad for this block (kept by its producer, or loaded by the first block).
            bool inputThere = fromScratchpad || (reuseInput && blockIndex > 0);
            var block = plan.Blocks[blockIndex];
            int blockChannels = plan.BlockChannels(block);
            var (weights, parameters, weightAt, parameterAt) = blockConstants[blockIndex];
            var current = new WeightBlock($"{conv.Name} weights block {blockIndex}", weights);
            long parameterDram = builder.Constant($"{conv.Name} parameters block {blockIndex}", parameters);
            long elementwiseParameters = parameterBase + parameters.Length;
            void LoadParameters(int signal)
            {
                builder.LoadBlock(MemoryKind.Accumulator, parameterBase, parameterDram, parameters.Length, signal: signal);
                if (elementwise is not null)
                {
                    builder.LoadBlock(MemoryKind.Accumulator, elementwiseParameters, builder.Constant($"{elementwise.Layer.Name} parameters", elementwise.Layer.Parameters), elementwise.Layer.Parameters.Length);
                }
            }
            bool earlyBlock = early && blockIndex == 0;
            if (earlyBlock) builder.BeforeBarrier(() => LoadParameters(Q.If(fromScratchpad, engine)));
            // Weights already loaded by the previous block's prefetch sit in one half of the weight scratchpad;
            // otherwise they load now, after the barrier, from address 0.
            long weightBase = 0;
            if (ring is not null) weightBase = ring.Begin(builder, current);
            else if (builder.Prefetched is { } pre && pre.Block.Key == current.Key && pre.Block.Bytes.AsSpan().SequenceEqual(weights)) weightBase = pre.Base;
            else builder.LoadBlock(MemoryKind.Weight, 0, builder.WeightConstant(current), weights.Length);
            builder.Prefetched = null;
            // The kept output's pad pixels load before the parameters, whose load (or the first band's) is the
            // engine's go, so everything that touches the buffer later is ordered after them.
            if (residentOutput is not null && blockIndex == 0 && !deferPadding) residentOutput.FillPadding(builder);
            // A resident input has no band loads: the parameters' load is the engine's go (it comes after the
            // producer's last vector instruction, which wrote the input); parameters loaded early leave a sync.
            if (!earlyBlock) LoadParameters(Q.If(inputThere, engine));
            if (deferPadding && blockIndex == 0) residentOutput!.FillPadding(builder, Q.Vector);
            else if (vectorAfterBarrier && blockIndex == 0) builder.Go(Q.Vector);
            // Cross-block (and cross-layer) weight prefetch: when this block and the next fit half the weight
            // scratchpad each, the next block's weights load into the other half right after this block's first
            // input band (so after the barrier that ends every use of that half), overlapping this block's compute.
            var next = blockIndex + 1 < plan.Blocks.Count ? new WeightBlock($"{conv.Name} weights block {blockIndex + 1}", blockConstants[blockIndex + 1].Weights) : builder.NextLayerWeights?.Invoke();
            long half = spec.WeightScratchpadBytes / 2;
            bool prefetch = ring is null && next is not null && weights.Length <= half && next.Bytes.Length <= half;
            bool hasBias = BiasWords(conv, block).Any(b => b != 0);
            int steps = bands * block.Count, step = 0, prefetched = 0;
            for (int band = 0; band < bands; band++)
            {
                int firstRow = band * plan.BandRows, rows = Math.Min(plan.BandRows, output.Height - firstRow);
                long inAt = fromScratchpad ? residentInput!.Value + (long)firstRow * window.StrideY * loader.RowBytes : (band % 2) * inSlot;
                long outAt = 2 * inSlot + (band % 2) * outSlot;
                bool lastBand = band == bands - 1;
                if (!inputThere) loader.Emit(inAt, firstRow * window.StrideY, window.InputRows(rows), Q.If(band >= 2, engine), engine);
                if (ring is not null)
                {
                    // Later blocks' weights in the time the DMA channel is free while this band computes (its
                    // store, the other operand's load and the next band's load taken out); the next block's in
                    // full by the last band, so it does not wait after the barrier.
                    long budget = PrefetchGap(spec, conv, plan, block, band, bands, fromScratchpad, toScratchpad, elementwise is { LoadsOperand: true }) * spec.DramBytesPerCycle;
                    ring.Prefetch(builder, lastBand ? Math.Max(budget, ring.NextMissing) : budget);
                }
                else if (prefetch && prefetched < next!.Bytes.Length)
                {
                    // Interleaved with the band loads (the load queue is in order, so one big prefetch would hold
                    // back this block's next input bands): after band i's load, as many bytes as the DMA channel
                    // can move while band i computes and band i + 1 loads; the rest after the last band's load.
                    long nextBase = weightBase == 0 ? half : 0;
                    int piece = fromScratchpad || lastBand ? next.Bytes.Length - prefetched
                        : (int)Math.Min(next.Bytes.Length - prefetched, PrefetchGap(spec, conv, plan, block, band, bands) * spec.DramBytesPerCycle);
                    if (piece > 0)
                    {
                        builder.LoadBlock(MemoryKind.Weight, nextBase + prefetched, builder.WeightConstant(next) + prefetched, piece);
                        prefetched += piece;
                    }
                    if (prefetched == next.Bytes.Length) builder.Prefetched = (next, nextBase);
                }
                long operandAt = elementwise?.OtherResident is long residentOperand
                    ? residentOperand + (long)firstRow * width * output.Channels
                    : 2 * inSlot + 2 * outSlot + (band % 2) * outSlot;
                if (elementwise is { Self: true }) operandAt = outAt;
                if (elementwise is { LoadsOperand: true })
                {
                    // The other operand's tile for this band (slot band % 2, free once the vector unit used it two
                    // bands ago).
                    builder.Load(MemoryKind.Activation, operandAt, elementwise.OtherDram + (long)firstRow * width * output.Channels, output.Channels, width, rows,
                        output.Channels, (long)width * output.Channels, output.Channels, (long)width * output.Channels, Q.If(band >= 2, Q.Vector), Q.Vector);
                }
                int columnOffset = 0;
                for (int j = 0; j < block.Count; j++, step++)
                {
                    var chunk = block[j];
                    long accAt = (step % accSlots) * accSlot;
                    bool firstChunk = j == 0, lastChunk = j == block.Count - 1;
                    // The engine's last instruction of a band frees the input slot for band + 2.
                    int releaseInput = Q.If(!fromScratchpad && lastChunk && band + 2 < bands, Q.Load);
                    int inputReady = Q.If(firstChunk && (!inputThere || band == 0), Q.Load);
                    int firstVectorWait = Q.If(!toScratchpad && firstChunk && band >= 2, Q.Store) | Q.If(vectorAfterBarrier && blockIndex == 0 && band == 0 && j == 0, Q.Load);
                    // The producer's last vector instruction (it wrote this input) lets the first gemm go.
                    int producerReady = Q.If(goFromProducer && blockIndex == 0 && step == 0, Q.Vector);
                    if (plan.OnVector)
                    {
                        for (int tap = 0; tap < window.Taps; tap++)
                        {
                            int ky = tap / window.KernelWidth, kx = tap % window.KernelWidth;
                            long a = inAt + ((long)ky * window.DilationY * loader.PaddedWidth + kx * window.DilationX) * c + chunk.InputStart;
                            bool lastTap = tap == window.Taps - 1;
                            builder.Vector(VectorFunction.MultiplyAccumulate, width / gp, rows, gp * chunk.Width, a, gp * window.StrideX * c, window.StrideY * loader.RowBytes,
                                accAt, gp * chunk.Width, wait: tap == 0 ? inputReady | firstVectorWait : 0,
                                signal: lastTap ? releaseInput : 0, b: weightBase + weightAt[j] + tap * gp * chunk.Width, accumulate: tap > 0);
                        }
                        firstVectorWait = 0;
                    }
                    else
                    {
                        // Packed kernel rows: with every input channel in the chunk and no horizontal dilation, a
                        // kernel row's taps read KernelWidth x channels consecutive bytes, so they are one k of
                        // that length (the weights are already tap-major), filling more array rows per pass.
                        var (groupTaps, groupK) = ConvPlanner.TapGroup(conv, chunk);
                        int kSlices = (groupK + spec.ArrayRows - 1) / spec.ArrayRows, pass = 0, passes = window.Taps / groupTaps * kSlices;
                        long weightTile = weightBase + weightAt[j];
                        if (plan.RowPairs)
                        {
                            // Pairs of output rows on 2 x width columns: per input row offset r one gemm per k-slice over
                            // rows / 2 pairs (input stride two output rows), accumulator rows of 2 x width (pair-major).
                            int n2 = 2 * chunk.Width, offsets = window.KernelHeight + window.StrideY;
                            passes = offsets * kSlices;
                            for (int r = 0; r < offsets; r++)
                            {
                                for (int slice = 0; slice < kSlices; slice++, pass++)
                                {
                                    int k0 = slice * spec.ArrayRows, k = Math.Min(spec.ArrayRows, groupK - k0);
                                    long a = inAt + r * loader.RowBytes + chunk.InputStart + k0;
                                    int wait = pass == 0 ? inputReady | Q.If(step >= accSlots, Q.Vector) | producerReady : 0;
                                    int signal = pass == passes - 1 ? Q.Vector | releaseInput : 0;
                                    builder.Gemm(pass > 0, width, rows / 2, k, n2, a, window.StrideX * c, 2L * window.StrideY * loader.RowBytes,
                                        weightTile, n2, accAt, n2, wait, signal);
                                    weightTile += (long)k * n2;
                                }
                            }
                        }
                        if (plan.ColumnPairs)
                        {
                            // Horizontal pairs of output pixels on 2 x width columns: per kernel row one gemm per k-slice
                            // of the (KernelWidth + StrideX) x channels bytes both pixels' windows span, over width / 2
                            // pairs (input stride two output pixels) of every band row; accumulator rows of 2 x width
                            // are two consecutive pixels' channels (the plain layout).
                            int n2 = 2 * chunk.Width, pairK = (window.KernelWidth + window.StrideX) * chunk.InputCount;
                            int pairSlices = (pairK + spec.ArrayRows - 1) / spec.ArrayRows;
                            passes = window.KernelHeight * pairSlices;
                            for (int ky = 0; ky < window.KernelHeight; ky++)
                            {
                                for (int slice = 0; slice < pairSlices; slice++, pass++)
                                {
                                    int k0 = slice * spec.ArrayRows, k = Math.Min(spec.ArrayRows, pairK - k0);
                                    long a = inAt + (long)ky * window.DilationY * loader.RowBytes + chunk.InputStart + k0;
                                    int wait = pass == 0 ? inputReady | Q.If(step >= accSlots, Q.Vector) | producerReady : 0;
                                    int signal = pass == passes - 1 ? Q.Vector | releaseInput : 0;
                                    builder.Gemm(pass > 0, width / 2, rows, k, n2, a, 2L * window.StrideX * c, window.StrideY * loader.RowBytes,
                                        weightTile, n2, accAt, n2, wait, signal);
                                    weightTile += (long)k * n2;
                                }
                            }
                        }
                        for (int tap = 0; tap < (plan.RowPairs || plan.ColumnPairs ? 0 : window.Taps); tap += groupTaps)
                        {
                            int ky = tap / window.KernelWidth, kx = tap % window.KernelWidth;
                            for (int slice = 0; slice < kSlices; slice++, pass++)
                            {
                                int k0 = slice * spec.ArrayRows, k = Math.Min(spec.ArrayRows, groupK - k0);
                                long a = inAt + ((long)ky * window.DilationY * loader.PaddedWidth + kx * window.DilationX) * c + chunk.InputStart + k0;
                                int wait = pass == 0 ? inputReady | Q.If(step >= accSlots, Q.Vector) | producerReady : 0;
                                int signal = pass == passes - 1 ? Q.Vector | releaseInput : 0;
                                builder.Gemm(pass > 0, width, rows, k, chunk.Width, a, window.StrideX * c, window.StrideY * loader.RowBytes,
                                    weightTile, chunk.Width, accAt, chunk.Width, wait, signal);
                                weightTile += (long)k * chunk.Width;
                            }
                        }
                        firstVectorWait |= Q.Compute;
                    }
                    int releaseAccumulator = Q.If(!plan.OnVector && step + accSlots < steps, Q.Compute);
                    // Written into the scratchpad for the next layer: no store; the layer's last vector instruction
                    // of each weight block is the barrier (it lets the next block's or layer's first load go).
                    int toStore = toScratchpad && elementwise is not null ? 0
                        : toScratchpad ? Q.If(lastChunk && lastBand, Q.Load) | Q.If(signalConsumer && lastChunk && lastBand && blockIndex == plan.Blocks.Count - 1, Q.Compute)
                        : Q.If(lastChunk && elementwise is null && !keepCopy, Q.Store);
                    long p = parameterBase + parameterAt[j];
                    if (plan.RowPairs)
                    {
                        // One bias + requantize per output row: row dy of the band is half dy % 2 of pair dy / 2.
                        var epilogue = new List<Action<int, int>>();
                        int n2 = 2 * chunk.Width;
                        for (int dy = 0; dy < rows; dy++)
                        {
                            long rowAcc = accAt + (long)(dy / 2) * width * n2 + (dy % 2) * chunk.Width;
                            if (hasBias) epilogue.Add((w, sg) => builder.Vector(VectorFunction.Bias, width, 1, chunk.Width, rowAcc, n2, 0, rowAcc, n2, wait: w, signal: sg, b: p));
                            if (toScratchpad)
                            {
                                foreach (var (offset, count, at) in residentOutput!.Pieces((long)(firstRow + dy) * width, width))
                                {
                                    epilogue.Add((w, sg) => builder.Vector(VectorFunction.Requantize, count, 1, chunk.Width, rowAcc + offset * n2, n2, 0, at + chunk.OutputStart, residentOutput.Channels,
                                        wait: w, signal: sg, p: p + chunk.Width, perChannel: true));
                                }
                            }
                            else
                            {
                                long d = outAt + (long)dy * width * blockChannels + columnOffset;
                                epilogue.Add((w, sg) => builder.Vector(VectorFunction.Requantize, width, 1, chunk.Width, rowAcc, n2, 0, d, blockChannels,
                                    wait: w, signal: sg, p: p + chunk.Width, perChannel: true));
                            }
                        }
                        for (int i = 0; i < epilogue.Count; i++)
                        {
                            var (w, sg) = Streaming.Tokens(i, epilogue.Count, firstVectorWait, releaseAccumulator | toStore);
                            epilogue[i](w, sg);
                        }
                    }
                    else if (plan.ColumnPairs)
                    {
                        // Two pixels per vector row: bias and requantization parameters are duplicated (2 x width).
                        int n2 = 2 * chunk.Width, pairsPerRow = width / 2;
                        var epilogue = new List<Action<int, int>>();
                        if (hasBias) epilogue.Add((w, sg) => builder.Vector(VectorFunction.Bias, pairsPerRow, rows, n2, accAt, n2, (long)width * chunk.Width, accAt, n2, wait: w, signal: sg, b: p));
                        if (toScratchpad)
                        {
                            foreach (var (offset, count, at) in residentOutput!.Pieces((long)firstRow * width, rows * width))
                            {
                                epilogue.Add((w, sg) => builder.Vector(VectorFunction.Requantize, count / 2, 1, n2, accAt + offset * chunk.Width, n2, 0, at + chunk.OutputStart, 2 * residentOutput.Channels,
                                    wait: w, signal: sg, p: p + n2, perChannel: true));
                            }
                        }
                        else
                        {
                            epilogue.Add((w, sg) => builder.Vector(VectorFunction.Requantize, pairsPerRow, rows, n2, accAt, n2, (long)width * chunk.Width, outAt + columnOffset, n2,
                                wait: w, signal: sg, p: p + n2, perChannel: true));
                        }
                        for (int i = 0; i < epilogue.Count; i++)
                        {
                            var (w, sg) = Streaming.Tokens(i, epilogue.Count, firstVectorWait, releaseAccumulator | toStore);
                            epilogue[i](w, sg);
                        }
                    }
                    else if (hasBias)
                    {
                        builder.Vector(VectorFunction.Bias, width / gp, rows, gp * chunk.Width, accAt, gp * chunk.Width, (long)width * chunk.Width, accAt, gp * chunk.Width,
                            wait: firstVectorWait, b: p);
                        firstVectorWait = 0;
                    }
                    if (plan.RowPairs || plan.ColumnPairs)
                    {
                    }
                    else if (elementwise is null && (toScratchpad || direct))
                    {
                        // Directly into the kept layout: the last chunk's last piece lets the band's store go (and, in the
                        // last band, the consumer's first gemm).
                        int done = toScratchpad ? toStore : Q.If(lastChunk, Q.Store | Q.If(signalConsumer && lastBand, Q.Compute));
                        var pieces = residentOutput!.Pieces((long)firstRow * width, rows * width);
                        for (int i = 0; i < pieces.Count; i++)
                        {
                            var (offset, count, at) = pieces[i];
                            var (w, sgl) = Streaming.Tokens(i, pieces.Count, firstVectorWait, releaseAccumulator | done);
                            builder.Vector(VectorFunction.Requantize, count / gp, 1, gp * chunk.Width, accAt + offset * chunk.Width, gp * chunk.Width, 0, at + chunk.OutputStart, gp * residentOutput.Channels,
                                wait: w, signal: sgl, p: p + gp * chunk.Width, perChannel: true);
                        }
                    }
                    else
                    {
                        builder.Vector(VectorFunction.Requantize, width / gp, rows, gp * chunk.Width, accAt, gp * chunk.Width, (long)width * chunk.Width, outAt + columnOffset, gp * blockChannels,
                            wait: firstVectorWait, signal: releaseAccumulator | toStore, p: p + gp * chunk.Width, perChannel: true);
                    }
                    columnOffset += chunk.Width;
                }
                if (elementwise is not null)
                {
                    // Combine the requantized tile (every channel of the band) with the other operand, in place or (direct)
                    // into the kept layout, in runs of pixels contiguous in every layout involved. The tiles are
                    // contiguous and the parameters per tensor: rows of g pixels fill the lanes.
                    var runs = Runs(direct ? residentOutput : null, elementwise.OtherKept, (long)firstRow * width, rows * width);
                    int finished = toScratchpad ? Q.If(lastBand, Q.Load) : Q.If(!keepCopy || direct, Q.Store);
                    for (int i = 0; i < runs.Count; i++)
                    {
                        var (offset, count) = runs[i];
                        long pixel = (long)firstRow * width + offset, skip = offset * output.Channels;
                        // One pixel per vector row when the kept layout's pixel pitch is not the tile's.
                        int g = direct && residentOutput!.Channels != output.Channels ? 1 : PixelsPerVectorRow(spec, output.Channels, count);
                        long pitch = (long)g * output.Channels, destinationPitch = direct ? (long)g * residentOutput!.Channels : pitch;
                        long other = elementwise.OtherKept is { } okept ? okept.At((int)(pixel / okept.Width), (int)(pixel % okept.Width)) : operandAt + skip;
                        long d = direct ? residentOutput!.At((int)(pixel / residentOutput.Width), (int)(pixel % residentOutput.Width)) : outAt + skip;
                        var (a, b) = elementwise.ConvIsLeft ? (outAt + skip, other) : (other, outAt + skip);
                        var (w, sgl) = Streaming.Tokens(i, runs.Count, Q.If(elementwise.LoadsOperand, Q.Load),
                            finished | Q.If(elementwise.LoadsOperand && band + 2 < bands, Q.Load) | Q.If(direct && signalConsumer && lastBand, Q.Compute));
                        builder.Vector(elementwise.Layer.Multiply ? VectorFunction.Multiply : VectorFunction.Add, count / g, 1, g * output.Channels, a, pitch, 0, d, destinationPitch,
                            wait: w, signal: sgl, b: b, bStride0: pitch, bStride1: 0, p: elementwiseParameters);
                    }
                }
                if (keepCopy && !direct)
                {
                    // The band's finished tile also into the next layer's padded input layout; the last copy lets
                    // the store go, so the layer's last store (the barrier) comes after every copy.
                    var pieces = residentOutput!.Pieces((long)firstRow * width, rows * width);
                    for (int i = 0; i < pieces.Count; i++)
                    {
                        var (offset, count, at) = pieces[i];
                        int g = residentOutput.Channels == output.Channels ? PixelsPerVectorRow(spec, output.Channels, count) : 1;
                        builder.Vector(VectorFunction.Copy, count / g, 1, g * output.Channels, outAt + offset * output.Channels, g * output.Channels, 0, at, g * residentOutput.Channels,
                            signal: Q.If(i == pieces.Count - 1, Q.Store | Q.If(signalConsumer && lastBand, Q.Compute)));
                    }
                }
                if (toScratchpad) continue;
                long dram = outputDram + (long)firstRow * width * output.Channels + block[0].OutputStart;
                int storeSignal = Q.If(band + 2 < bands, Q.Vector) | Q.If(lastBand, Q.Load);
                // With a second store (the tile also into a concatenation's channel slice) that one sends the signals.
                int mainSignal = storeAlso is null ? storeSignal : 0;
                if (direct)
                {
                    // From the kept layout: one store per run of pixels contiguous there (at most 65,535 bytes each).
                    var runs = new List<(long Offset, int Count, long At)>();
                    int most = Math.Max(1, 65535 / output.Channels);
                    foreach (var (offset, count, at) in residentOutput!.Pieces((long)firstRow * width, rows * width))
                    {
                        for (int q = 0; q < count; q += most) runs.Add((offset + q, Math.Min(most, count - q), at + (long)q * output.Channels));
                    }
                    for (int i = 0; i < runs.Count; i++)
                    {
                        var (offset, count, at) = runs[i];
                        var (w, sgl) = Streaming.Tokens(i, runs.Count, Q.Vector, mainSignal);
                        builder.Store(MemoryKind.Activation, at, dram + offset * output.Channels, count * output.Channels, 1, 1, 0, 0, 0, 0, w, sgl);
                    }
                }
                else if (store is not null)
                {
                    store(outAt, firstRow, rows, block[0].OutputStart, blockChannels, mainSignal);
                }
                else if (blockChannels == output.Channels && (long)width * output.Channels <= 65535)
                {
                    builder.Store(MemoryKind.Activation, outAt, dram, width * output.Channels, rows, 1, (long)width * output.Channels, 0, (long)width * blockChannels, 0, Q.Vector, mainSignal);
                }
                else
                {
                    builder.Store(MemoryKind.Activation, outAt, dram, blockChannels, width, rows, output.Channels, (long)width * output.Channels, blockChannels, (long)width * blockChannels, Q.Vector, mainSignal);
                }
                if (storeAlso is { } also)
                {
                    builder.Store(MemoryKind.Activation, outAt, also.Dram + (long)firstRow * width * also.Pitch + block[0].OutputStart, blockChannels, width, rows, also.Pitch, (long)width * also.Pitch,
                        blockChannels, (long)width * blockChannels, 0, storeSignal);
                }
            }
            builder.EndLayer(toScratchpad ? QueueKind.Vector : QueueKind.Store);
        }
        builder.AccumulatorInUse = [(0, accSlots * accSlot), (parameterBase, parameterBase + parameterWords)];
        return plan;
    }

    /// <summary>Pixels per vector row for an elementwise operation over <paramref name="pixels"/> consecutive pixels of
    /// <paramref name="channels"/> contiguous channels whose parameters do not depend on the channel: the divisor of the
    /// pixel count with the fewest ceil(g x channels / lanes) / g cycles per pixel (<see cref="VectorLowering.PixelsPerRow"/>).</summary>
    internal static int PixelsPerVectorRow(NpuSpec spec, int channels, int pixels) => VectorLowering.PixelsPerRow(spec, channels, pixels);

    /// <summary>Splits <paramref name="count"/> consecutive pixels from <paramref name="first"/> (row-major) into runs
    /// contiguous in each given kept layout (a layout with left/right padding breaks at its image rows):
    /// (offset from first, pixels).</summary>
    internal static List<(long Offset, int Count)> Runs(ResidentOutput? one, ResidentOutput? other, long first, int count)
    {
        var runs = new List<(long, int)>();
        for (long p = first; p < first + count;)
        {
            long end = first + count;
            foreach (var layout in new[] { one, other })
            {
                if (layout is null || layout.Padding.Left + layout.Padding.Right == 0) continue;
                end = Math.Min(end, (p / layout.Width + 1) * layout.Width);
            }
            runs.Add((p - first, (int)(end - p)));
            p = end;
        }
        return runs;
    }

    /// <summary>Cycles the DMA channel is free while band <paramref name="band"/> computes: the engine's time for the
    /// band (the cost model's formulas) less the next band's input load.</summary>
    private static long PrefetchGap(NpuSpec spec, ConvLayer conv, ConvPlan plan, IReadOnlyList<ConvChunk> block, int band, int bands, bool fromScratchpad, bool toScratchpad, bool operand)
    {
        long gap = PrefetchGap(spec, conv, plan, block, band, bands);
        if (fromScratchpad) gap += band + 1 < bands ? ConvPlanner.InputSlot(conv, Math.Min(plan.BandRows, conv.Output.Height - (band + 1) * plan.BandRows)) / spec.DramBytesPerCycle : 0;
        // The DMA channel also stores this band's output (and loads the fused elementwise operand's tile).
        long tile = (long)Math.Min(plan.BandRows, conv.Output.Height - band * plan.BandRows) * conv.Output.Width * plan.BlockChannels(block);
        return Math.Max(0, gap - ((toScratchpad ? 0 : 1) + (operand ? 1 : 0)) * tile / spec.DramBytesPerCycle);
    }

    private static long PrefetchGap(NpuSpec spec, ConvLayer conv, ConvPlan plan, IReadOnlyList<ConvChunk> block, int band, int bands)
    {
        int rows = Math.Min(plan.BandRows, conv.Output.Height - band * plan.BandRows);
        long pixels = (long)rows * conv.Output.Width, engine = 0;
        foreach (var chunk in block)
        {
            if (plan.OnVector)
            {
                engine += conv.Window.Taps * (pixels / plan.VectorPixels) * ((plan.VectorPixels * chunk.Width + spec.VectorLanes - 1) / spec.VectorLanes);
                continue;
            }
            engine += ConvPlanner.Passes(spec, conv, chunk, plan.RowPairs, plan.ColumnPairs) * Math.Max(plan.RowPairs || plan.ColumnPairs ? pixels / 2 : pixels, spec.ArrayRows);
        }
        int nextRows = band + 1 < bands ? Math.Min(plan.BandRows, conv.Output.Height - (band + 1) * plan.BandRows) : 0;
        long nextLoad = nextRows == 0 ? 0 : ConvPlanner.InputSlot(conv, nextRows) / spec.DramBytesPerCycle;
        return Math.Max(0, engine - nextLoad);
    }

    /// <summary>Bias with the input zero point folded in: sum (x - z) w + b = sum x w + (b - z sum w), exact in
    /// wrapping int32 arithmetic, so padding with z contributes nothing and the array needs no offsets.</summary>
    private static IEnumerable<int> BiasWords(ConvLayer conv, IReadOnlyList<ConvChunk> block)
    {
        foreach (var chunk in block)
        {
            for (int n = 0; n < chunk.Width; n++)
            {
                int oc = chunk.OutputStart + n, sum = 0;
                for (int ky = 0; ky < conv.Window.KernelHeight; ky++)
                for (int kx = 0; kx < conv.Window.KernelWidth; kx++)
                for (int ic = 0; ic < conv.InputChannelsPerGroup; ic++) sum += conv.Weight(oc, ky, kx, ic);
                yield return unchecked(conv.Bias[oc] - conv.Input.ZeroPoint * sum);
            }
        }
    }

    internal static (byte[] Weights, int[] Parameters, long[] WeightAt, long[] ParameterAt) Constants(ConvLayer conv, IReadOnlyList<ConvChunk> block, bool onVector, bool rowPairs = false, bool columnPairs = false,
        int vectorPixels = 1)
    {
        var weights = new List<byte>();
        var parameters = new List<int>();
        var weightAt = new long[block.Count];
        var parameterAt = new long[block.Count];
        var bias = BiasWords(conv, block).ToArray();
        int biasIndex = 0;
        var window = conv.Window;
        for (int j = 0; j < block.Count; j++)
        {
            var chunk = block[j];
            weightAt[j] = weights.Count;
            parameterAt[j] = parameters.Count;
            if (rowPairs)
            {
                // Per input row offset r: a packed kernel row (kx, ic) x 2 x width tile, columns [kernel row r for
                // output row o | kernel row r - sy for output row o + 1], zeros where that kernel row does not exist.
                for (int r = 0; r < window.KernelHeight + window.StrideY; r++)
                for (int kx = 0; kx < window.KernelWidth; kx++)
                for (int ic = 0; ic < chunk.InputCount; ic++)
                for (int half = 0; half < 2; half++)
                {
                    int ky = r - half * window.StrideY;
                    for (int n = 0; n < chunk.Width; n++) weights.Add(ky >= 0 && ky < window.KernelHeight ? (byte)conv.Weight(chunk.OutputStart + n, ky, kx, ic) : (byte)0);
                }
            }
            if (columnPairs)
            {
                // Per kernel row: the (KernelWidth + StrideX) x channels bytes two neighbouring pixels' windows span
                // x 2 x width, columns [kernel row at offset 0 for pixel x | shifted by StrideX for pixel x + 1].
                for (int ky = 0; ky < window.KernelHeight; ky++)
                for (int q = 0; q < window.KernelWidth + window.StrideX; q++)
                for (int ic = 0; ic < chunk.InputCount; ic++)
                for (int half = 0; half < 2; half++)
                {
                    int kx = q - half * window.StrideX;
                    for (int n = 0; n < chunk.Width; n++) weights.Add(kx >= 0 && kx < window.KernelWidth ? (byte)conv.Weight(chunk.OutputStart + n, ky, kx, ic) : (byte)0);
                }
            }
            for (int tap = 0; tap < (rowPairs || columnPairs ? 0 : window.Taps); tap++)
            {
                int ky = tap / window.KernelWidth, kx = tap % window.KernelWidth;
                if (onVector)
                {
                    // One row vector per tap: weight of channel c at column c (multiply_accumulate's b[c]), repeated
                    // for each pixel of a vector row.
                    for (int r = 0; r < vectorPixels; r++)
                    for (int n = 0; n < chunk.Width; n++) weights.Add((byte)conv.Weight(chunk.OutputStart + n, ky, kx, 0));
                    continue;
                }
                for (int ic = 0; ic < chunk.InputCount; ic++)
                {
                    for (int n = 0; n < chunk.Width; n++) weights.Add((byte)conv.Weight(chunk.OutputStart + n, ky, kx, ic));
                }
            }
            // Column pairs: every per-channel word twice (the epilogue's rows are two pixels); depthwise on the
            // vector unit, once per pixel of a vector row.
            int copies = columnPairs ? 2 : vectorPixels;
            var chunkBias = bias.AsSpan(biasIndex, chunk.Width).ToArray();
            biasIndex += chunk.Width;
            for (int r = 0; r < copies; r++) parameters.AddRange(chunkBias);
            parameters.AddRange([conv.Output.ZeroPoint, conv.Minimum, conv.Maximum]);
            for (int r = 0; r < copies; r++)
            for (int n = 0; n < chunk.Width; n++) parameters.Add(conv.Multipliers[chunk.OutputStart + n]);
            for (int r = 0; r < copies; r++)
            for (int n = 0; n < chunk.Width; n++) parameters.Add(conv.Shifts[chunk.OutputStart + n]);
        }
        return (weights.ToArray(), parameters.ToArray(), weightAt, parameterAt);
    }
}
