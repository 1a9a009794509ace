using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>One slice of a convolution's output channels computed together: on the array, at most one array's
/// columns of one group; on the vector unit (depthwise), a run of channels.</summary>
internal sealed record ConvChunk(int OutputStart, int Width, int InputStart, int InputCount);

/// <summary>How a convolution is tiled: the MAC engine, output rows per band, and blocks of chunks whose
/// weights are resident in the weight scratchpad together (the input is streamed once per block).</summary>
/// <param name="RowPairs">Output rows computed in pairs on twice the chunk's columns (<see cref="ConvPlanner.PairsRows"/>).</param>
/// <param name="ColumnPairs">Output pixels computed in horizontal pairs on twice the chunk's columns (<see cref="ConvPlanner.PairsColumns"/>).</param>
/// <param name="VectorPixels">Depthwise on the vector unit: output pixels per vector row (their channels side by side,
/// weights and per-channel parameters repeated that many times), so narrow channel counts fill the lanes.</param>
internal sealed record ConvPlan(bool OnVector, int BandRows, IReadOnlyList<IReadOnlyList<ConvChunk>> Blocks, CostEstimate Cost, bool RowPairs = false, bool ColumnPairs = false, int VectorPixels = 1)
{
    /// <summary>How many times each per-channel parameter word is repeated (the epilogue's rows hold that many pixels).</summary>
    public int ParameterCopies => ColumnPairs ? 2 : VectorPixels;

    public int MaxWidth => Blocks.SelectMany(b => b).Max(c => c.Width);

    public int BlockChannels(IReadOnlyList<ConvChunk> block) => block.Sum(c => c.Width);

    /// <summary>The array computes all <paramref name="channels"/> output channels in one weight block, so a band's whole
    /// output tile is finished at once (what a fused elementwise epilogue or a kept copy needs).</summary>
    public bool OneArrayBlock(int channels) => !OnVector && Blocks.Count == 1 && BlockChannels(Blocks[0]) == channels;

    public string Describe(ConvLayer conv) =>
        $"{(OnVector ? "vector multiply_accumulate" : "array gemm")}, {BandRows} output rows x {conv.Output.Width} per band, " +
        $"{Blocks.Sum(b => b.Count)} channel chunk(s) of <= {MaxWidth} in {Blocks.Count} weight block(s){(RowPairs ? ", output rows in pairs on 2 x " + MaxWidth + " columns" : "")}{(ColumnPairs ? ", output pixels in horizontal pairs on 2 x " + MaxWidth + " columns" : "")}{(VectorPixels > 1 ? $", {VectorPixels} pixels per vector row" : "")}; {Cost}";
}

/// <summary>One column tile of a convolution whose output rows do not fit the activation scratchpad whole: output
/// columns [<paramref name="OutputStart"/>, + Conv.Output.Width) computed by <paramref name="Conv"/>, the convolution
/// restricted to the input columns those outputs read (from <paramref name="InputStart"/>, the kernel's halo included;
/// the original padding only at the image's edges), planned by <paramref name="Plan"/>.</summary>
/// <param name="ChannelStart">Depthwise: the first of the tile's channels (the tile's convolution has only those).</param>
internal sealed record ColumnTile(int OutputStart, int InputStart, ConvLayer Conv, ConvPlan Plan, int ChannelStart = 0);

/// <summary>Cycles each resource needs (from <see cref="Tessera.Simulator.TimingModel"/>'s formulas) and DRAM
/// bytes; the estimate is the busiest resource plus the pipeline's fill and drain.</summary>
/// <summary><see cref="Latency"/> is the double-buffering bound: a band's input is loaded while the previous
/// band computes, so each band takes at least its load plus the DRAM latency.</summary>
internal sealed record CostEstimate(long Array, long Vector, long Dma, long Latency, long FillDrain, long DramBytes)
{
    public long Cycles => Math.Max(Math.Max(Array, Latency), Math.Max(Vector, Dma)) + FillDrain;

