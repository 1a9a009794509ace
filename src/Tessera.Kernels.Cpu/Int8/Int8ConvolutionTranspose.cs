using System.Runtime.CompilerServices;
using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of an ungrouped <see cref="TransposedConvolutionStep"/>, bit for bit the same: one int8
/// GEMM gives, for every input position, the contribution to each (output channel, ky, kx) (rows: the weights
/// transposed to [out x k x k][in], packed once; columns: input positions), which is scattered into int32 output
/// planes that start at the bias, then each channel is requantized. Tiles of input positions run in parallel when
/// the kernel does not exceed the stride (no two positions write the same output); otherwise on one thread.</summary>
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

    public Int8ConvolutionTranspose(TransposedConvolutionStep reference, int threads, Int8Isa isa)
        : base(reference.Name, [.. reference.Inputs], [.. reference.Outputs])
    {
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
        var q = reference.Requantizer;
        _channels = Enumerable.Range(0, _outChannels).Select(m =>
        {
            int c = q.Channels == 1 ? 0 : m;
            return new ChannelRequantization(q.Multipliers[c], q.Shifts[c], q.InputShift, q.ZeroPoint, q.Minimum, q.Maximum);
        }).ToArray();
    }

    public override string Kind => _reference.Kind;

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
            }
        });
        state.SetInt8(Outputs[0], _output.Wrap(outShape, y), _reference.Unsigned);
    }
}
