using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>Activation x activation batched MatMul on the array, the right operand loaded as weights. The array
/// multiplies raw int8 values, so the zero points are expanded: sum (a - za)(b - zb) = sum a b + sum a (-zb)
/// + sum (-za) b + K za zb. The row term is extra gemm passes of the band against a resident weight tile filled
/// with -zb; the column term is a gemm of a resident activation row filled with -za against the right operand
/// (one extra row per band, added to every row by the vector unit's bias); K za zb + bias is a constant per
/// column. -128 zero points need +128, outside int8, so that value is split into 64 + 64 (two passes or
/// rows). All in wrapping int32 arithmetic, exact wherever the integer executor's int64 check passes.
/// Per band (rows of one batch) the left rows and the right matrix (once when all batches share it) are loaded
/// into double-buffered slots, with the token protocol of the convolution lowering.</summary>
internal static class MatMulLowering
{
    private sealed record Chunk(int Start, int Width);

    public static (string, long) Emit(ProgramBuilder builder, MatMulLayer layer, long leftDram, long rightDram, long outputDram)
    {
        var spec = builder.Spec;
        if (spec.Dataflow != Dataflow.WeightStationary) throw new UnsupportedException($"'{spec.Name}' is output-stationary; the compiler targets weight-stationary arrays only so far", layer.Name);
        int batches = layer.Batches, m = layer.Rows, k = layer.Depth, n = layer.Columns;
        int zl = layer.Left.ZeroPoint, zr = layer.Right.ZeroPoint;
        int[] rowParts = Parts(-zr), columnParts = Parts(-zl);
        int extra = columnParts.Length;
        bool shared = layer.Right.Height == 1 && batches > 1;
        var chunks = new List<Chunk>();
        for (int start = 0; start < n; start += spec.ArrayColumns) chunks.Add(new Chunk(start, Math.Min(spec.ArrayColumns, n - start)));
        int maxWidth = chunks.Max(c => c.Width), kSlices = (k + spec.ArrayRows - 1) / spec.ArrayRows;
        int tileRows = Math.Min(k, spec.ArrayRows);
        var tileValues = rowParts.Distinct().ToArray();
        long tileBytes = (long)tileRows * maxWidth, rightBytes = (long)k * n, tilesAt = 2 * rightBytes;
        if (tilesAt + tileValues.Length * tileBytes > spec.WeightScratchpadBytes)
        {
            throw new UnsupportedException($"layer '{layer.Name}': two {k}x{n} right operands do not fit the {spec.WeightScratchpadBytes}-byte weight scratchpad of '{spec.Name}'", layer.Name);
        }
        if (k > 4095 || n > 4095 || m > 4095) throw new UnsupportedException($"layer '{layer.Name}': a {m}x{k} by {k}x{n} product exceeds the ISA's 4095 rows/columns", layer.Name);
        int parameterWords = chunks.Sum(c => 3 + 3 * c.Width);
        long constRows = extra * (long)k;
        var candidates = new List<(int Rows, CostEstimate Cost)>();
        for (int r = 1; r <= m; r++)
        {
            if (constRows + 2L * r * k + 2L * r * n > spec.ActivationScratchpadBytes || 2L * (r + extra) * maxWidth + parameterWords > spec.AccumulatorEntries) break;
            candidates.Add((r, Estimate(spec, layer, r, chunks, kSlices, rowParts.Length, extra, shared)));
        }
        if (candidates.Count == 0) throw new UnsupportedException($"layer '{layer.Name}': one row of a {k}x{n} product does not fit '{spec.Name}'", layer.Name);
        var (rows, cost) = candidates.MinBy(c => (c.Cost.Cycles, -c.Rows));

        // Constants: per chunk the column constant (bias + K za zb), then the requantization block.
        var parameters = new List<int>();
        var parameterAt = new long[chunks.Count];
        for (int j = 0; j < chunks.Count; j++)
        {
            var chunk = chunks[j];
            parameterAt[j] = parameters.Count;
            for (int c = 0; c < chunk.Width; c++) parameters.Add(unchecked(layer.Bias[chunk.Start + c] + k * zl * zr));
            parameters.AddRange([layer.Output.ZeroPoint, layer.Minimum, layer.Maximum]);
            for (int c = 0; c < chunk.Width; c++) parameters.Add(layer.Multipliers[layer.Multipliers.Length == 1 ? 0 : chunk.Start + c]);
            for (int c = 0; c < chunk.Width; c++) parameters.Add(layer.Shifts[layer.Shifts.Length == 1 ? 0 : chunk.Start + c]);
        }
        long inSlot = (long)rows * k, outSlot = (long)rows * n, accSlot = (long)(rows + extra) * maxWidth, parameterBase = 2 * accSlot;
        long inputBase = constRows, outputBase = constRows + 2 * inSlot;
        builder.LoadBlock(MemoryKind.Accumulator, parameterBase, builder.Constant($"{layer.Name} parameters", [.. parameters]), parameters.Count);
        if (extra > 0)
        {
            var rowsOfMinusZero = columnParts.SelectMany(v => Enumerable.Repeat((byte)(sbyte)v, k)).ToArray();
            builder.LoadBlock(MemoryKind.Activation, 0, builder.Constant($"{layer.Name} column-term rows", rowsOfMinusZero), rowsOfMinusZero.Length);
        }
        var tileAt = new Dictionary<int, long>();
        foreach (int v in tileValues)
        {
            tileAt[v] = tilesAt + tileAt.Count * tileBytes;
            builder.LoadBlock(MemoryKind.Weight, tileAt[v], builder.Constant($"{layer.Name} row-term tile {v}", Enumerable.Repeat((byte)(sbyte)v, (int)tileBytes).ToArray()), (int)tileBytes);
        }
        if (shared) LoadRight(builder, layer, rightDram, 0, 0, 0, 0);

        int bandsPerBatch = (m + rows - 1) / rows, bands = batches * bandsPerBatch, steps = bands * chunks.Count, step = 0;
        for (int band = 0; band < bands; band++)
        {
            int batch = band / bandsPerBatch, first = band % bandsPerBatch * rows, r = Math.Min(rows, m - first);
            long inAt = inputBase + (band % 2) * inSlot, outAt = outputBase + (band % 2) * outSlot, rightAt = shared ? 0 : (band % 2) * rightBytes;
            int loadWait = Q.If(band >= 2, Q.Compute);
            builder.Load(MemoryKind.Activation, inAt, leftDram + ((long)batch * m + first) * k, k, r, 1, k, 0, k, 0, loadWait, shared ? Q.Compute : 0);
            if (!shared) LoadRight(builder, layer, rightDram, rightAt, batch, 0, Q.Compute);
            for (int j = 0; j < chunks.Count; j++, step++)
            {
                var chunk = chunks[j];
                long accAt = (step % 2) * accSlot;
                bool firstChunk = j == 0, lastChunk = j == chunks.Count - 1;
                int passes = kSlices * (1 + rowParts.Length + (extra > 0 ? 1 : 0)), pass = 0;
                int releaseInput = Q.If(lastChunk && band + 2 < bands, Q.Load);
                void Gemm(bool accumulate, int rowsIn, int kk, long input, long weight, int weightStride, long output)
                {
                    int wait = pass == 0 ? Q.If(firstChunk, Q.Load) | Q.If(step >= 2, Q.Vector) : 0;
                    int signal = pass == passes - 1 ? Q.Vector | releaseInput : 0;
                    builder.Gemm(accumulate, rowsIn, 1, kk, chunk.Width, input, k, 0, weight, weightStride, output, chunk.Width, wait, signal);
                    pass++;
                }
                for (int s = 0; s < kSlices; s++)
                {
                    int k0 = s * spec.ArrayRows, kk = Math.Min(spec.ArrayRows, k - k0);
                    Gemm(s > 0, r, kk, inAt + k0, rightAt + (long)k0 * n + chunk.Start, n, accAt);
                    foreach (int v in rowParts) Gemm(true, r, kk, inAt + k0, tileAt[v], maxWidth, accAt);
                    if (extra > 0) Gemm(s > 0, extra, kk, k0, rightAt + (long)k0 * n + chunk.Start, n, accAt + (long)r * chunk.Width);
                }
                long p = parameterBase + parameterAt[j], termRow = accAt + (long)r * chunk.Width;
                int vectorWait = Q.Compute | Q.If(firstChunk && band >= 2, Q.Store);
                if (extra > 0)
                {
                    if (extra == 2) builder.Vector(VectorFunction.Bias, 1, 1, chunk.Width, termRow, 0, 0, termRow, 0, wait: vectorWait, b: termRow + chunk.Width);
                    builder.Vector(VectorFunction.Bias, 1, 1, chunk.Width, termRow, 0, 0, termRow, 0, wait: extra == 2 ? 0 : vectorWait, b: p);
                    builder.Vector(VectorFunction.Bias, r, 1, chunk.Width, accAt, chunk.Width, 0, accAt, chunk.Width, b: termRow);
                    vectorWait = 0;
                }
                else if (parameters.Skip((int)parameterAt[j]).Take(chunk.Width).Any(v => v != 0))
                {
                    builder.Vector(VectorFunction.Bias, r, 1, chunk.Width, accAt, chunk.Width, 0, accAt, chunk.Width, wait: vectorWait, b: p);
                    vectorWait = 0;
                }
                int signalVector = Q.If(step + 2 < steps, Q.Compute) | Q.If(lastChunk, Q.Store);
                builder.Vector(VectorFunction.Requantize, r, 1, chunk.Width, accAt, chunk.Width, 0, outAt + chunk.Start, n, wait: vectorWait, signal: signalVector,
                    p: p + chunk.Width, perChannel: true);
            }
            BroadcastLowering.StoreRows(builder, outAt, outputDram + ((long)batch * m + first) * n, r, 1, n, Q.Vector, Q.If(band + 2 < bands, Q.Vector) | Q.If(band == bands - 1, Q.Load));
        }
        builder.EndLayer();
        return ($"array gemm, right operand as weights{(layer.TransposeRight ? " (DMA-transposed)" : "")}, {rows} rows per band, {chunks.Count} column chunk(s), " +
            $"{rowParts.Length} row-term and {extra} column-term pass(es) for the zero points; {cost}", cost.Cycles);
    }