    public override string ToString() => $"estimate {Cycles} cycles (array {Array}, vector {Vector}, DMA {Dma}, load latency {Latency}, fill/drain {FillDrain}), {DramBytes} DRAM bytes";
}

/// <summary>Chooses a convolution's tiling by evaluating the cost model on every band height that fits the
/// scratchpads and accumulators (double-buffered), for each engine that can run the layer.</summary>
internal static class ConvPlanner
{
    /// <param name="activationBytes">The part of the activation scratchpad the layer's slots may use (from 0;
    /// the rest holds activations kept on chip between layers); null: all of it.</param>
    /// <param name="elementwiseOperand">The layer's output feeds an elementwise layer fused into its epilogue
    /// (<see cref="FusedElementwise"/>): two more output-sized slots for the other operand, a few parameter words.</param>
    /// <param name="weightsPreloaded">The layer's weights are loaded by earlier layers' prefetches (<see cref="WeightRing"/>):
    /// its DMA time has only its activations and parameters.</param>
    /// <param name="inputResident">The layer reads its input from the scratchpad (kept by its producer): no input
    /// loads in its DMA time or load latency.</param>
    public static ConvPlan Plan(NpuSpec spec, ConvLayer conv, long? activationBytes = null, bool elementwiseOperand = false, bool weightsPreloaded = false, bool inputResident = false)
    {
        if (spec.Dataflow != Dataflow.WeightStationary) throw new UnsupportedException($"'{spec.Name}' is output-stationary; the compiler targets weight-stationary arrays only so far", conv.Name);
        if (BandLoader.Check(conv.Input, conv.Window.Padding) is { } loadProblem) throw new UnsupportedException($"layer '{conv.Name}': {loadProblem}", conv.Name);
        var candidates = new List<ConvPlan>();
        var problems = new List<string>();
        foreach (bool onVector in conv.IsDepthwise ? new[] { false, true } : [false])
        {
            var chunks = Chunks(spec, conv, onVector);
            var blocks = Blocks(spec, conv, chunks, onVector, spec.WeightScratchpadBytes, out string? blockProblem);
            if (blocks is null)
            {
                problems.Add(blockProblem!);
                continue;
            }
            // Weights that need several blocks anyway are split into blocks of half the weight scratchpad, so each
            // block's weights load while the previous block computes (ConvLowering's prefetch), when streaming the
            // input once more per extra block costs under a quarter of the weight bytes (measured: at equal bytes, more
            // input streaming costs SqueezeNet on tiny more than the overlap gains).
            long half = spec.WeightScratchpadBytes / 2;
            if (blocks.Any(b => b.Sum(c => (long)WeightBytes(conv, c, onVector)) > half)
                && Blocks(spec, conv, chunks, onVector, half, out _) is { } halves && halves.Count > 1)
            {
                long weightBytes = chunks.Sum(c => (long)WeightBytes(conv, c, onVector));
                if (4 * (halves.Count - blocks.Count) * conv.Input.Length < weightBytes) blocks = halves;
            }
            var modes = new List<(bool Rows, bool Columns)> { (false, false) };
            if (PairsRows(spec, conv, chunks, onVector)) modes.Add((true, false));
            if (PairsColumns(spec, conv, chunks, onVector)) modes.Add((false, true));
            int vectorPixels = onVector ? VectorPixels(spec, conv, blocks) : 1;
            foreach (var (pairs, columnPairs) in modes)
            {
                for (int rows = pairs ? 2 : 1; rows <= conv.Output.Height; rows += pairs ? 2 : 1)
                {
                    var plan = new ConvPlan(onVector, rows, blocks, new CostEstimate(0, 0, 0, 0, 0, 0), pairs, columnPairs, vectorPixels);
                    if (Fits(spec, conv, plan, activationBytes ?? spec.ActivationScratchpadBytes, elementwiseOperand) is { } problem)
                    {
                        if (rows == 1) problems.Add(problem);
                        break; // larger bands only need more space
                    }
                    candidates.Add(plan with { Cost = Estimate(spec, conv, plan, weightsPreloaded, inputResident) });
                }
            }
        }
        if (candidates.Count == 0) throw new UnsupportedException($"layer '{conv.Name}' does not fit '{spec.Name}': {string.Join("; ", problems)}", conv.Name);
        return candidates.MinBy(p => (p.Cost.Cycles, -p.BandRows))!;
    }

