using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of an ungrouped <see cref="TransposedConvolutionStep"/>, bit for bit the same: one int8
/// GEMM gives, for every input position, the contribution to each (output channel, ky, kx) (rows: the weights
/// transposed to [out x k x k][in], packed once; columns: input positions), which is scattered into int32 output
/// planes that start at the bias, then each channel is requantized. Tiles of input positions run in parallel when
/// the kernel does not exceed the stride (no two positions write the same output); otherwise on one thread. When the
/// kernel tiles the output exactly (kernel = stride, no padding: a DB head's 2x2 stride-2 upsampling) each output row is
/// interleaved from the GEMM rows and requantized directly (<see cref="TiledRows"/>).</summary>
public sealed unsafe class Int8ConvolutionTranspose : IntegerStep
{
    private readonly TransposedConvolutionStep _reference;
    private readonly int _threads;
    private readonly Int8Isa _isa;
    private readonly int _inChannels, _outChannels, _kernelHeight, _kernelWidth, _rows;
    private readonly sbyte[] _packed;
    private readonly int[] _rowOffset, _rowZero;
    private readonly bool _columnSums;
    private readonly ChannelRequantization[] _channels;
    private readonly ReusedBuffer<int> _sums = new();
    private readonly ReusedBuffer<sbyte> _output = new();

    private readonly int[] _bias;
    // A table step that was the only reader of the output, applied to each output row (see Int8Convolution).
    private readonly Int8Lookup? _then;

    [ThreadStatic] private static byte[]? t_tiles;
    [ThreadStatic] private static int[]? t_sums;
    [ThreadStatic] private static int[]? t_line;

    public Int8ConvolutionTranspose(TransposedConvolutionStep reference, int threads, Int8Isa isa) : this(reference, null, threads, isa) { }

    /// <summary>The transposed convolution followed by <paramref name="then"/>, a table step that is the only reader of
    /// its output, as one step whose output is the table's.</summary>
    internal Int8ConvolutionTranspose(TransposedConvolutionStep reference, Int8Lookup? then, int threads, Int8Isa isa)
        : base(reference.Name, [.. reference.Inputs], then is null ? [.. reference.Outputs] : [then.Outputs[0]])
    {
        if (then is not null && then.Inputs[0] != reference.Outputs[0]) throw new ArgumentException($"{then.Name} does not read {reference.Outputs[0]}", nameof(then));
        _then = then;
        _reference = reference;
        _threads = threads;
        _isa = isa;
        var shape = Windows.Lift(reference.Weights.Shape);
        _inChannels = shape[0];
        _outChannels = shape[1];
        _kernelHeight = shape[2];
        _kernelWidth = shape[3];
        int area = _kernelHeight * _kernelWidth;
        _rows = _outChannels * area;
        var w = reference.Weights.As<sbyte>();
        var transposed = new sbyte[_rows * _inChannels];
        for (int c = 0; c < _inChannels; c++)
        for (int r = 0; r < _rows; r++) transposed[r * _inChannels + c] = w[c * _rows + r];
        (_packed, var sums) = Int8Gemm.PackWeights(transposed, _rows, _inChannels, isa);
        _rowOffset = new int[_rows];
        _rowZero = new int[_rows];
        int zx = reference.InputZero;
        for (int r = 0; r < _rows; r++)
        {
            int m = r / area;
            int zw = reference.WeightZero.Length == 1 ? reference.WeightZero[0] : reference.WeightZero[m];
            _rowZero[r] = zw;
            _rowOffset[r] = unchecked(-(128 + zx) * sums[r] + _inChannels * zx * zw);
        }
        _columnSums = _rowZero.Any(z => z != 0);
        _bias = reference.Bias ?? new int[_outChannels];
        var q = reference.Requantizer;
        _channels = Enumerable.Range(0, _outChannels).Select(m =>
        {
            int c = q.Channels == 1 ? 0 : m;
            return new ChannelRequantization(q.Multipliers[c], q.Shifts[c], q.InputShift, q.ZeroPoint, q.Minimum, q.Maximum);
        }).ToArray();
    }

