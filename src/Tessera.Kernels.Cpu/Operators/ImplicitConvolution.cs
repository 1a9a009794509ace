using System.Buffers;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Cpu.Gemm;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Convolution as an implicit GEMM on AVX-512 or AVX2: no im2col matrix. The input is copied once into a zero-padded
/// buffer split into strideY x strideX phase planes of Hq x Wq (plane (a, b) holds the padded input's rows a, a + sy, ...
/// and columns b, b + sx, ...), so tap (c, ky, kx) of every output pixel lies at one fixed offset from the pixel's
/// position in a "wide" output of OH x Wq (the real OW columns plus (kw - 1) dx / sx columns that are computed and
/// dropped). The micro-kernel (<see cref="MicroKernels.Avx512Taps"/>, 6 or 12 rows x 32 wide positions) reads B row k as
/// 32 consecutive floats at that offset; on AVX2 <see cref="MicroKernels.Avx2Taps"/>, 6 rows x 16 wide positions), with A
/// the weights packed once per session; bias and activation are applied in registers, and the valid columns of the tile are copied to the output rows they belong to.</summary>
internal static unsafe class ImplicitConvolution
{
    /// <summary>Deepest product taken (input channels per group x kernel taps): beyond it a 12-row A panel pair
    /// (48 KiB) no longer stays in L1 beside the B rows, and the packed im2col GEMM with its depth blocks runs instead.</summary>
    public const int MaxDepth = 1024;

    /// <summary>Whether this convolution runs here: the AVX-512 or AVX2 micro-kernel, no residual, an activation the kernel
    /// applies itself, not pointwise (that reads X in place already), a depth (input channels per group x taps) of at
    /// most <see cref="MaxDepth"/>, a wide output of at least one whole column panel (32 or 16 positions), and stride 1, or any stride
    /// with at most <see cref="FewChannelConvolution.MaxInputChannels"/> input channels per group (stems such as
    /// SqueezeNet's 3 -> 64 3x3 stride 2, whose im2col packing costs about as much as its multiply; other strided
    /// convolutions keep the packed im2col GEMM).</summary>
    public static bool Applies(GemmShape shape, Plane p, int groupIn, Activation activation, bool residual)
    {
        int depth = groupIn * p.KernelHeight * p.KernelWidth;
        return shape.Kind is MicroKernelKind.Avx512 or MicroKernelKind.Avx2 && !residual && !p.IsPointwise && MicroKernels.StridedHandles(activation.Kind)
            && ((p.StrideY == 1 && p.StrideX == 1) || groupIn <= FewChannelConvolution.MaxInputChannels)
            && depth > 0 && depth <= MaxDepth && p.OutHeight > 0 && p.OutWidth > 0 && (long)p.OutHeight * WideWidth(p) >= shape.Columns;
    }

    private static int WideWidth(Plane p) => p.OutWidth + (p.KernelWidth - 1) * p.DilationX / p.StrideX;

    private static int WideHeight(Plane p) => p.OutHeight + (p.KernelHeight - 1) * p.DilationY / p.StrideY;