    /// <summary>Column tiles for a convolution none of whose plans fits (one output row's input and output slots
    /// exceed the activation scratchpad, <see cref="Plan"/> throws): the output width is cut into n balanced tiles
    /// (n = 2 .. width), each tile a convolution over its input columns with the halo the kernel needs (padding kept
    /// only where a tile meets the image's edge) and planned on its own; each tile loads its input from the full rows
    /// in DRAM (a strided view) and stores its output columns into the full rows, and reloads the layer's weights.
    /// The tiling with the fewest estimated cycles (the tiles' <see cref="CostEstimate"/>s summed: fewer, wider tiles
    /// load the weights and the halo fewer times, narrower ones may afford taller bands) wins; null when no tiling fits
    /// (a single output column is still too large, or the layer is a column of pixels already).</summary>
    public static List<ColumnTile>? PlanColumnTiles(NpuSpec spec, ConvLayer conv, long? activationBytes = null)
    {
        int width = conv.Output.Width, channels = conv.Output.Channels;
        List<ColumnTile>? best = null;
        long bestCycles = long.MaxValue;
        var plans = new Dictionary<(int InputWidth, int OutputWidth, int Left, int Right, int Channels), ConvPlan?>();
        // Depthwise: channels are independent too, so the tiles may also split them (whole vector lane rows): fewer
        // channels per tile leave room for wider tiles, with less halo loaded again (PP-OCR rec's 5x5 over 480 channels).
        var channelChunks = new List<int> { channels };
        if (conv.IsDepthwise)
        {
            for (int count = 2; count <= 16; count++)
            {
                int chunk = (channels + count - 1) / count;
                chunk = (chunk + spec.VectorLanes - 1) / spec.VectorLanes * spec.VectorLanes;
                if (chunk < channelChunks[^1] && chunk >= spec.VectorLanes) channelChunks.Add(chunk);
            }
        }
        foreach (int chunk in channelChunks)
        {
            int previous = 0;
            for (int count = chunk == channels ? 2 : 1; count <= width; count++)
            {
                int tile = (width + count - 1) / count;
                if (tile == previous) continue;
                previous = tile;
                var tiles = new List<ColumnTile>();
                bool complete = true;
                for (int c0 = 0; c0 < channels && complete; c0 += chunk)
                {
                    for (int x0 = 0; x0 < width; x0 += tile)
                    {
                        if (ColumnTileOf(conv, x0, Math.Min(tile, width - x0), c0, Math.Min(chunk, channels - c0)) is not { } found)
                        {
                            complete = false;
                            break;
                        }
                        var (sub, inputStart) = found;
                        var key = (sub.Input.Width, sub.Output.Width, sub.Window.Padding.Left, sub.Window.Padding.Right, sub.Output.Channels);
                        if (!plans.TryGetValue(key, out var plan))
                        {
                            try
                            {
                                plan = Plan(spec, sub, activationBytes);
                            }
                            catch (UnsupportedException)
                            {
                                plan = null;
                            }
                            plans[key] = plan;
                        }
                        if (plan is null)
                        {
                            complete = false;
                            break;
                        }
                        tiles.Add(new ColumnTile(x0, inputStart, sub, plan, c0));
                    }
                }
                if (!complete) continue;
                long cycles = tiles.Sum(t => t.Plan.Cost.Cycles);
                if (cycles < bestCycles) (best, bestCycles) = (tiles, cycles);
            }
        }
        return best;
    }