    public override string Kind => _reference.Kind + (_then is null ? "" : "+" + Int8Lookup.Suffix(_then.Kind));

    public override string Parameters => _reference.Parameters + $" cpu={_isa}";

    public static bool Covers(TransposedConvolutionStep step) =>
        step.Weights.Rank is 3 or 4 && new Ops.KernelContext(step.Node, 0, []).GetInt("group", 1) == 1;

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        var (window, _) = _reference.Geometry(x.Shape);
        int[] lifted = Windows.Lift(x.Shape);
        int batch = lifted[0], height = lifted[2], width = lifted[3];
        if (lifted[1] != _inChannels) throw new InvalidInputException($"input has {lifted[1]} channels, ConvTranspose weights expect {_inChannels}", Name);
        int oh = window.OutputHeight, ow = window.OutputWidth, plane = oh * ow, positions = height * width;
        int[] outShape = x.Rank == 3 ? [batch, _outChannels, ow] : [batch, _outChannels, oh, ow];
        bool unsigned = _then?.Unsigned ?? _reference.Unsigned;
        if (Tiled(window, height, width))
        {
            var output = _output.Get((long)batch * _outChannels * plane);
            TiledRows(x.As<sbyte>(), batch, height, width, output);
            state.SetInt8(Outputs[0], _output.Wrap(outShape, output), unsigned);
            return;
        }
        var sums = _sums.Get(batch * _outChannels * plane);
        var bias = _reference.Bias;
        for (int n = 0; n < batch; n++)
        for (int m = 0; m < _outChannels; m++) sums.AsSpan((n * _outChannels + m) * plane, plane).Fill(bias?[m] ?? 0);
        int tiles = (positions + Int8Gemm.TileColumns - 1) / Int8Gemm.TileColumns, items = batch * tiles;
        bool disjoint = _kernelHeight * window.DilationHeight <= window.StrideHeight && _kernelWidth * window.DilationWidth <= window.StrideWidth;
        int workers = disjoint ? _threads : 1;
        int kGroups = Int8Gemm.KGroups(_inChannels), area = _kernelHeight * _kernelWidth;
        var xs = x.As<sbyte>();
        if (items > 0)
        {
            int chunks = Math.Min(items, Math.Max(1, workers) * 4);
            CpuParallel.For(chunks, workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
            {
                var tile = new byte[kGroups * Int8Gemm.TileColumns * 4];
                var c = new int[Int8Gemm.RowBlock * Int8Gemm.TileColumns];
                Span<int> columnSum = stackalloc int[Int8Gemm.TileColumns];
                // Per tile column: the output row and column its (0, 0) tap lands on (no division per tap).
                Span<int> rowBase = stackalloc int[Int8Gemm.TileColumns];
                Span<int> columnBase = stackalloc int[Int8Gemm.TileColumns];
                fixed (sbyte* xp = xs)
                fixed (byte* tp = tile)
                fixed (int* cp = c)
                fixed (sbyte* ap = _packed)
                {
                    for (int item = items * chunk / chunks, end = items * (chunk + 1) / chunks; item < end; item++)
                    {
                        int n = item / tiles, p0 = item % tiles * Int8Gemm.TileColumns, valid = Math.Min(Int8Gemm.TileColumns, positions - p0);
                        Int8Convolution.PackPointwise(xp + (long)n * _inChannels * positions, positions, _inChannels, p0, valid, tp);
                        if (_columnSums) Int8Convolution.ColumnSums(tp, _inChannels, valid, columnSum);
                        for (int j = 0; j < valid; j++)
                        {
                            int p = p0 + j;
                            rowBase[j] = p / width * window.StrideHeight - window.PadTop;
                            columnBase[j] = p % width * window.StrideWidth - window.PadLeft;
                        }
                        for (int r0 = 0; r0 < _rows; r0 += Int8Gemm.RowBlock)
                        {
                            Int8Gemm.Tile(_isa, tp, ap + Int8Gemm.BlockOffset(_isa, r0, kGroups), kGroups, cp);
                            for (int r = r0; r < Math.Min(_rows, r0 + Int8Gemm.RowBlock); r++)
                            {
                                int m = r / area, ky = r % area / _kernelWidth, kx = r % _kernelWidth;
                                int offset = _rowOffset[r], zw = _rowZero[r];
                                int* row = cp + (r - r0) * Int8Gemm.TileColumns;
                                int baseIndex = (n * _outChannels + m) * plane;
                                int dy = ky * window.DilationHeight, dx = kx * window.DilationWidth;
                                for (int j = 0; j < valid; j++)
                                {
                                    int oy = rowBase[j] + dy, ox = columnBase[j] + dx;
                                    if ((uint)oy >= (uint)oh || (uint)ox >= (uint)ow) continue;
                                    sums[baseIndex + oy * ow + ox] += row[j] + offset - (_columnSums ? zw * columnSum[j] : 0);
                                }
                            }
                        }
                    }
                }
            });
        }
        var y = _output.Get(sums.Length);
        int channelsTotal = batch * _outChannels;
        CpuParallel.For(Math.Min(channelsTotal, Math.Max(1, _threads) * 4), _threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
        {
            int chunks = Math.Min(channelsTotal, Math.Max(1, _threads) * 4);
            for (int i = channelsTotal * chunk / chunks, end = channelsTotal * (chunk + 1) / chunks; i < end; i++)
            {
                _channels[i % _outChannels].Row(sums.AsSpan(i * plane, plane), 0, default, 0, y.AsSpan(i * plane, plane));
                if (_then is { } then) then.Apply(y.AsSpan(i * plane, plane));
            }
        });
        state.SetInt8(Outputs[0], _output.Wrap(outShape, y), unsigned);
    }

    /// <summary>Whether the kernel tiles the output exactly: kernel = stride on both axes, no dilation, no padding and
    /// no output padding (output = input x stride), so each output is one input position's contribution.</summary>
    private bool Tiled(Window window, int height, int width) =>
        window.KernelHeight == _kernelHeight && window.KernelWidth == _kernelWidth
        && window.StrideHeight == _kernelHeight && window.StrideWidth == _kernelWidth && window.DilationHeight == 1 && window.DilationWidth == 1
        && window is { PadTop: 0, PadLeft: 0, PadBottom: 0, PadRight: 0 }
        && window.OutputHeight == height * _kernelHeight && window.OutputWidth == width * _kernelWidth;

    /// <summary>The tiling case (<see cref="Tiled"/>, the 2x2 stride-2 upsampling of a DB head), one input row at a
    /// time: the GEMM gives, for each row (m, ky, kx) and input column ix, the sum that is output (m, iy kh + ky,
    /// ix kw + kx) alone; for each (m, ky) the kw rows are interleaved into one output row of int32 with every
    /// correction added (row offset, bias, weight zero point times the column's input sum), which is requantized
    /// (and put through the fused table) straight into the output: no int32 planes, no scatter. Input rows run in
    /// parallel (each writes its own kh output rows).</summary>
    private void TiledRows(sbyte[] x, int batch, int height, int width, sbyte[] y)
    {
        int kh = _kernelHeight, kw = _kernelWidth, oh = height * kh, ow = width * kw, positions = height * width;
        int tiles = (width + Int8Gemm.TileColumns - 1) / Int8Gemm.TileColumns, span = tiles * Int8Gemm.TileColumns;
        int kGroups = Int8Gemm.KGroups(_inChannels), tileBytes = kGroups * Int8Gemm.TileColumns * 4;
        int blocks = (_rows + Int8Gemm.RowBlock - 1) / Int8Gemm.RowBlock;
        int items = batch * height;
        if (items == 0 || width == 0) return;
        long macs = (long)items * width * _rows * _inChannels;
        int threads = macs < (1 << 20) ? 1 : _threads;
        int chunks = Math.Min(items, Math.Max(1, threads) * 4);
        CpuParallel.For(chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
        {
            var tile = t_tiles is { } t && t.Length >= tiles * tileBytes ? t : t_tiles = new byte[tiles * tileBytes];
            int sumLength = blocks * Int8Gemm.RowBlock * span + span;
            var c = t_sums is { } s && s.Length >= sumLength ? s : t_sums = new int[sumLength];
            var line = t_line is { } l && l.Length >= ow + 8 ? l : t_line = new int[ow + 8];
            fixed (sbyte* xp = x)
            fixed (byte* tp = tile)
            fixed (int* cp = c)
            fixed (int* lp = line)
            fixed (sbyte* ap = _packed)
            {
                int* columnSum = cp + blocks * Int8Gemm.RowBlock * span;
                for (int item = items * chunk / chunks, end = items * (chunk + 1) / chunks; item < end; item++)
                {
                    int n = item / height, iy = item % height;
                    sbyte* xn = xp + (long)n * _inChannels * positions;
                    for (int i = 0; i < tiles; i++)
                    {
                        int p0 = iy * width + i * Int8Gemm.TileColumns, valid = Math.Min(Int8Gemm.TileColumns, width - i * Int8Gemm.TileColumns);
                        Int8Convolution.PackPointwise(xn, positions, _inChannels, p0, valid, tp + i * tileBytes);
                        if (_columnSums) Int8Convolution.ColumnSums(tp + i * tileBytes, _inChannels, valid, new Span<int>(columnSum + i * Int8Gemm.TileColumns, valid));
                    }
                    for (int block = 0; block < blocks; block++)
                    {
                        for (int i = 0; i < tiles; i++)
                        {
                            Int8Gemm.Tile(_isa, tp + i * tileBytes, ap + Int8Gemm.BlockOffset(_isa, block * Int8Gemm.RowBlock, kGroups), kGroups,
                                cp + (long)block * Int8Gemm.RowBlock * span + i * Int8Gemm.TileColumns, span);
                        }
                    }
                    for (int m = 0; m < _outChannels; m++)
                    {
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int r0 = (m * kh + ky) * kw;
                            Interleave(cp, span, r0, kw, width, _bias[m], columnSum, lp);
                            var output = y.AsSpan(((n * _outChannels + m) * oh + iy * kh + ky) * ow, ow);
                            _channels[m].Row(new ReadOnlySpan<int>(lp, ow), 0, default, 0, output);
                            _then?.Apply(output);
                        }
                    }
                }
            }
        });
    }

    /// <summary>line[ix kw + kx] = c[r0 + kx][ix] + rowOffset[r0 + kx] + bias - zw[r0 + kx] * columnSum[ix], ix below width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Interleave(int* c, int span, int r0, int kw, int width, int bias, int* columnSum, int* line)
    {
        int ix = 0;
        if (kw == 2 && !_columnSums && Avx2.IsSupported)
        {
            int* a = c + (long)r0 * span, b = a + span;
            var oa = Vector256.Create(_rowOffset[r0] + bias);
            var ob = Vector256.Create(_rowOffset[r0 + 1] + bias);
            for (; ix + 8 <= width; ix += 8)
            {
                var va = Avx.LoadVector256(a + ix) + oa;
                var vb = Avx.LoadVector256(b + ix) + ob;
                var low = Avx2.UnpackLow(va, vb);    // ix 0, 1 | 4, 5 of the eight, each (kx 0, kx 1)
                var high = Avx2.UnpackHigh(va, vb);  // 2, 3 | 6, 7
                Avx.Store(line + 2 * ix, Avx2.Permute2x128(low, high, 0x20));
                Avx.Store(line + 2 * ix + 8, Avx2.Permute2x128(low, high, 0x31));
            }
        }
        for (int kx = 0; kx < kw; kx++)
        {
            int* row = c + (long)(r0 + kx) * span;
            int offset = _rowOffset[r0 + kx] + bias, zw = _rowZero[r0 + kx];
            for (int j = ix; j < width; j++) line[j * kw + kx] = row[j] + offset - (_columnSums ? zw * columnSum[j] : 0);
        }
    }
}
