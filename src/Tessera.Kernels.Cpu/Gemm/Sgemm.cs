using System.Runtime.CompilerServices;
using System.Buffers;
using System.Numerics.Tensors;

namespace Tessera.Kernels.Cpu.Gemm;

/// <summary>What happens to each finished output tile while it is in cache: y = act(y + rowBias[r] +
/// columnBias[c] + residual[r, c]). Pointers may be null; they stay valid for the call (pinned by the caller).</summary>
public readonly unsafe struct Epilogue
{
    public float* RowBias { get; init; }

    public float* ColumnBias { get; init; }

    public float* Residual { get; init; }

    public int ResidualStride { get; init; }

    public Activation Activation { get; init; }

    public bool IsEmpty => RowBias is null && ColumnBias is null && Residual is null && Activation.Kind == ActivationKind.None;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(float* tile, int ldc, int row0, int rows, int column0, int columns)
    {
        if (IsEmpty) return;
        if (EpilogueVectors.Handles(Activation.Kind))
        {
            // The sums and the piecewise-linear activations in registers: a tile row is one or two
            // vectors, so a library call per term would cost more than the arithmetic.
            for (int r = 0; r < rows; r++)
            {
                EpilogueVectors.Row(this, tile + (long)r * ldc, row0 + r, column0, columns);
            }
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            var span = new Span<float>(tile + (long)r * ldc, columns);
            if (RowBias is not null) TensorPrimitives.Add(span, RowBias[row0 + r], span);
            if (ColumnBias is not null) TensorPrimitives.Add(span, new ReadOnlySpan<float>(ColumnBias + column0, columns), span);
            if (Residual is not null) TensorPrimitives.Add(span, new ReadOnlySpan<float>(Residual + (long)(row0 + r) * ResidualStride + column0, columns), span);
            Activation.Apply(span);
        }
    }
}