    /// <summary>The convolution restricted to output columns [x0, x0 + columns) and, depthwise, to channels [c0, c0 +
    /// count): its input columns (the kernel's halo included) from the returned start, padding only where the window
    /// reaches past the image; null when the tile reads no real input column.</summary>
    public static (ConvLayer Conv, int InputStart)? ColumnTileOf(ConvLayer conv, int x0, int columns, int c0 = 0, int count = -1)
    {
        var w = conv.Window;
        int first = x0 * w.StrideX - w.Padding.Left, end = (x0 + columns - 1) * w.StrideX - w.Padding.Left + (w.KernelWidth - 1) * w.DilationX + 1;
        int start = Math.Max(first, 0), stop = Math.Min(end, conv.Input.Width);
        if (stop <= start) return null;
        var padding = new Padding(w.Padding.Top, start - first, w.Padding.Bottom, end - stop);
        var sub = conv with
        {
            Input = conv.Input with { Width = stop - start },
            Output = conv.Output with { Width = columns },
            Window = w with { Padding = padding },
        };
        if (count >= 0 && (c0 != 0 || count != conv.Output.Channels))
        {
            if (!conv.IsDepthwise) throw new ArgumentException("only a depthwise convolution splits its channels", nameof(count));
            sub = sub with
            {
                Input = sub.Input with { Channels = count },
                Output = sub.Output with { Channels = count },
                Groups = count,
                Weights = conv.Weights.AsSpan(c0 * w.Taps, count * w.Taps).ToArray(),
                Bias = conv.Bias.AsSpan(c0, count).ToArray(),
                Multipliers = conv.Multipliers.AsSpan(c0, count).ToArray(),
                Shifts = conv.Shifts.AsSpan(c0, count).ToArray(),
            };
        }
        return sub.Window.OutputWidth(sub.Input.Width) == columns ? (sub, start) : null;
    }

    private static List<ConvChunk> Chunks(NpuSpec spec, ConvLayer conv, bool onVector)
    {
        var chunks = new List<ConvChunk>();
        if (onVector)
        {
            // Depthwise: channels are independent; wide chunks amortise the per-row vector cost.
            int width = Math.Min(conv.Output.Channels, 4095 / spec.VectorLanes * spec.VectorLanes);
            for (int c = 0; c < conv.Output.Channels; c += width) chunks.Add(new ConvChunk(c, Math.Min(width, conv.Output.Channels - c), c, 1));
            return chunks;
        }
        int outPerGroup = conv.OutputChannelsPerGroup, inPerGroup = conv.InputChannelsPerGroup;
        // A chunk of one array's columns whose weights (taps x input channels each) exceed the weight scratchpad is
        // narrowed to as many columns as fit (PP-OCR rec's 3x3 over 320 channels on tiny: 16,384 / 2,880 bytes, 5 of 8 columns), so the layer
        // still runs, on part of the array.
        int columns = (int)Math.Clamp(spec.WeightScratchpadBytes / Math.Max(1L, (long)conv.Window.Taps * inPerGroup), 1, spec.ArrayColumns);
        for (int g = 0; g < conv.Groups; g++)
        {
            for (int n = 0; n < outPerGroup; n += columns)
            {
                chunks.Add(new ConvChunk(g * outPerGroup + n, Math.Min(columns, outPerGroup - n), g * inPerGroup, inPerGroup));
            }
        }
        return chunks;
    }

    /// <summary>Taps one gemm covers and its k: a whole kernel row (KernelWidth x channels consecutive input
    /// bytes) when the chunk reads every input channel and there is no horizontal dilation, else one tap.</summary>
    public static (int Taps, int K) TapGroup(ConvLayer conv, ConvChunk chunk) =>
        conv.Window.KernelWidth > 1 && conv.Window.DilationX == 1 && chunk.InputCount == conv.Input.Channels
            ? (conv.Window.KernelWidth, conv.Window.KernelWidth * chunk.InputCount)
            : (1, chunk.InputCount);

