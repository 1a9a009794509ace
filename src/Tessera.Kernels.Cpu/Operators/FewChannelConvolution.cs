using System.Runtime.CompilerServices;
using Tessera.Kernels.Cpu.Gemm;
using Tessera.Kernels.Cpu.Simd;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Direct convolution for few input channels (stems such as BlazeFace's 3-channel 5x5 stride 2), where
/// im2col + GEMM spends more time packing a short K (channels * kh * kw) than multiplying. Each input channel is
/// copied once into a zero-padded scratch split into <c>strideX</c> column phases (as in
/// <see cref="DepthwiseConvolution"/>), so every tap of an output row is a contiguous vector load at any stride,
/// dilation and padding. The kernel keeps four output channels x two output vectors in registers: per tap two
/// input loads and four weight broadcasts feed eight FMAs. Bias, FusedConv's residual and the activation run as
/// <see cref="Epilogue"/> on each finished output row (same order as the GEMM epilogue).</summary>
internal static unsafe class FewChannelConvolution
{
    public const int MaxInputChannels = 4;

    private const int Block = 4;

    /// <summary>Most output channels this kernel takes: above it im2col + GEMM amortizes the packing over enough rows.
    /// With 512-bit vectors, SqueezeNet's 3 -> 64 3x3 stride-2 stem: 1.04-1.08 ms here, 0.87 ms on im2col + GEMM (`--profile`,
    /// 1 thread, load 19); BlazeFace's 3 -> 24 5x5 stems are 3x faster here. With 256-bit vectors (AVX2, no AVX-512) the
    /// implicit-convolution kernel (Avx2Taps) takes SqueezeNet's stem in 0.95-1.6 ms against 1.25-1.3 ms here
    /// (`--profile`, 1 thread, interleaved, load 3), so the limit is 32 on both.</summary>
    public static int MaxOutputChannels => 32;

    /// <summary>Whether this kernel takes the convolution: one group of at most <see cref="MaxInputChannels"/>
    /// input channels and <see cref="MaxOutputChannels"/> output channels, output rows of at least one vector, and
    /// vector hardware.</summary>
    public static bool Applies(int group, int groupIn, int outChannels, Plane p) =>
        group == 1 && groupIn <= MaxInputChannels && outChannels <= MaxOutputChannels && p.OutWidth >= 8 && p.OutHeight > 0
        && (Float512.IsAccelerated || Float256.IsAccelerated);

    public static void Run(float[] x, int batch, int channels, Plane p, float[] w, int outChannels, float[]? bias, float[]? residual,
        Activation activation, float[] y, int threads)
    {
        if (Float512.IsAccelerated) Run<Float512>(x, batch, channels, p, w, outChannels, bias, residual, activation, y, threads);
        else Run<Float256>(x, batch, channels, p, w, outChannels, bias, residual, activation, y, threads);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TVector>(float[] x, int batch, int channels, Plane p, float[] w, int outChannels, float[]? bias, float[]? residual,
        Activation activation, float[] y, int threads)
        where TVector : unmanaged, IFloatVector<TVector>
    {
        int lanes = TVector.Count;
        int kh = p.KernelHeight, kw = p.KernelWidth, sx = p.StrideX;
        int taps = channels * kh * kw, blocks = (outChannels + Block - 1) / Block;
        int window = (kh - 1) * p.DilationY + 1;
        int roundedOut = (p.OutWidth + lanes - 1) / lanes * lanes;
        int rowLength = roundedOut + (kw - 1) * p.DilationX / sx + 1;
        // Output rows per band: the band's padded input rows, in every channel and phase, fill at most BandFloats (or one
        // output row's window), so the scratch is filled and read while in L2 rather than written for the whole image first.
        int bandOut = Math.Clamp((BandFloats / (channels * sx * rowLength) - window) / p.StrideY + 1, 1, p.OutHeight);
        int bandRows = (bandOut - 1) * p.StrideY + window;
        int phaseLength = bandRows * rowLength, scratchLength = channels * sx * phaseLength;
        int inPlane = p.Height * p.Width, outPlane = p.OutHeight * p.OutWidth;

        // Weights as [block][tap][4 channels] (channels past the last one zero), tap = (c, ky, kx).
        var packed = System.Buffers.ArrayPool<float>.Shared.Rent(blocks * taps * Block);
        var offsets = new int[taps];
        try
        {
            packed.AsSpan(0, blocks * taps * Block).Clear();
            for (int m = 0; m < outChannels; m++)
            {
                for (int t = 0; t < taps; t++) packed[(m / Block * taps + t) * Block + m % Block] = w[m * taps + t];
            }
            // Tap (c, ky, kx) of output (oy, ox) reads phase (kx*dx) % sx of channel c at band row (oy - band start)*sy + ky*dy,
            // position ox + (kx*dx) / sx.
            for (int c = 0, t = 0; c < channels; c++)
            {
                for (int ky = 0; ky < kh; ky++)
                {
                    for (int kx = 0; kx < kw; kx++, t++)
                    {
                        int column = kx * p.DilationX;
                        offsets[t] = (c * sx + column % sx) * phaseLength + ky * p.DilationY * rowLength + column / sx;
                    }
                }
            }
            int chunks = Math.Min(p.OutHeight, threads <= 1 ? 1 : threads * 4);
            for (int n = 0; n < batch; n++)
            {
                var input = x.AsMemory(n * channels * inPlane, channels * inPlane);
                int outOrigin = n * outChannels * outPlane;
                CpuParallel.For(chunks, threads, chunk =>
                {
                    var scratch = System.Buffers.ArrayPool<float>.Shared.Rent(scratchLength);
                    fixed (float* source = scratch, weights = packed, target = y, biasPointer = bias, residualPointer = residual)
                    fixed (int* tapOffsets = offsets)
                    {
                        var epilogue = new Epilogue
                        {
                            RowBias = biasPointer,
                            Residual = residualPointer is null ? null : residualPointer + outOrigin,
                            ResidualStride = outPlane,
                            Activation = activation,
                        };
                        float* tail = stackalloc float[Block * 3 * 16];
                        for (int band = p.OutHeight * chunk / chunks, end = p.OutHeight * (chunk + 1) / chunks; band < end; band += bandOut)
                        {
                            int bandEnd = Math.Min(end, band + bandOut);
                            FillPhases(input.Span, channels, p, band * p.StrideY, (bandEnd - 1 - band) * p.StrideY + window, phaseLength, rowLength, scratch);
                            for (int oy = band; oy < bandEnd; oy++)
                            {
                                float* rowSource = source + (oy - band) * p.StrideY * rowLength;
                                for (int block = 0; block < blocks; block++)
                                {
                                    int m0 = block * Block, count = Math.Min(Block, outChannels - m0);
                                    float* output = target + outOrigin + (long)m0 * outPlane + oy * p.OutWidth;
                                    Row<TVector>(rowSource, tapOffsets, taps, weights + block * taps * Block, p.OutWidth, roundedOut, output, outPlane, count, tail);
                                    epilogue.Apply(output, outPlane, m0, count, oy * p.OutWidth, p.OutWidth);
                                }
                            }
                        }
                    }
                    System.Buffers.ArrayPool<float>.Shared.Return(scratch);
                });
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>Floats of phase scratch per band (64 KB): with the output rows it stays in L2.</summary>
    private const int BandFloats = 16384;

    /// <summary>The band of padded rows from <paramref name="firstRow"/>: phase q of channel c, band row r, position j
    /// holds x[c, firstRow + r - padTop, j*sx + q - padLeft], or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillPhases(ReadOnlySpan<float> x, int channels, Plane p, int firstRow, int rows, int phaseLength, int rowLength, float[] scratch)
    {
        int sx = p.StrideX;
        for (int c = 0; c < channels; c++)
        {
            for (int r = 0; r < rows; r++)
            {
                int rowStart = c * sx * phaseLength + r * rowLength;
                // Each phase row is cleared just before it is filled, while it is in cache.
                for (int q = 0; q < sx; q++) scratch.AsSpan(rowStart + q * phaseLength, rowLength).Clear();
                int iy = firstRow + r - p.PadTop;
                if ((uint)iy >= (uint)p.Height) continue;
                var source = x.Slice((c * p.Height + iy) * p.Width, p.Width);
                if (sx == 2)
                {
                    // Each phase is every other input column from its first one: the vector de-interleave.
                    for (int q = 0; q < 2; q++)
                    {
                        int first = ((q - p.PadLeft) % 2 + 2) % 2, start = (first + p.PadLeft) / 2;
                        int count = Math.Min((p.Width - first + 1) / 2, rowLength - start);
                        if (count > 0) PatchPacker.EvenElements(source, first, scratch.AsSpan(rowStart + q * phaseLength + start, count));
                    }
                    continue;
                }
                if (sx == 1)
                {
                    int from = Math.Max(0, -p.PadLeft), to = Math.Min(p.Width, rowLength - p.PadLeft);
                    if (to > from) source[from..to].CopyTo(scratch.AsSpan(rowStart + from + p.PadLeft, to - from));
                    continue;
                }
                // Phase q takes input columns ix = q - padLeft + j*sx (padded column j*sx + q): a strided gather,
                // no division per element.
                for (int q = 0; q < sx; q++)
                {
                    int ix = q - p.PadLeft, position = 0;
                    if (ix < 0)
                    {
                        int skip = (-ix + sx - 1) / sx;
                        ix += skip * sx;
                        position = skip;
                    }
                    var phase = scratch.AsSpan(rowStart + q * phaseLength, rowLength);
                    for (; ix < p.Width && position < rowLength; ix += sx, position++) phase[position] = source[ix];
                }
            }
        }
    }

    /// <summary>One output row of up to four channels: sums over every tap, two vectors of columns at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<TVector>(float* source, int* offsets, int taps, float* weights, int width, int roundedOut,
        float* output, int outPlane, int count, float* tail)
        where TVector : unmanaged, IFloatVector<TVector>
    {
        int lanes = TVector.Count;
        int ox = 0;
        if (lanes == 8)
        {
            // 256-bit vectors: three vectors of columns, twelve sums (with three inputs and a broadcast, all sixteen
            // registers): per tap three input loads and four weight broadcasts feed twelve FMAs, and twelve independent
            // chains cover the FMA latency times two pipes.
            for (; ox + 3 * lanes <= roundedOut; ox += 3 * lanes)
            {
                TVector a0 = default, a1 = default, a2 = default, b0 = default, b1 = default, b2 = default;
                TVector c0 = default, c1 = default, c2 = default, d0 = default, d1 = default, d2 = default;
                float* wt = weights;
                for (int t = 0; t < taps; t++, wt += Block)
                {
                    float* s = source + offsets[t] + ox;
                    var v0 = TVector.Load(s);
                    var v1 = TVector.Load(s + lanes);
                    var v2 = TVector.Load(s + 2 * lanes);
                    var w = TVector.Splat(wt[0]);
                    a0 = TVector.MultiplyAdd(v0, w, a0);
                    a1 = TVector.MultiplyAdd(v1, w, a1);
                    a2 = TVector.MultiplyAdd(v2, w, a2);
                    w = TVector.Splat(wt[1]);
                    b0 = TVector.MultiplyAdd(v0, w, b0);
                    b1 = TVector.MultiplyAdd(v1, w, b1);
                    b2 = TVector.MultiplyAdd(v2, w, b2);
                    w = TVector.Splat(wt[2]);
                    c0 = TVector.MultiplyAdd(v0, w, c0);
                    c1 = TVector.MultiplyAdd(v1, w, c1);
                    c2 = TVector.MultiplyAdd(v2, w, c2);
                    w = TVector.Splat(wt[3]);
                    d0 = TVector.MultiplyAdd(v0, w, d0);
                    d1 = TVector.MultiplyAdd(v1, w, d1);
                    d2 = TVector.MultiplyAdd(v2, w, d2);
                }
                a0.Store(tail);
                a1.Store(tail + lanes);
                a2.Store(tail + 2 * lanes);
                b0.Store(tail + 3 * lanes);
                b1.Store(tail + 4 * lanes);
                b2.Store(tail + 5 * lanes);
                c0.Store(tail + 6 * lanes);
                c1.Store(tail + 7 * lanes);
                c2.Store(tail + 8 * lanes);
                d0.Store(tail + 9 * lanes);
                d1.Store(tail + 10 * lanes);
                d2.Store(tail + 11 * lanes);
                CopyOut<TVector>(tail, 3 * lanes, output, outPlane, ox, width, count);
            }
        }
        for (; ox + 2 * lanes <= roundedOut; ox += 2 * lanes)
        {
            TVector a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
            float* wt = weights;
            for (int t = 0; t < taps; t++, wt += Block)
            {
                float* s = source + offsets[t] + ox;
                var v0 = TVector.Load(s);
                var v1 = TVector.Load(s + lanes);
                var w = TVector.Splat(wt[0]);
                a0 = TVector.MultiplyAdd(v0, w, a0);
                a1 = TVector.MultiplyAdd(v1, w, a1);
                w = TVector.Splat(wt[1]);
                b0 = TVector.MultiplyAdd(v0, w, b0);
                b1 = TVector.MultiplyAdd(v1, w, b1);
                w = TVector.Splat(wt[2]);
                c0 = TVector.MultiplyAdd(v0, w, c0);
                c1 = TVector.MultiplyAdd(v1, w, c1);
                w = TVector.Splat(wt[3]);
                d0 = TVector.MultiplyAdd(v0, w, d0);
                d1 = TVector.MultiplyAdd(v1, w, d1);
            }
            // Through the buffer: storing the accumulators straight from a helper with a partial-row branch made
            // the JIT keep them in memory across the tap loop.
            a0.Store(tail);
            a1.Store(tail + lanes);
            b0.Store(tail + 2 * lanes);
            b1.Store(tail + 3 * lanes);
            c0.Store(tail + 4 * lanes);
            c1.Store(tail + 5 * lanes);
            d0.Store(tail + 6 * lanes);
            d1.Store(tail + 7 * lanes);
            CopyOut<TVector>(tail, 2 * lanes, output, outPlane, ox, width, count);
        }
        if (ox < roundedOut)
        {
            TVector a0 = default, b0 = default, c0 = default, d0 = default;
            float* wt = weights;
            for (int t = 0; t < taps; t++, wt += Block)
            {
                var v0 = TVector.Load(source + offsets[t] + ox);
                a0 = TVector.MultiplyAdd(v0, TVector.Splat(wt[0]), a0);
                b0 = TVector.MultiplyAdd(v0, TVector.Splat(wt[1]), b0);
                c0 = TVector.MultiplyAdd(v0, TVector.Splat(wt[2]), c0);
                d0 = TVector.MultiplyAdd(v0, TVector.Splat(wt[3]), d0);
            }
            a0.Store(tail);
            b0.Store(tail + lanes);
            c0.Store(tail + 2 * lanes);
            d0.Store(tail + 3 * lanes);
            CopyOut<TVector>(tail, lanes, output, outPlane, ox, width, count);
        }
    }

    /// <summary>Copies <paramref name="count"/> channel rows of <paramref name="length"/> columns from the buffer to
    /// the output at column ox, cut at the row's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyOut<TVector>(float* buffer, int length, float* output, int outPlane, int ox, int width, int count)
        where TVector : unmanaged, IFloatVector<TVector>
    {
        int lanes = TVector.Count, columns = Math.Min(length, width - ox);
        for (int j = 0; j < count; j++)
        {
            float* from = buffer + j * length, to = output + (long)j * outPlane + ox;
            int k = 0;
            for (; k + lanes <= columns; k += lanes) TVector.Load(from + k).Store(to + k);
            for (; k < columns; k++) to[k] = from[k];
        }
    }
}