/// <summary>Single-precision GEMM C[M, N] = A[M, K] B[K, N] with an epilogue, over packed operands.
/// Loops (outer to inner): output chunks in parallel; depth blocks of <see cref="GemmShape.DepthBlock"/>;
/// B column panels; A row panels; the micro-kernel. A B panel block stays in L1 while every A panel
/// passes over it; the epilogue runs on a tile right after its last depth block.</summary>
public static unsafe class Sgemm
{
    public static void Multiply(GemmShape shape, PackedMatrix a, PackedMatrix b, Span<float> c, int ldc, in Epilogue epilogue, int threads)
    {
        if (!a.IsLeft || b.IsLeft || a.Depth != b.Depth) throw new ArgumentException("operands are not a packed A and a packed B of one depth");
        if (a.PanelWidth != shape.Rows || b.PanelWidth != shape.Columns) throw new ArgumentException("operands were packed for another micro-kernel");
        int m = a.Outer, n = b.Outer;
        if (m == 0 || n == 0) return;
        if (c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException("C is too small");
        fixed (float* pa = a.Data, pb = b.Data, pc = c)
        {
            var job = new Job(shape, pa, pb, pc, ldc, m, n, a.Depth, epilogue);
            int threadCount = CpuParallel.Resolve(threads);
            int mPanels = a.Panels, nPanels = b.Panels;
            // Enough chunks to balance the threads; columns first (they share all of A, the weights).
            int wanted = threadCount <= 1 ? 1 : threadCount * 3;
            int nChunks = Math.Min(nPanels, wanted);
            int mChunks = Math.Min(mPanels, Math.Max(1, wanted / nChunks));
            CpuParallel.For(nChunks * mChunks, threadCount, new Tiles(job, mPanels, nPanels, mChunks, nChunks));
        }
    }

    /// <summary><see cref="Multiply(GemmShape, PackedMatrix, PackedMatrix, Span{float}, int, in Epilogue, int)"/>'s loop body.</summary>
    private readonly struct Tiles(Job job, int mPanels, int nPanels, int mChunks, int nChunks) : CpuParallel.IParallelBody
    {
        public void Run(int task)
        {
            int ni = task % nChunks, mi = task / nChunks;
            job.Run(mPanels * mi / mChunks, mPanels * (mi + 1) / mChunks, nPanels * ni / nChunks, nPanels * (ni + 1) / nChunks);
        }
    }

    /// <summary>Convenience for tests and one-off products: packs both operands (strides give transposes).</summary>
    public static void Multiply(GemmShape shape, ReadOnlySpan<float> a, int aRowStride, int aDepthStride, ReadOnlySpan<float> b, int bDepthStride, int bColumnStride,
        int m, int n, int k, Span<float> c, int ldc, in Epilogue epilogue, int threads)
    {
        var packedA = PackedMatrix.Left(shape, a, m, k, aRowStride, aDepthStride);
        var packedB = PackedMatrix.Right(shape, b, k, n, bDepthStride, bColumnStride);
        Multiply(shape, packedA, packedB, c, ldc, epilogue, threads);
    }

    /// <summary>Packs panels [first, end) of B into <paramref name="target"/> from its start (a block's own
    /// buffer).</summary>
    public delegate void PanelPacker(int firstPanel, int endPanel, float[] target);

    /// <summary>C = A B where B is packed block by block as it is consumed: each task packs a few column
    /// panels (about <see cref="BlockFloats"/> floats, so they stay in L2) and multiplies every row panel
    /// of A into them before packing the next. A large B (an im2col matrix of a big feature map) is never
    /// materialized and is read from cache, not memory.</summary>
    public static void MultiplyPackingBlocks(GemmShape shape, PackedMatrix a, int n, PanelPacker pack, Span<float> c, int ldc, in Epilogue epilogue, int threads) =>
        MultiplyPackingBlocks(shape, a, n, new DelegatePacker(pack), c, ldc, epilogue, threads);

    /// <summary>Packs panels [first, end) of B into a block's buffer (<see cref="PanelPacker"/> as a value: no delegate per call).</summary>
    public interface IPanelPacker
    {
        void Pack(int firstPanel, int endPanel, float[] target);
    }

    private readonly struct DelegatePacker(PanelPacker pack) : IPanelPacker
    {
        public void Pack(int firstPanel, int endPanel, float[] target) => pack(firstPanel, endPanel, target);
    }

    /// <summary><see cref="MultiplyPackingBlocks(GemmShape, PackedMatrix, int, PanelPacker, Span{float}, int, in Epilogue, int)"/>
    /// with the packer as a value.</summary>
    public static void MultiplyPackingBlocks<TPacker>(GemmShape shape, PackedMatrix a, int n, TPacker pack, Span<float> c, int ldc, in Epilogue epilogue, int threads)
        where TPacker : struct, IPanelPacker
    {
        if (!a.IsLeft || a.PanelWidth != shape.Rows) throw new ArgumentException("A is not a packed left operand of this micro-kernel");
        int m = a.Outer, k = a.Depth, nr = shape.Columns;
        if (m == 0 || n == 0) return;
        if (c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException("C is too small");
        int panels = (n + nr - 1) / nr;
        int perBlock = Math.Clamp(BlockFloats / Math.Max(1, k * nr), 1, panels);
        int threadCount = CpuParallel.Resolve(threads);
        // Enough blocks to keep every thread busy even when B is small.
        if (threadCount > 1) perBlock = Math.Min(perBlock, Math.Max(1, panels / (threadCount * 3)));
        int blocks = (panels + perBlock - 1) / perBlock;
        fixed (float* pa = a.Data, pc = c)
        {
            CpuParallel.For(blocks, threadCount, new PackedBlocks<TPacker>(shape, pack, pa, pc, ldc, m, n, k, a.Panels, panels, perBlock, epilogue));
        }
    }

    private readonly struct PackedBlocks<TPacker>(GemmShape shape, TPacker pack, float* aPointer, float* cPointer, int ldc, int m, int n, int k, int rowPanels,
        int panels, int perBlock, Epilogue epilogue) : CpuParallel.IParallelBody
        where TPacker : struct, IPanelPacker
    {
        public void Run(int block)
        {
            int nr = shape.Columns;
            int first = block * perBlock, end = Math.Min(panels, first + perBlock);
            var buffer = ArrayPool<float>.Shared.Rent(Math.Max(1, (end - first) * k * nr));
            try
            {
                pack.Pack(first, end, buffer);
                fixed (float* pb = buffer)
                {
                    // The job indexes panel j at b + j*k*nr; this block's panel `first` is the buffer's start.
                    var job = new Job(shape, aPointer, pb - (long)first * k * nr, cPointer, ldc, m, n, k, epilogue);
                    job.Run(0, rowPanels, first, end);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Deepest product <see cref="MultiplyStridedRight"/> takes. A's panels hold the whole depth contiguously, so
    /// the kernel runs any depth; up to 1024 the 12 x 32 tile's B strip (128 bytes a row) and A pair stay within L2
    /// (SqueezeNet's conv10, K = 512, 1000 x 169).</summary>
    public const int StridedMaxDepth = 1024;

    /// <summary>Whether <see cref="MultiplyStridedRight"/> takes this product: the AVX-512 or AVX2 kernel, a depth of at most
    /// <see cref="StridedMaxDepth"/>, and an epilogue it applies in registers (no column bias; None, Relu, Clip or
    /// HardSwish).</summary>
    public static bool StridedRightApplies(GemmShape shape, int depth, in Epilogue epilogue) =>
        shape.Kind is MicroKernelKind.Avx512 or MicroKernelKind.Avx2 && depth <= StridedMaxDepth && epilogue.ColumnBias is null
        && MicroKernels.StridedHandles(epilogue.Activation.Kind);

    /// <summary>C = A B with B read where it lies, row k at b[bOffset + k * ldb] (a pointwise convolution's input
    /// channels): whole 32-column panels go to <see cref="MicroKernels.Avx512Strided"/> (16-column panels to
    /// <see cref="MicroKernels.Avx2Strided"/> on AVX2, which copies B in blocks first, see <c>ColumnBlocks</c>) with no packing
    /// and the epilogue applied before the store; the last partial panel is packed, and tiles with fewer than 6 rows or a whole panel's
    /// columns are computed into a scratch tile and finished by <see cref="Epilogue.Apply"/>. Parallel over column
    /// panels. Only where <see cref="StridedRightApplies"/>.</summary>
    public static void MultiplyStridedRight(GemmShape shape, PackedMatrix a, float[] b, int bOffset, int ldb, int n, Span<float> c, int ldc,
        in Epilogue epilogue, int threads)
    {
        if (!a.IsLeft || a.PanelWidth != shape.Rows || !StridedRightApplies(shape, a.Depth, epilogue)) throw new ArgumentException("not a product for the strided kernel");
        int m = a.Outer, k = a.Depth, mr = shape.Rows, nr = shape.Columns;
        if (m == 0 || n == 0) return;
        if (c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException("C is too small");
        if (k > 0 && (bOffset < 0 || b.Length < bOffset + (long)(k - 1) * ldb + n)) throw new ArgumentException("B is too small");
        int panels = (n + nr - 1) / nr, fullPanels = n / nr, rowPanels = a.Panels;
        int threadCount = CpuParallel.Resolve(threads);
        int chunks = threadCount <= 1 ? 1 : Math.Min(panels, threadCount * 3);
        var copy = epilogue;
        var kind = epilogue.Activation.Kind;
        float low = epilogue.Activation.Alpha, high = epilogue.Activation.Beta;
        bool wide = shape.Kind == MicroKernelKind.Avx512;
        fixed (float* pa = a.Data, pb = b, pc = c)
        {
            float* aPointer = pa, bPointer = pb + bOffset, cPointer = pc;
            CpuParallel.For(chunks, threadCount, new StridedChunks(wide, aPointer, bPointer, ldb, k, cPointer, ldc, m, n, mr, nr, rowPanels, panels, fullPanels, chunks,
                copy, kind, low, high));
        }
    }

    /// <summary><see cref="MultiplyStridedRight"/>'s loop body over chunks of column panels.</summary>
    private readonly struct StridedChunks(bool wide, float* aPointer, float* bPointer, int ldb, int k, float* cPointer, int ldc, int m, int n, int mr, int nr,
        int rowPanels, int panels, int fullPanels, int chunks, Epilogue copy, ActivationKind kind, float low, float high) : CpuParallel.IParallelBody
    {
        public void Run(int chunk)
        {
            int first = panels * chunk / chunks, end = panels * (chunk + 1) / chunks;
            float* edge = stackalloc float[mr * nr];
            float[]? packed = null;
            try
            {
                if (!wide)
                {
                    packed = ArrayPool<float>.Shared.Rent(Math.Max(1, StridedPanelsPerBlock(m, k, end - first) * k * nr));
                    ColumnBlocks(aPointer, bPointer, ldb, k, cPointer, ldc, m, n, rowPanels, first, end, edge, packed, copy, kind, low, high);
                    return;
                }
                for (int j = first; j < end; j++)
                {
                    int columns = Math.Min(nr, n - j * nr);
                    float* panel = bPointer + (long)j * nr;
                    int stride = ldb;
                    if (j >= fullPanels)
                    {
                        packed ??= ArrayPool<float>.Shared.Rent(Math.Max(1, k * nr));
                        var span = packed.AsSpan(0, Math.Max(1, k * nr));
                        span.Clear();
                        for (int d = 0; d < k; d++) new ReadOnlySpan<float>(bPointer + (long)d * ldb + j * nr, columns).CopyTo(span.Slice(d * nr));
                        fixed (float* pp = packed)
                        {
                            RowPanels(wide, aPointer, pp, nr, k, cPointer, ldc, m, 0, rowPanels, mr, nr, j, columns, edge, copy, kind, low, high);
                        }
                        continue;
                    }
                    RowPanels(wide, aPointer, panel, stride, k, cPointer, ldc, m, 0, rowPanels, mr, nr, j, columns, edge, copy, kind, low, high);
                }
            }
            finally
            {
                if (packed is not null) ArrayPool<float>.Shared.Return(packed);
            }
        }
    }

    /// <summary>Floats of B that the AVX2 strided path packs per block (128 KiB: L2 holds it while the row panels sweep it; at
    /// 48 KiB SqueezeNet's conv10, K = 512, got one panel per block and streamed its 2 MB of weights once per panel).</summary>
    private const int StridedBlockFloats = 32768;

    /// <summary>The AVX2 order of <see cref="MultiplyStridedRight"/> over column panels [first, end): blocks of panels of about
    /// <see cref="StridedBlockFloats"/> packed floats; each block's B rows are copied row by row (one sequential stream at a
    /// time) into 16-column panels, then each 6-row A panel (in L1) sweeps every panel of the block. Reading B in place
    /// instead stalled on its loads (a plane of 16384 floats puts every channel row in one L1 set: BlazeFace's 24 -> 24
    /// pointwise convolutions at 128 x 128), and with A read once per block rather than once per 16 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnBlocks(float* a, float* b, int ldb, int k, float* c, int ldc, int m, int n, int rowPanels, int first, int end, float* edge,
        float[] packed, in Epilogue epilogue, ActivationKind kind, float low, float high)
    {
        const int mr = 6, nr = 16;
        int perBlock = StridedPanelsPerBlock(m, k, end - first);
        fixed (float* pp = packed)
        {
            for (int j0 = first; j0 < end; j0 += perBlock)
            {
                int j1 = Math.Min(end, j0 + perBlock);
                PackPanels(b, ldb, k, n, j0, j1, pp);
                for (int i = 0; i < rowPanels; i++)
                {
                    for (int j = j0; j < j1; j++)
                    {
                        RowPanels(false, a, pp + (long)(j - j0) * k * nr, nr, k, c, ldc, m, i, i + 1, mr, nr, j, Math.Min(nr, n - j * nr), edge,
                            epilogue, kind, low, high);
                    }
                }
            }
        }
    }

    /// <summary>Column panels per block of <see cref="ColumnBlocks"/> for <paramref name="panels"/> panels of depth <paramref name="k"/>:
    /// blocks of at most <see cref="StridedBlockFloats"/> packed floats, or <see cref="StridedWideBlockFloats"/> when A (m x k)
    /// is larger than that (every block streams all of A, so fewer blocks save more than the L2 room they cost: SqueezeNet's
    /// conv10, 2 MB of weights, read its weights in 3 passes of 4 + 4 + 3 panels, now 1), and the panels split evenly
    /// over the blocks.</summary>
    internal static int StridedPanelsPerBlock(int m, int k, int panels)
    {
        const int nr = 16;
        if (panels <= 0) return 1;
        long limit = (long)m * k > StridedWideBlockFloats ? StridedWideBlockFloats : StridedBlockFloats;
        long panelFloats = Math.Max(1L, (long)k * nr);
        int most = (int)Math.Clamp(limit / panelFloats, 1, panels);
        int blocks = (panels + most - 1) / most;
        return (panels + blocks - 1) / blocks;
    }

    /// <summary>Packed floats per block (384 KiB, within a 512 KiB L2) when the weights are too large to stay in cache between
    /// blocks (see <see cref="StridedPanelsPerBlock"/>).</summary>
    private const int StridedWideBlockFloats = 98304;

    /// <summary>Copies column panels [j0, j1) of B (row d at b + d * ldb, n columns) into 16-column k-major panels at
    /// <paramref name="target"/>, zero past column n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPanels(float* b, int ldb, int k, int n, int j0, int j1, float* target)
    {
        const int nr = 16;
        int full = Math.Min(j1, n / nr);
        for (int d = 0; d < k; d++)
        {
            float* row = b + (long)d * ldb;
            for (int j = j0; j < full; j++)
            {
                float* to = target + ((long)(j - j0) * k + d) * nr;
                System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(row + j * nr), to);
                System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(row + j * nr + 8), to + 8);
            }
            for (int j = Math.Max(j0, full); j < j1; j++)
            {
                float* to = target + ((long)(j - j0) * k + d) * nr;
                int columns = n - j * nr;
                for (int e = 0; e < nr; e++) to[e] = e < columns ? row[j * nr + e] : 0f;
            }
        }
    }

    /// <summary>Row panels [firstRow, endRow) of column panel <paramref name="j"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPanels(bool wide, float* a, float* bPanel, int ldb, int k, float* c, int ldc, int m, int firstRow, int endRow, int mr, int nr, int j, int columns,
        float* edge, in Epilogue epilogue, ActivationKind kind, float low, float high)
    {
        for (int i = firstRow; i < endRow; i++)
        {
            int rows = Math.Min(mr, m - i * mr);
            float* aPanel = a + (long)i * k * mr;
            float* tile = c + (long)i * mr * ldc + (long)j * nr;
            if (wide && columns == nr && m - i * mr >= 2 * mr && i + 1 < endRow)
            {
                // Two whole row panels at once: each B row loaded once for 12 output rows.
                float* residual = epilogue.Residual is null ? null : epilogue.Residual + (long)i * mr * epilogue.ResidualStride + (long)j * nr;
                float* bias = epilogue.RowBias is null ? null : epilogue.RowBias + i * mr;
                MicroKernels.Avx512Strided12(aPanel, aPanel + (long)k * mr, bPanel, ldb, k, tile, ldc, bias, residual, epilogue.ResidualStride, kind, low, high);
                i++;
                continue;
            }
            if (rows == mr && columns == nr)
            {
                float* residual = epilogue.Residual is null ? null : epilogue.Residual + (long)i * mr * epilogue.ResidualStride + (long)j * nr;
                float* bias = epilogue.RowBias is null ? null : epilogue.RowBias + i * mr;
                if (wide) MicroKernels.Avx512Strided(aPanel, bPanel, ldb, k, tile, ldc, bias, residual, epilogue.ResidualStride, kind, low, high);
                else MicroKernels.Avx2Strided(aPanel, bPanel, ldb, k, tile, ldc, bias, residual, epilogue.ResidualStride, kind, low, high);
                continue;
            }
            if (wide) MicroKernels.Avx512Strided(aPanel, bPanel, ldb, k, edge, nr, null, null, 0, ActivationKind.None, 0f, 0f);
            else MicroKernels.Avx2Strided(aPanel, bPanel, ldb, k, edge, nr, null, null, 0, ActivationKind.None, 0f, 0f);
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(edge + (long)r * nr, columns).CopyTo(new Span<float>(tile + (long)r * ldc, columns));
            }
            epilogue.Apply(tile, ldc, i * mr, rows, j * nr, columns);
        }
    }

    /// <summary>Floats of packed B per block: 64K floats (256 KiB) sit in a core's L2 beside A's panels.</summary>
    public const int BlockFloats = 1 << 16;

    /// <summary>Packs B into a pooled buffer (in parallel over panels) and multiplies; returns the buffer.</summary>
    public static void MultiplyPackingRight(GemmShape shape, PackedMatrix a, ReadOnlySpan<float> b, int bDepthStride, int bColumnStride, int n,
        Span<float> c, int ldc, in Epilogue epilogue, int threads)
    {
        int k = a.Depth;
        var buffer = ArrayPool<float>.Shared.Rent(Math.Max(1, PackedMatrix.RightLength(shape, n, k)));
        try
        {
            PackedMatrix.PackRight(shape.Columns, b, k, n, bDepthStride, bColumnStride, 0, (n + shape.Columns - 1) / shape.Columns, buffer);
            Multiply(shape, a, PackedMatrix.Wrap(false, n, k, shape.Columns, buffer), c, ldc, epilogue, threads);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private readonly struct Job(GemmShape shape, float* a, float* b, float* c, int ldc, int m, int n, int k, Epilogue epilogue)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int firstRowPanel, int endRowPanel, int firstColumnPanel, int endColumnPanel)
        {
            int mr = shape.Rows, nr = shape.Columns;
            float* edge = stackalloc float[mr * nr];
            if (k == 0)
            {
                for (int i = firstRowPanel; i < endRowPanel; i++)
                {
                    for (int j = firstColumnPanel; j < endColumnPanel; j++)
                    {
                        int rows = Math.Min(mr, m - i * mr), columns = Math.Min(nr, n - j * nr);
                        float* tile = c + (long)i * mr * ldc + j * nr;
                        for (int r = 0; r < rows; r++) new Span<float>(tile + (long)r * ldc, columns).Clear();
                        epilogue.Apply(tile, ldc, i * mr, rows, j * nr, columns);
                    }
                }
                return;
            }
            for (int depth0 = 0; depth0 < k; depth0 += GemmShape.DepthBlock)
            {
                int kc = Math.Min(GemmShape.DepthBlock, k - depth0);
                bool accumulate = depth0 > 0, last = depth0 + kc == k;
                for (int j = firstColumnPanel; j < endColumnPanel; j++)
                {
                    float* bPanel = b + (long)j * k * nr + (long)depth0 * nr;
                    int columns = Math.Min(nr, n - j * nr);
                    for (int i = firstRowPanel; i < endRowPanel; i++)
                    {
                        float* aPanel = a + (long)i * k * mr + (long)depth0 * mr;
                        int rows = Math.Min(mr, m - i * mr);
                        float* tile = c + (long)i * mr * ldc + j * nr;
                        if (rows == mr && columns == nr)
                        {
                            Kernel(aPanel, bPanel, kc, tile, ldc, accumulate);
                        }
                        else
                        {
                            if (accumulate) Copy(tile, ldc, edge, nr, rows, columns);
                            Kernel(aPanel, bPanel, kc, edge, nr, accumulate);
                            Copy(edge, nr, tile, ldc, rows, columns);
                        }
                        if (last) epilogue.Apply(tile, ldc, i * mr, rows, j * nr, columns);
                    }
                }
            }
        }

        private void Kernel(float* aPanel, float* bPanel, int kc, float* tile, int stride, bool accumulate)
        {
            switch (shape.Kind)
            {
                case MicroKernelKind.Avx512: MicroKernels.Avx512(aPanel, bPanel, kc, tile, stride, accumulate); break;
                case MicroKernelKind.Avx2: MicroKernels.Avx2(aPanel, bPanel, kc, tile, stride, accumulate); break;
                default: MicroKernels.Portable(aPanel, bPanel, kc, tile, stride, accumulate); break;
            }
        }

        private static void Copy(float* from, int fromStride, float* to, int toStride, int rows, int columns)
        {
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(from + (long)r * fromStride, columns).CopyTo(new Span<float>(to + (long)r * toStride, columns));
            }
        }
    }
}