    /// <summary>Stacked kernel rows: a convolution with few input channels (a stem: 3x3 over 3 channels packs a kernel
    /// row into k = 9 of 32 array rows, one pass per kernel row) rewritten as a 1 x KernelWidth one, stride (1, StrideX),
    /// over a tensor of Output.Height rows whose pixels hold the KernelHeight input rows they meet side by side
    /// (KernelHeight x channels; <see cref="StackedRows"/> loads it), so one k of KernelHeight x KernelWidth x channels
    /// covers the whole kernel: 1 pass instead of 3 for 3x3x3 on 32 rows. Weights [o][kx][r][c]. Null when it would not
    /// save array passes (or the layout does not apply: groups, horizontal dilation). The input rows are loaded
    /// KernelHeight / StrideY times; the cost model weighs that against the passes saved.</summary>
    public static ConvLayer? StackRows(NpuSpec spec, ConvLayer conv)
    {
        var w = conv.Window;
        int c = conv.Input.Channels, rows = spec.ArrayRows;
        if (conv.Groups != 1 || w.KernelHeight < 2 || w.DilationX != 1 || w.KernelWidth * c > 4095 || w.Taps * c > 4095 || conv.Output.Height > 4095) return null;
        // Beyond stems (a packed kernel row that fills less than one pass of the array's rows) only where column
        // pairs cannot apply (output channels over half the array's columns): those layers keep the column-pair plan.
        if (w.KernelWidth * c >= rows && 2 * conv.Output.Channels <= spec.ArrayColumns) return null;
        long before = w.KernelHeight * ((w.KernelWidth * c + rows - 1) / rows), after = (w.Taps * c + rows - 1) / rows;
        if (after >= before) return null;
        int n = conv.Output.Channels, kh = w.KernelHeight, kw = w.KernelWidth;
        var weights = new sbyte[conv.Weights.Length];
        for (int o = 0; o < n; o++)
        for (int r = 0; r < kh; r++)
        for (int x = 0; x < kw; x++)
        for (int ci = 0; ci < c; ci++)
            weights[((long)o * kw + x) * kh * c + r * c + ci] = conv.Weight(o, r, x, ci);
        return conv with
        {
            Input = conv.Input with { Height = conv.Output.Height, Channels = kh * c },
            Window = new Window(1, kw, 1, w.StrideX, 1, 1, new Padding(0, w.Padding.Left, 0, w.Padding.Right)),
            Weights = weights,
        };
    }

    /// <summary>Row pairs: when one chunk holds every output channel and fills at most half the array's columns,
    /// output rows o and o + 1 are computed together on 2 x width columns: input row o*sy + r meets the weights of
    /// kernel row r (columns 0..width-1, output row o) and r - sy (the other half, output row o + 1), so KernelHeight
    /// + StrideY passes per pair of rows instead of 2 x KernelHeight (16->16 3x3 on a 32-column array: 4 passes of
    /// half the pixels instead of 6). Needs whole packed kernel rows, no vertical dilation, an even output height
    /// (bands are even too, so no pair reads past its band).</summary>
    public static bool PairsRows(NpuSpec spec, ConvLayer conv, IReadOnlyList<ConvChunk> chunks, bool onVector) =>
        !onVector && conv.Groups == 1 && chunks.Count == 1 && 2 * chunks[0].Width <= spec.ArrayColumns && conv.Window.KernelHeight >= 2
        && conv.Window.DilationY == 1 && conv.Output.Height % 2 == 0 && TapGroup(conv, chunks[0]).Taps == conv.Window.KernelWidth
        && PairedWeightBytes(conv, chunks[0]) <= spec.WeightScratchpadBytes;