    /// <summary>-zero as int8 values summing to it: one value, or 64 + 64 for +128 (zero point -128).</summary>
    private static int[] Parts(int value) => value == 0 ? [] : value == 128 ? [64, 64] : [value];

    /// <summary>Right matrix of a batch as k rows of n weights (weight_stride n); a transposed one (n rows of k in
    /// DRAM) is read column by column.</summary>
    private static void LoadRight(ProgramBuilder builder, MatMulLayer layer, long rightDram, long sram, int batch, int wait, int signal)
    {
        int k = layer.Depth, n = layer.Columns;
        long dram = rightDram + (layer.Right.Height == 1 ? 0 : (long)batch * k * n);
        if (layer.TransposeRight) builder.Load(MemoryKind.Weight, sram, dram, 1, n, k, k, 1, 1, n, wait, signal);
        else builder.Load(MemoryKind.Weight, sram, dram, n, k, 1, n, 0, n, 0, wait, signal);
    }

    private static CostEstimate Estimate(NpuSpec spec, MatMulLayer layer, int rows, List<Chunk> chunks, int kSlices, int rowParts, int extra, bool shared)
    {
        int m = layer.Rows, k = layer.Depth, n = layer.Columns, lanes = spec.VectorLanes;
        long array = 0, vector = 0, latency = 0, bytes = shared ? (long)k * n : 0, lastStep = 0;
        for (int batch = 0; batch < layer.Batches; batch++)
        for (int first = 0; first < m; first += rows)
        {
            int r = Math.Min(rows, m - first);
            long load = (long)r * k + (shared ? 0 : (long)k * n), engine = 0;
            bytes += load + (long)r * n;
            foreach (var chunk in chunks)
            {
                long perRow = (chunk.Width + lanes - 1) / lanes;
                long passes = kSlices * (1L + rowParts) * Math.Max(r, spec.ArrayRows) + (extra > 0 ? kSlices * (long)Math.Max(extra, spec.ArrayRows) : 0);
                long epilogue = (extra > 0 ? r + 2 : 1) * perRow + r * perRow + 2 * spec.VectorPipelineCycles;
                array += passes;
                vector += epilogue;
                engine += passes;
                lastStep = passes + spec.ArrayRows + spec.ArrayColumns + epilogue;
            }
            latency += Math.Max(engine, load / spec.DramBytesPerCycle + spec.DramLatencyCycles);
        }
        long dma = (bytes + spec.DramBytesPerCycle - 1) / spec.DramBytesPerCycle;
        long fillDrain = 2L * spec.DramLatencyCycles + ((long)rows * k + (shared ? 0 : (long)k * n)) / spec.DramBytesPerCycle + lastStep + (long)rows * n / spec.DramBytesPerCycle;
        return new CostEstimate(array, vector, dma, latency, fillDrain, bytes);
    }
}