    /// <summary>Y[n, g * groupOut + m, pixel] = act(bias + sum over taps), one packed A per group (6-row panels, depth
    /// groupIn x kh x kw in the weights' order) packed for <paramref name="shape"/>.</summary>
    public static void Run(GemmShape shape, float[] x, int batch, int channels, int group, Plane p, PackedMatrix[] weights, float[]? bias, Activation activation,
        float[] y, int threads)
    {
        const int mr = 6;
        int nr = shape.Columns;
        // AVX-512 runs pairs of row panels (12 x 32 in 24 of its 32 registers); AVX2's 16 registers hold one 6 x 16 tile.
        bool pairs = shape.Kind == MicroKernelKind.Avx512;
        int groupIn = channels / group, groupOut = weights[0].Outer, depth = weights[0].Depth;
        int kh = p.KernelHeight, kw = p.KernelWidth, sy = p.StrideY, sx = p.StrideX;
        int hq = WideHeight(p), wq = WideWidth(p), phasePlane = hq * wq;
        int outPlane = p.OutHeight * p.OutWidth, wide = p.OutHeight * wq;
        int panels = (wide + nr - 1) / nr, rowPanels = weights[0].Panels, rowBlocks = pairs ? (rowPanels + 1) / 2 : rowPanels;
        int channelFloats = sy * sx * phasePlane;
        int bufferLength = channels * channelFloats + wq + nr;
        int threadCount = CpuParallel.Resolve(threads);
        int wanted = threadCount <= 1 ? 1 : threadCount * 3;
        // Chunks of whole panels when each gets at least two; on a small map (SqueezeNet's 13x13: 7 panels, which made
        // chunks of 1 and 2 panels that each streamed all of A, 590 KB for 256 outputs) chunks of output channels, so each
        // thread reads only its share of A and the chunks are near equal.
        int columnChunks, rowChunks;
        if (panels >= 2 * wanted || rowBlocks == 1)
        {
            columnChunks = Math.Min(panels, wanted);
            rowChunks = Math.Min(rowBlocks, Math.Max(1, wanted / columnChunks));
        }
        else
        {
            rowChunks = Math.Min(rowBlocks, wanted);
            columnChunks = Math.Min(panels, Math.Max(1, wanted / rowChunks));
        }
        var kind = activation.Kind;
        float low = activation.Alpha, high = activation.Beta;
        // AVX2: column panels in blocks whose input span (channels x phases x positions) is about 128 KiB, so it stays in L2
        // while each A panel sweeps the block.
        int perBlock = Math.Clamp(32768 / Math.Max(1, groupIn * sy * sx * nr), 1, MaxBlockPanels);

        var buffer = ArrayPool<float>.Shared.Rent(bufferLength);
        var offsets = ArrayPool<int>.Shared.Rent(depth);
        var paddedBias = ArrayPool<float>.Shared.Rent(group * rowPanels * mr);
        try
        {
            // Tap k = (c, ky, kx) of a wide position q reads buffer[q + offsets[k]].
            for (int c = 0, k = 0; c < groupIn; c++)
            {
                for (int ky = 0; ky < kh; ky++)
                {
                    int ty = ky * p.DilationY;
                    for (int kx = 0; kx < kw; kx++, k++)
                    {
                        int tx = kx * p.DilationX;
                        offsets[k] = ((c * sy + ty % sy) * sx + tx % sx) * phasePlane + ty / sy * wq + tx / sx;
                    }
                }
            }
            paddedBias.AsSpan(0, group * rowPanels * mr).Clear();
            if (bias is not null)
            {
                for (int g = 0; g < group; g++) bias.AsSpan(g * groupOut, groupOut).CopyTo(paddedBias.AsSpan(g * rowPanels * mr));
            }
            buffer.AsSpan(channels * channelFloats, wq + nr).Clear();
            for (int n = 0; n < batch; n++)
            {
                Fill(x, n * channels * p.Height * p.Width, channels, p, hq, wq, buffer);
                fixed (float* pBuffer = buffer, pY = y, pBias = paddedBias)
                fixed (int* pOffsets = offsets)
                {
                    float* bufferPointer = pBuffer, yPointer = pY + (long)n * group * groupOut * outPlane, biasPointer = pBias;
                    int* offsetPointer = pOffsets;
                    CpuParallel.For(columnChunks * rowChunks, threadCount, task =>
                    {
                        int ci = task % columnChunks, ri = task / columnChunks;
                        int firstPanel = panels * ci / columnChunks, endPanel = panels * (ci + 1) / columnChunks;
                        int firstBlock = rowBlocks * ri / rowChunks, endBlock = rowBlocks * (ri + 1) / rowChunks;
                        float* tile = stackalloc float[2 * mr * nr];
                        if (!pairs)
                        {
                            Avx2Blocks(weights, groupIn, groupOut, depth, channelFloats, outPlane, wide, wq, p.OutWidth, perBlock, bufferPointer, yPointer,
                                biasPointer, rowPanels, offsetPointer, firstPanel, endPanel, firstBlock, endBlock, tile, kind, low, high, Is3x3(p));
                            return;
                        }
                        int* segments = stackalloc int[3 * (nr + 1)];
                        for (int j = firstPanel; j < endPanel; j++)
                        {
                            int count = Segments(j * nr, Math.Min(wide, j * nr + nr), wq, p.OutWidth, segments);
                            bool contiguous = count == 1 && segments[2] == nr;
                            for (int g = 0; g < group; g++)
                            {
                                fixed (float* pa = weights[g].Data)
                                {
                                    float* groupB = bufferPointer + (long)g * groupIn * channelFloats + (long)j * nr;
                                    float* groupY = yPointer + (long)g * groupOut * outPlane;
                                    for (int block = firstBlock; block < endBlock; block++)
                                    {
                                        int i = pairs ? 2 * block : block;
                                        float* aPanel = pa + (long)i * depth * mr;
                                        float* rowBias = biasPointer + (g * rowPanels + i) * mr;
                                        bool pair = pairs && i + 1 < rowPanels;
                                        int rows = Math.Min(pair ? 2 * mr : mr, groupOut - i * mr);
                                        // A tile whose 32 positions are one run of output pixels and whose rows are all real is
                                        // stored straight into Y; otherwise into the scratch tile, then its runs are copied.
                                        bool direct = contiguous && rows == (pair ? 2 * mr : mr);
                                        float* target = direct ? groupY + (long)i * mr * outPlane + segments[1] : tile;
                                        int ldt = direct ? outPlane : nr;
                                        if (pair) MicroKernels.Avx512Taps12(aPanel, aPanel + (long)depth * mr, groupB, offsetPointer, depth, target, ldt, rowBias, kind, low, high);
                                        else if (pairs) MicroKernels.Avx512Taps(aPanel, groupB, offsetPointer, depth, target, ldt, rowBias, kind, low, high);
                                        else MicroKernels.Avx2Taps(aPanel, groupB, offsetPointer, depth, target, ldt, rowBias, kind, low, high);
                                        if (!direct) Scatter(tile, nr, rows, segments, count, groupY + (long)i * mr * outPlane, outPlane);
                                    }
                                }
                            }
                        }
                    });
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
            ArrayPool<int>.Shared.Return(offsets);
            ArrayPool<float>.Shared.Return(paddedBias);
        }
    }

    /// <summary>A 3x3 kernel at stride 1 and dilation 1: tap (c, ky, kx) lies at c * channelFloats + ky * wq + kx, which
    /// <see cref="MicroKernels.Avx2Taps3x3"/> unrolls (SqueezeNet's expands, det's 3x3 convolutions).</summary>
    internal static bool Is3x3(Plane p) => p.KernelHeight == 3 && p.KernelWidth == 3 && p.StrideY == 1 && p.StrideX == 1 && p.DilationY == 1 && p.DilationX == 1;

    /// <summary>Most column panels in one AVX2 block (bounds its stack table of segments).</summary>
    private const int MaxBlockPanels = 64;

    /// <summary>The AVX2 loop order over column panels [firstPanel, endPanel) and row panels [firstRow, endRow): blocks of
    /// <paramref name="perBlock"/> panels, and within a block each 6-row A panel (in L1 across the block) sweeps every panel
    /// of the block, so A is read once per block rather than once per 16 positions (SqueezeNet's 13x13 expands stream up
    /// to 442 KB of weights). The segments of each panel are computed once per block.</summary>
    private static void Avx2Blocks(PackedMatrix[] weights, int groupIn, int groupOut, int depth, int channelFloats, int outPlane, int wide, int wq, int outWidth,
        int perBlock, float* buffer, float* y, float* bias, int rowPanels, int* offsets, int firstPanel, int endPanel, int firstRow, int endRow, float* tile,
        ActivationKind kind, float low, float high, bool taps3x3)
    {
        const int mr = 6, nr = 16;
        int* segments = stackalloc int[MaxBlockPanels * 3 * (nr + 1)];
        int* counts = stackalloc int[MaxBlockPanels];
        for (int j0 = firstPanel; j0 < endPanel; j0 += perBlock)
        {
            int j1 = Math.Min(endPanel, j0 + perBlock);
            for (int j = j0; j < j1; j++)
            {
                counts[j - j0] = Segments(j * nr, Math.Min(wide, j * nr + nr), wq, outWidth, segments + (j - j0) * 3 * (nr + 1));
            }
            for (int g = 0; g < weights.Length; g++)
            {
                fixed (float* pa = weights[g].Data)
                {
                    float* groupY = y + (long)g * groupOut * outPlane;
                    for (int i = firstRow; i < endRow; i++)
                    {
                        float* aPanel = pa + (long)i * depth * mr;
                        float* rowBias = bias + (g * rowPanels + i) * mr;
                        int rows = Math.Min(mr, groupOut - i * mr);
                        float* rowY = groupY + (long)i * mr * outPlane;
                        for (int j = j0; j < j1; j++)
                        {
                            int* segment = segments + (j - j0) * 3 * (nr + 1);
                            int count = counts[j - j0];
                            float* groupB = buffer + (long)g * groupIn * channelFloats + (long)j * nr;
                            // Stored straight into Y when the 16 positions are one run of output pixels and all 6 rows are real.
                            bool direct = count == 1 && segment[2] == nr && rows == mr;
                            float* target = direct ? rowY + segment[1] : tile;
                            if (taps3x3) MicroKernels.Avx2Taps3x3(aPanel, groupB, groupIn, channelFloats, wq, target, direct ? outPlane : nr, rowBias, kind, low, high);
                            else MicroKernels.Avx2Taps(aPanel, groupB, offsets, depth, target, direct ? outPlane : nr, rowBias, kind, low, high);
                            if (!direct) Scatter(tile, nr, rows, segment, count, rowY, outPlane);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The runs of wide positions [first, end) that are real output pixels: (column in the tile, output pixel,
    /// length) triples; returns their count.</summary>
    private static int Segments(int first, int end, int wq, int outWidth, int* segments)
    {
        int count = 0;
        for (int q = first; q < end;)
        {
            int oy = q / wq, ox = q - oy * wq;
            if (ox >= outWidth)
            {
                q += wq - ox;
                continue;
            }
            int length = Math.Min(outWidth - ox, end - q);
            segments[3 * count] = q - first;
            segments[3 * count + 1] = oy * outWidth + ox;
            segments[3 * count + 2] = length;
            count++;
            q += length;
        }
        return count;
    }

    private static void Scatter(float* tile, int ldt, int rows, int* segments, int count, float* y, int outPlane)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + r * ldt;
            float* target = y + (long)r * outPlane;
            for (int s = 0; s < count; s++)
            {
                int column = segments[3 * s], pixel = segments[3 * s + 1], length = segments[3 * s + 2];
                float* from = source + column, to = target + pixel;
                int e = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; e + 16 <= length; e += 16) Vector512.Store(Vector512.Load(from + e), to + e);
                }
                for (; e + 8 <= length; e += 8) Vector256.Store(Vector256.Load(from + e), to + e);
                for (; e < length; e++) to[e] = from[e];
            }
        }
    }

    /// <summary>Copies sample n's channels into the phase planes: plane (c, a, b) element (qy, qx) = the input at row
    /// qy * sy + a - padTop, column qx * sx + b - padLeft, or 0 outside it.</summary>
    private static void Fill(float[] x, int origin, int channels, Plane p, int hq, int wq, float[] buffer)
    {
        int sy = p.StrideY, sx = p.StrideX, height = p.Height, width = p.Width, inPlane = height * width, phasePlane = hq * wq;
        for (int c = 0; c < channels; c++)
        {
            for (int a = 0; a < sy; a++)
            {
                for (int b = 0; b < sx; b++)
                {
                    var plane = buffer.AsSpan(((c * sy + a) * sx + b) * phasePlane, phasePlane);
                    for (int qy = 0; qy < hq; qy++)
                    {
                        var row = plane.Slice(qy * wq, wq);
                        int iy = qy * sy + a - p.PadTop;
                        if ((uint)iy >= (uint)height)
                        {
                            row.Clear();
                            continue;
                        }
                        var input = x.AsSpan(origin + c * inPlane + iy * width, width);
                        if (sx == 1)
                        {
                            // Columns [0, wq) read input columns qx - padLeft: zeros, a copy, zeros.
                            int start = Math.Clamp(p.PadLeft, 0, wq);
                            int skip = Math.Max(0, -p.PadLeft);
                            int length = Math.Clamp(Math.Min(width - skip, wq - start), 0, wq);
                            row.Slice(0, start).Clear();
                            input.Slice(Math.Min(skip, width), length).CopyTo(row.Slice(start, length));
                            row.Slice(start + length).Clear();
                            continue;
                        }
                        // Column qx reads input column qx * sx + b - padLeft: zeros before first, a strided gather, zeros from end.
                        int shift = b - p.PadLeft;
                        int first = shift >= 0 ? 0 : Math.Min(wq, (-shift + sx - 1) / sx);
                        int end = width - 1 - shift < 0 ? 0 : Math.Min(wq, (width - 1 - shift) / sx + 1);
                        end = Math.Max(first, end);
                        row.Slice(0, first).Clear();
                        for (int qx = first; qx < end; qx++) row[qx] = input[qx * sx + shift];
                        row.Slice(end).Clear();
                    }
                }
            }
        }
    }
}