    /// <summary>Column pairs: when one chunk holds every output channel and fills at most half the array's columns,
    /// output pixels x and x + 1 of a row are computed together on 2 x width columns: per kernel row one k of
    /// (KernelWidth + StrideX) x channels consecutive input bytes (the union of both pixels' windows) meets a tile
    /// whose first half holds the kernel row at offset 0 and the second half the kernel row shifted by StrideX (zeros
    /// elsewhere); the gemm streams every other pixel (16->16 3x3: 3 x 2 passes of half the pixels per output row
    /// instead of 3 x 2 of all of them). The accumulator rows hold two consecutive pixels' channels, so the epilogue
    /// works on 2 x width columns (the vector unit's lanes filled twice as far). Needs whole packed kernel rows, no
    /// horizontal dilation and an even output width.</summary>
    public static bool PairsColumns(NpuSpec spec, ConvLayer conv, IReadOnlyList<ConvChunk> chunks, bool onVector) =>
        !onVector && conv.Groups == 1 && chunks.Count == 1 && 2 * chunks[0].Width <= spec.ArrayColumns && conv.Window.KernelWidth >= 2
        && conv.Window.DilationX == 1 && conv.Output.Width % 2 == 0 && TapGroup(conv, chunks[0]).Taps == conv.Window.KernelWidth
        && chunks[0].Width == conv.Output.Channels && (conv.Window.KernelWidth + conv.Window.StrideX) * chunks[0].InputCount <= 4095
        && ColumnPairedWeightBytes(conv, chunks[0]) <= spec.WeightScratchpadBytes;

    public static long ColumnPairedWeightBytes(ConvLayer conv, ConvChunk chunk) =>
        (long)conv.Window.KernelHeight * (conv.Window.KernelWidth + conv.Window.StrideX) * chunk.InputCount * 2 * chunk.Width;

    public static long PairedWeightBytes(ConvLayer conv, ConvChunk chunk) =>
        (long)(conv.Window.KernelHeight + conv.Window.StrideY) * conv.Window.KernelWidth * chunk.InputCount * 2 * chunk.Width;

    /// <summary>Array passes of one chunk per band (per pair of rows when <paramref name="pairs"/>).</summary>
    public static long Passes(NpuSpec spec, ConvLayer conv, ConvChunk chunk, bool pairs, bool columnPairs = false)
    {
        if (columnPairs) return conv.Window.KernelHeight * (((conv.Window.KernelWidth + conv.Window.StrideX) * chunk.InputCount + spec.ArrayRows - 1) / spec.ArrayRows);
        var (groupTaps, groupK) = TapGroup(conv, chunk);
        long slices = (groupK + spec.ArrayRows - 1) / spec.ArrayRows;
        return pairs ? (conv.Window.KernelHeight + conv.Window.StrideY) * slices : conv.Window.Taps / groupTaps * slices;
    }

    public static int WeightBytes(ConvLayer conv, ConvChunk chunk, bool onVector) => conv.Window.Taps * chunk.Width * (onVector ? 1 : chunk.InputCount);

    public static int ParameterWords(ConvChunk chunk, int copies = 1) => 3 + 3 * copies * chunk.Width;

    /// <summary>Depthwise on the vector unit, stride 1 in x, one chunk of every channel: the number g of consecutive
    /// output pixels (dividing the output width) per vector row that costs the fewest cycles per pixel,
    /// ceil(g x channels / lanes) / g (24 channels on 32 lanes: 4 pixels in 3 cycles instead of 4); 1 otherwise.</summary>
    public static int VectorPixels(NpuSpec spec, ConvLayer conv, IReadOnlyList<IReadOnlyList<ConvChunk>> blocks)
    {
        if (blocks.Count != 1 || blocks[0].Count != 1 || conv.Window.StrideX != 1) return 1;
        var chunk = blocks[0][0];
        int lanes = spec.VectorLanes, width = conv.Output.Width;
        if (chunk.Width != conv.Output.Channels || chunk.Width != conv.Input.Channels || chunk.Width % lanes == 0) return 1;
        int best = 1;
        long bestRows = (chunk.Width + lanes - 1) / lanes;
        for (int g = 2; g <= Math.Min(width, 64) && (long)g * chunk.Width <= 4095; g++)
        {
            if (width % g != 0) continue;
            long rows = ((long)g * chunk.Width + lanes - 1) / lanes;
            if (rows * best < bestRows * g) (best, bestRows) = (g, rows);
        }
        return best;
    }

    private static List<IReadOnlyList<ConvChunk>>? Blocks(NpuSpec spec, ConvLayer conv, List<ConvChunk> chunks, bool onVector, long budget, out string? problem)
    {
        var blocks = new List<IReadOnlyList<ConvChunk>>();
        var current = new List<ConvChunk>();
        int bytes = 0;
        problem = null;
        foreach (var chunk in chunks)
        {
            int size = WeightBytes(conv, chunk, onVector);
            if (size > spec.WeightScratchpadBytes)
            {
                problem = $"one chunk's weights ({size} bytes) exceed the {spec.WeightScratchpadBytes}-byte weight scratchpad";
                return null;
            }
            if (size > budget) return null;
            if (bytes + size > budget)
            {
                blocks.Add(current);
                (current, bytes) = ([], 0);
            }
            current.Add(chunk);
            bytes += size;
        }
        blocks.Add(current);
        return blocks;
    }

    /// <summary>A plan with several weight blocks whose input is at most two bands (one per input slot), loaded from
    /// DRAM: the later blocks find every band's input still in its slot and load none (SqueezeNet's conv10, 8 blocks
    /// over one 5x5x512 input).</summary>
    public static bool ReusesInput(ConvLayer conv, ConvPlan plan, bool inputResident) =>
        !inputResident && plan.Blocks.Count > 1 && 2L * plan.BandRows >= conv.Output.Height;

    public static long InputSlot(ConvLayer conv, int rows) =>
        (long)conv.Window.InputRows(rows) * (conv.Input.Width + conv.Window.Padding.Left + conv.Window.Padding.Right) * conv.Input.Channels;

    public static long OutputSlot(ConvLayer conv, ConvPlan plan) => (long)plan.BandRows * conv.Output.Width * plan.Blocks.Max(plan.BlockChannels);

    public static long AccumulatorSlot(ConvLayer conv, ConvPlan plan) => (long)plan.BandRows * conv.Output.Width * plan.MaxWidth;

    /// <summary>Accumulator words an elementwise layer fused into the epilogue may need for its parameters.</summary>
    public const int ElementwiseParameterWords = 16;

    private static string? Fits(NpuSpec spec, ConvLayer conv, ConvPlan plan, long activationBytes, bool elementwiseOperand)
    {
        int rows = plan.BandRows;
        long activation = 2 * InputSlot(conv, rows) + (elementwiseOperand ? 4 : 2) * OutputSlot(conv, plan);
        if (activation > activationBytes) return $"{rows}-row band needs {activation} activation bytes, '{spec.Name}' has {activationBytes}";
        long parameters = plan.Blocks.Max(b => b.Sum(c => ParameterWords(c, plan.ParameterCopies))) + (elementwiseOperand ? ElementwiseParameterWords : 0);
        long accumulator = 2 * AccumulatorSlot(conv, plan) + parameters;
        if (accumulator > spec.AccumulatorEntries) return $"{rows}-row band needs {accumulator} accumulator entries, '{spec.Name}' has {spec.AccumulatorEntries}";
        if (conv.Output.Width > 4095 || rows > 4095) return "output rows exceed 4095 pixels";
        long paddedRow = (conv.Input.Width + conv.Window.Padding.Left + conv.Window.Padding.Right) * (long)conv.Input.Channels;
        if ((long)conv.Window.StrideX * conv.Input.Channels > 65535 || conv.Window.StrideY * paddedRow > 4194303) return "strides exceed the gemm's stride fields";
        return null;
    }

    private static CostEstimate Estimate(NpuSpec spec, ConvLayer conv, ConvPlan plan, bool weightsPreloaded, bool inputResident)
    {
        long array = 0, vector = 0, bytes = 0, latency = 0;
        int lanes = spec.VectorLanes, taps = conv.Window.Taps, width = conv.Output.Width;
        long lastStep = 0;
        bool reuse = ReusesInput(conv, plan, inputResident);
        foreach (var block in plan.Blocks)
        {
            bool inputThere = inputResident || (reuse && !ReferenceEquals(block, plan.Blocks[0]));
            if (!weightsPreloaded) bytes += plan.RowPairs ? PairedWeightBytes(conv, block[0]) : plan.ColumnPairs ? ColumnPairedWeightBytes(conv, block[0]) : block.Sum(c => WeightBytes(conv, c, plan.OnVector)) * (long)plan.VectorPixels;
            bytes += block.Sum(c => ParameterWords(c, plan.ParameterCopies)) * 4L;
            for (int row = 0; row < conv.Output.Height; row += plan.BandRows)
            {
                int rows = Math.Min(plan.BandRows, conv.Output.Height - row);
                long pixels = (long)rows * width;
                long inputBytes = inputThere ? 0 : (long)conv.Window.InputRows(rows) * conv.Input.Width * conv.Input.Channels;
                bytes += inputBytes + pixels * plan.BlockChannels(block);
                long engineBefore = plan.OnVector ? vector : array;
                foreach (var chunk in block)
                {
                    int g = plan.OnVector ? plan.VectorPixels : 1;
                    long perRow = (g * chunk.Width + lanes - 1) / lanes;
                    long epilogue = plan.ColumnPairs
                        ? 2 * (pixels / 2) * ((2 * chunk.Width + lanes - 1) / lanes) + 2 * spec.VectorPipelineCycles
                        : 2 * (pixels / g) * perRow + 2 * spec.VectorPipelineCycles;
                    if (plan.OnVector)
                    {
                        vector += taps * (pixels / g) * perRow + epilogue;
                        lastStep = taps * (pixels / g) * perRow + epilogue;
                    }
                    else
                    {
                        long passes = Passes(spec, conv, chunk, plan.RowPairs, plan.ColumnPairs);
                        long streamed = plan.RowPairs || plan.ColumnPairs ? pixels / 2 : pixels;
                        array += passes * Math.Max(streamed, spec.ArrayRows);
                        vector += epilogue;
                        lastStep = passes * Math.Max(streamed, spec.ArrayRows) + spec.ArrayRows + spec.ArrayColumns + epilogue;
                    }
                }
                long engine = (plan.OnVector ? vector : array) - engineBefore;
                latency += inputThere ? engine : Math.Max(engine, inputBytes / spec.DramBytesPerCycle + spec.DramLatencyCycles);
            }
        }
        long dma = (bytes + spec.DramBytesPerCycle - 1) / spec.DramBytesPerCycle;
        long firstLoad = inputResident ? 0 : InputSlot(conv, plan.BandRows) / spec.DramBytesPerCycle;
        long lastStore = (long)plan.BandRows * width * plan.BlockChannels(plan.Blocks[^1]) / spec.DramBytesPerCycle;
        long perBlock = 2L * spec.DramLatencyCycles + firstLoad + lastStep + lastStore;
        long fillDrain = plan.Blocks.Count * perBlock - (reuse ? (plan.Blocks.Count - 1) * firstLoad : 0);
        if (!plan.OnVector && plan.Blocks.Count > 1)
        {
            // Blocks are separated by a barrier: each block's start and drain hold up the array, while the DMA channel
            // keeps loading later blocks' weights (WeightRing) through them. The later blocks' fill/drain is serial with
            // the array, not with the DMA time: a weight-bound layer (SqueezeNet's conv10, 8 blocks) then prefers bands
            // that fill the array's rows over short ones that keep it busy as long as the DMA.
            array += fillDrain - perBlock;
            fillDrain = perBlock;
        }
        return new CostEstimate(array, vector, dma, latency, fillDrain, bytes);
    }
}
