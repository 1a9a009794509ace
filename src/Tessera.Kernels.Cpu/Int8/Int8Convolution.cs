using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of a requantizing <see cref="ConvolutionStep"/>, bit for bit the same result.
/// Ordinary and grouped convolutions run as an implicit GEMM per group: the weights are packed once, each tile
/// of 32 output positions is gathered (im2col, padding reading the input zero point) into VPDPBUSD's layout as
/// x + 128, and the exact sum of (x - zx)(w - zw) is recovered as
/// sum (x + 128) w - (128 + zx) sum w + K zx zw - zw sum x + bias (the last column term only when a weight zero
/// point is not 0). Depthwise convolutions (one input channel per output channel) run a direct kernel on a
/// padded, phase-split plane of x - zx: int16 row pairs with VPMADDWD / VPDPWSSD under the Avx2 and AvxVnni ISAs,
/// int32 under Scalar. The fixed-point requantization is fused into both.</summary>
public sealed unsafe class Int8Convolution : IntegerStep
{
    private readonly ConvolutionStep _reference;
    private readonly Requantizer _requantizer;
    private readonly int _threads;
    private readonly Int8Isa _isa;
    private readonly int _outChannels, _groupChannels, _kernelArea;
    private readonly ChannelRequantization[] _channels;
    private readonly int[] _weightZero;
    private readonly int[] _bias;
    // Implicit GEMM: per group, packed weights; per output channel, the constant part of the correction.
    private readonly sbyte[][] _packed = [];
    private readonly int[] _rowOffset = [];
    private readonly bool _columnSums;
    // Depthwise: (w - zw) per channel and tap.
    private readonly int[] _depthwiseWeights = [];
    // Depthwise under AVX2/AVX-VNNI: per channel, pair of kernel rows (ky, ky + 1) and column kx, (w - zw) of both
    // taps as two int16 in one int32 (the second 0 for the last row of an odd kernel height).
    private readonly int[] _pairWeights = [];
    private readonly int _kernelWidth;
    private readonly bool _depthwise;
    // Depthwise under AVX-VNNI when every w - zw fits in a signed byte: per channel, quad of kernel rows
    // (4kq .. 4kq + 3) and column kx, the four taps' w - zw as bytes of one int32 (0 past the kernel's last row),
    // and per channel bias - (128 + zx) * sum (w - zw), the offset that turns sum (x + 128)(w - zw) into
    // sum (x - zx)(w - zw) + bias.
    private readonly int[] _quadWeights = [];
    private readonly int[] _quadOffset = [];
    private readonly bool _quads;
    // Few-channel stride-2 stems under AVX2 (StemRows): per block of four output channels and tap (channel, ky,
    // kx pair p), for each of the four channels (w[2p] - zw, w[2p + 1] - zw) as two int16 in one int32 (0 past the
    // kernel's width and for channels past the last); the padded int16 input planes and tap offsets, reused.
    private readonly int[] _stemWeights = [];
    private readonly int _stemKernelWidth;
    private short[]? _stemPlanes;
    private int[]? _stemOffsets;
    private (int Channels, int PlaneLength, int RowLength) _stemOffsetsFor;
    private (int[] Shape, int Group, Window Window, int[] OutShape)? _plan;
    // im2col tap table (Taps) and the plane size and window it was made for.
    private int[] _taps = [];
    private (int Plane, int Kh, int Kw, int Dh, int Dw) _tapsFor;
    private readonly ReusedBuffer<sbyte> _output = new();
    // A residual Add fused into the GEMM epilogue: each requantized row of up to 256 outputs is added to the other
    // operand's row (the Add's own arithmetic: AddPlanes under AVX512-VBMI, else the Add's 64 KB pair table,
    // Int8Binary.Table) and only the Add's output is written.
    private readonly BinaryStep? _add;
    private readonly AddPlanes? _addPlanes;
    private readonly sbyte[]? _addPairs;
    // Under AVX2, the Add written as a line when that is exact for all pairs (AddLine.For): the epilogue computes it
    // on eight lanes instead of reading the 64 KB table.
    private readonly AddLine? _addLine;
    private readonly bool _convOnLeft;
    // A 256-entry table (an elementwise step, or a chain of them, that was the only reader of this step's output)
    // applied to each output row as it is written (ByteTable.Unary in place); the table's output is the step's.
    private readonly Int8Lookup? _then;

    [ThreadStatic] private static byte[]? t_tile;
    [ThreadStatic] private static int[]? t_scratch;
    [ThreadStatic] private static short[]? t_planes;
    [ThreadStatic] private static byte[]? t_quads;
    [ThreadStatic] private static sbyte[]? t_row;

    public Int8Convolution(ConvolutionStep reference, int threads, Int8Isa isa) : this(reference, threads, isa, null, null) { }

    /// <summary>A convolution whose output only <paramref name="then"/> (a table step reading it) reads, as one step:
    /// each requantized output row goes through the table before it is stored, and the step's output is the table's;
    /// the convolution's own output is not made.</summary>
    internal Int8Convolution(ConvolutionStep reference, Int8Lookup then, int threads, Int8Isa isa) : this(reference, threads, isa, null, then) { }

    /// <summary>A convolution followed by <paramref name="add"/> (equal shapes, fixed point) of its output and another
    /// value, as one step: the inputs are the convolution's input and the Add's other operand, the output the
    /// Add's; the convolution's own output is not made. Only a GEMM (not depthwise) convolution
    /// (<see cref="CanFuse"/>).</summary>
    /// <remarks><paramref name="lines"/> false keeps the Add's pair table under AVX2 even where it has a line (tests).</remarks>
    internal Int8Convolution(ConvolutionStep reference, BinaryStep add, int threads, Int8Isa isa, bool lines = true)
        : this(reference, threads, isa, (add, add.Inputs[0] == reference.Outputs[0]), null, lines)
    {
    }

    private Int8Convolution(ConvolutionStep reference, int threads, Int8Isa isa, (BinaryStep Add, bool ConvOnLeft)? residual, Int8Lookup? then, bool lines = true)
        : base(reference.Name, residual is null ? [.. reference.Inputs] : [reference.Inputs[0], Other(residual.Value.Add, residual.Value.ConvOnLeft)],
            then is not null ? [then.Outputs[0]] : residual is null ? [.. reference.Outputs] : [.. residual.Value.Add.Outputs])
    {
        if (then is not null)
        {
            if (residual is not null) throw new ArgumentException("a convolution with a fused Add takes no table", nameof(then));
            if (then.Inputs[0] != reference.Outputs[0]) throw new ArgumentException($"{then.Name} does not read {reference.Outputs[0]}", nameof(then));
            _then = then;
        }
        if (residual is { } fused)
        {
            _add = fused.Add;
            _convOnLeft = fused.ConvOnLeft;
            _addPlanes = AddPlanes.For(fused.Add);
            if (_addPlanes is null) _addPairs = Int8Binary.Table(fused.Add);
            if (lines && _addPairs is not null && isa != Int8Isa.Scalar && Avx2.IsSupported) _addLine = AddLine.For(fused.Add, _addPairs);
        }
        _reference = reference;
        _requantizer = reference.Requantizer ?? throw new ArgumentException("only a requantizing convolution has a fast form", nameof(reference));
        _threads = threads;
        _isa = isa;
        var shape = reference.Weights.Shape;
        _outChannels = shape[0];
        _groupChannels = shape[1];
        _kernelArea = (int)ShapeMath.ElementCount(shape.AsSpan(2));
        _weightZero = Enumerable.Range(0, _outChannels).Select(m => reference.WeightZero.Length == 1 ? reference.WeightZero[0] : reference.WeightZero[m]).ToArray();
        _bias = reference.Bias ?? new int[_outChannels];
        _channels = Enumerable.Range(0, _outChannels).Select(m =>
        {
            int c = _requantizer.Channels == 1 ? 0 : m;
            return new ChannelRequantization(_requantizer.Multipliers[c], _requantizer.Shifts[c], _requantizer.InputShift, _requantizer.ZeroPoint, _requantizer.Minimum, _requantizer.Maximum);
        }).ToArray();
        var w = reference.Weights.As<sbyte>();
        // A group with one input channel and one output channel is depthwise.
        int groups = (int)new KernelContext(reference.Node, 0, []).GetInt("group", 1);
        _depthwise = IsDepthwise(reference);
        if (_depthwise)
        {
            _depthwiseWeights = new int[w.Length];
            for (int i = 0; i < w.Length; i++) _depthwiseWeights[i] = w[i] - _weightZero[i / _kernelArea];
            _kernelWidth = shape[^1];
            int kh = _kernelArea / _kernelWidth, khPairs = (kh + 1) / 2;
            _pairWeights = new int[_outChannels * khPairs * _kernelWidth];
            for (int m = 0; m < _outChannels; m++)
            for (int kp = 0; kp < khPairs; kp++)
            for (int kx = 0; kx < _kernelWidth; kx++)
            {
                int first = _depthwiseWeights[(m * kh + 2 * kp) * _kernelWidth + kx];
                int second = 2 * kp + 1 < kh ? _depthwiseWeights[(m * kh + 2 * kp + 1) * _kernelWidth + kx] : 0;
                _pairWeights[(m * khPairs + kp) * _kernelWidth + kx] = (ushort)(short)first | (second << 16);
            }
            _quads = isa == Int8Isa.AvxVnni && AvxVnni.IsSupported && _depthwiseWeights.All(v => v is >= sbyte.MinValue and <= sbyte.MaxValue);
            if (_quads)
            {
                int khQuads = (kh + 3) / 4, zx0 = reference.InputZero;
                _quadWeights = new int[_outChannels * khQuads * _kernelWidth];
                _quadOffset = new int[_outChannels];
                for (int m = 0; m < _outChannels; m++)
                {
                    long sum = 0;
                    for (int t = 0; t < _kernelArea; t++) sum += _depthwiseWeights[m * _kernelArea + t];
                    _quadOffset[m] = unchecked((int)(_bias[m] - (128L + zx0) * sum));
                    for (int kq = 0; kq < khQuads; kq++)
                    for (int kx = 0; kx < _kernelWidth; kx++)
                    {
                        int packed = 0;
                        for (int b = 0; b < 4; b++)
                        {
                            int ky = 4 * kq + b;
                            if (ky < kh) packed |= (byte)(sbyte)_depthwiseWeights[(m * kh + ky) * _kernelWidth + kx] << (8 * b);
                        }
                        _quadWeights[(m * khQuads + kq) * _kernelWidth + kx] = packed;
                    }
                }
            }
            return;
        }
        int k = _groupChannels * _kernelArea;
        if (groups <= 0 || _outChannels % groups != 0) throw new InvalidInputException($"{_outChannels} output channels do not split into {groups} groups", Name);
        int perGroup = _outChannels / groups;
        _packed = new sbyte[groups][];
        _rowOffset = new int[_outChannels];
        int zx = reference.InputZero;
        for (int group = 0; group < groups; group++)
        {
            var (packed, sums) = Int8Gemm.PackWeights(w.AsSpan(group * perGroup * k, perGroup * k), perGroup, k, isa);
            _packed[group] = packed;
            for (int r = 0; r < perGroup; r++)
            {
                int m = group * perGroup + r;
                _rowOffset[m] = unchecked(_bias[m] - (128 + zx) * sums[r] + k * zx * _weightZero[m]);
            }
        }
        _columnSums = _weightZero.Any(z => z != 0);
        if (isa == Int8Isa.Avx2 && residual is null && groups == 1 && shape.Length == 4 && _groupChannels <= 4 && _kernelArea is > 1 and <= 49)
        {
            int kh = shape[2], kw = shape[3], kwPairs = (kw + 1) / 2, taps = _groupChannels * kh * kwPairs;
            int blocks = (_outChannels + StemBlock - 1) / StemBlock;
            _stemKernelWidth = kw;
            _stemWeights = new int[blocks * taps * StemBlock];
            for (int m = 0; m < _outChannels; m++)
            for (int c = 0; c < _groupChannels; c++)
            for (int ky = 0; ky < kh; ky++)
            for (int p = 0; p < kwPairs; p++)
            {
                int at = ((m * _groupChannels + c) * kh + ky) * kw + 2 * p;
                int first = w[at] - _weightZero[m], second = 2 * p + 1 < kw ? w[at + 1] - _weightZero[m] : 0;
                int t = (c * kh + ky) * kwPairs + p;
                _stemWeights[(m / StemBlock * taps + t) * StemBlock + m % StemBlock] = (ushort)(short)first | second << 16;
            }
        }
    }

    private static string Other(BinaryStep add, bool convOnLeft) => add.Inputs[convOnLeft ? 1 : 0];

    public override string Kind => (_add is null ? _reference.Kind : _reference.Kind + "+Add") + (_then is null ? "" : "+" + Int8Lookup.Suffix(_then.Kind));

    private bool OutputUnsigned => _then?.Unsigned ?? _reference.Unsigned;

    /// <summary>The fused table (if any) on an output row, in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Then(Span<sbyte> output)
    {
        if (_then is { } t) t.Apply(output);
    }

    /// <summary>Whether the fused Add runs as its line (<see cref="AddLine"/>) rather than its pair table.</summary>
    internal bool AddsByLine => _addLine is not null;

    public override string Parameters => _reference.Parameters + (_add is null ? "" : " add " + _add.Parameters + (_addLine is null ? "" : " cpu=add-line")) + (_quads ? " cpu=depthwise-quads" : _depthwise ? " cpu=depthwise" : $" cpu={_isa}");

    /// <summary>Whether the fast kernels cover the step (a requantizing 1-D or 2-D convolution).</summary>
    public static bool Covers(ConvolutionStep step) => step.Requantizer is { Rounding: RequantizationRounding.Double } && step.Weights.Rank is 3 or 4;

    /// <summary>Whether <paramref name="add"/>, reading the output of <paramref name="conv"/> (covered), can run in
    /// its epilogue: a GEMM (not depthwise) convolution, a fixed-point Add with a plane form or (AVX2) its pair
    /// table, the other operand not the convolution's own output. Equal shapes are checked when the step runs
    /// (otherwise it fails).</summary>
    internal static bool CanFuse(ConvolutionStep conv, BinaryStep add) =>
        (AddPlanes.For(add) is not null || Avx2.IsSupported && !add.IsMultiply && !add.FloatArithmetic && !add.OnnxRuntime)
        && add.Inputs[0] != add.Inputs[1] && !IsDepthwise(conv);

    private static bool IsDepthwise(ConvolutionStep conv) =>
        conv.Weights.Shape[1] == 1 && new KernelContext(conv.Node, 0, []).GetInt("group", 1) == conv.Weights.Shape[0];

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        var plan = Plan(x.Shape);
        int[] lifted = Windows.Lift(x.Shape);
        var y = _output.Get(ShapeMath.ElementCount(plan.OutShape));
        if (_add is not null)
        {
            var other = state.Int8(Inputs[1]);
            if (!other.Shape.AsSpan().SequenceEqual(plan.OutShape)) throw new InvalidInputException($"the fused Add's operand has shape [{string.Join(",", other.Shape)}], the convolution's output [{string.Join(",", plan.OutShape)}]", Name);
            Gemm(x.As<sbyte>(), lifted, plan.Group, plan.Window, y, other.As<sbyte>());
            state.SetInt8(Outputs[0], _output.Wrap(plan.OutShape, y), _add.Unsigned);
            return;
        }
        if (_depthwise) Depthwise(x.As<sbyte>(), lifted, plan.Window, y);
        else if (IsStem(plan.Group, plan.Window)) StemRows(x.As<sbyte>(), lifted, plan.Window, y);
        else Gemm(x.As<sbyte>(), lifted, plan.Group, plan.Window, y, null);
        state.SetInt8(Outputs[0], _output.Wrap(plan.OutShape, y), OutputUnsigned);
    }

    private (int[] Shape, int Group, Window Window, int[] OutShape) Plan(int[] xShape)
    {
        if (_plan is { } p && p.Shape.AsSpan().SequenceEqual(xShape)) return p;
        var attributes = new KernelContext(_reference.Node, 0, []);
        var (geometry, group) = Convolution.Prepare(attributes, xShape, _reference.Weights.Shape);
        var window = Windows.FromGeometry(geometry, Name);
        int[] lifted = Windows.Lift(xShape);
        if (lifted[1] != _groupChannels * group) throw new InvalidInputException($"input has {lifted[1]} channels, weights expect {_groupChannels} x {group} groups", Name);
        var plan = ((int[])xShape.Clone(), group, window, Convolution.OutputShape(xShape, _outChannels, geometry));
        _plan = plan;
        return plan;
    }

    /// <summary>A step whose input and output both hold fewer than <see cref="CpuParallel.SerialBelowElements"/>
    /// values runs on the calling thread, the float kernels' rule: handing its chunks to a second thread costs more
    /// than it saves (BlazeFace front at 2 threads ran slower than at 1).</summary>
    internal static bool Small(long inputs, long outputs) => Math.Max(inputs, outputs) < CpuParallel.SerialBelowElements;

    /// <summary>Tiles per work item: the requantization of one channel runs over this many tiles' columns at once
    /// (one call per 128 outputs, not per 32: its per-call set-up was a large part of a pointwise convolution).</summary>
    internal const int TilesPerItem = 4;

    /// <summary>Tiles per work item at depth <paramref name="k"/>: twice <see cref="TilesPerItem"/> (256 outputs per
    /// requantization and fused-Add call) while the item's packed tiles stay within 16 KB (k &lt;= 64: BlazeFace's
    /// pointwise convolutions made 24 calls of each kind per 128 outputs).</summary>
    internal static int TilesAt(int k) => k <= 64 ? 2 * TilesPerItem : TilesPerItem;

    private void Gemm(sbyte[] x, int[] xShape, int group, Window window, sbyte[] y, sbyte[]? residual)
    {
        int batch = xShape[0], channels = xShape[1], height = xShape[2], width = xShape[3];
        int oh = window.OutputHeight, ow = window.OutputWidth, positions = oh * ow;
        int perGroup = _outChannels / group, k = _groupChannels * _kernelArea, kGroups = Int8Gemm.KGroups(k);
        int tilesPerItem = TilesAt(k), span = tilesPerItem * Int8Gemm.TileColumns;
        int spans = (positions + span - 1) / span;
        int items = batch * group * spans;
        if (items == 0) return;
        bool pointwise = window is { KernelHeight: 1, KernelWidth: 1, StrideHeight: 1, StrideWidth: 1, PadTop: 0, PadLeft: 0, PadBottom: 0, PadRight: 0 };
        int zx = _reference.InputZero;
        long macs = (long)batch * group * positions * k * perGroup;
        int threads = macs < (1 << 20) || Small(x.Length, y.Length) ? 1 : _threads;
        var planes = _addPlanes;
        var pairs = _addPairs;
        var line = _addLine;
        bool fusedAdd = planes is not null || pairs is not null;
        int[] taps = pointwise ? [] : Taps(height * width, window);
        bool convOnLeft = _convOnLeft;
        fixed (sbyte* xp = x)
        fixed (sbyte* yp = y)
        fixed (sbyte* rp = residual)
        {
            sbyte* xBase = xp;
            sbyte* yBase = yp;
            sbyte* rBase = rp;
            CpuParallel.For(Math.Min(items, Math.Max(1, threads) * 8), threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
            {
                int chunks = Math.Min(items, Math.Max(1, threads) * 8);
                int tileBytes = kGroups * Int8Gemm.TileColumns * 4;
                var tile = t_tile is { } t && t.Length >= tilesPerItem * tileBytes ? t : t_tile = new byte[Math.Max(tilesPerItem * tileBytes, 4096)];
                int scratchLength = Int8Gemm.RowBlock * span + span;
                var scratch = t_scratch is { } s && s.Length >= scratchLength ? s : t_scratch = new int[scratchLength];
                var columnSum = scratch.AsSpan(Int8Gemm.RowBlock * span, span);
                sbyte[] row = !fusedAdd ? [] : t_row is { } w && w.Length >= span ? w : t_row = new sbyte[span];
                fixed (byte* tp = tile)
                fixed (int* cp = scratch)
                {
                    for (int item = (int)((long)items * chunk / chunks), end = (int)((long)items * (chunk + 1) / chunks); item < end; item++)
                    {
                        int n = item / (group * spans), g = item / spans % group, p0 = item % spans * span;
                        int valid = Math.Min(span, positions - p0);
                        int tiles = (valid + Int8Gemm.TileColumns - 1) / Int8Gemm.TileColumns;
                        sbyte* xg = xBase + ((long)n * channels + g * _groupChannels) * height * width;
                        for (int i = 0; i < tiles; i++)
                        {
                            int q0 = p0 + i * Int8Gemm.TileColumns, part = Math.Min(Int8Gemm.TileColumns, valid - i * Int8Gemm.TileColumns);
                            if (pointwise) PackPointwise(xg, height * width, _groupChannels, q0, part, tp + i * tileBytes);
                            else PackPatches(xg, height, width, window, _groupChannels, zx, q0, part, tp + i * tileBytes, taps);
                            if (_columnSums) ColumnSums(tp + i * tileBytes, k, part, columnSum.Slice(i * Int8Gemm.TileColumns, part));
                        }
                        var packed = _packed[g];
                        fixed (sbyte* ap = packed)
                        {
                            for (int r0 = 0; r0 < perGroup; r0 += Int8Gemm.RowBlock)
                            {
                                for (int i = 0; i < tiles; i++)
                                {
                                    Int8Gemm.Tile(_isa, tp + i * tileBytes, ap + Int8Gemm.BlockOffset(_isa, r0, kGroups), kGroups, cp + i * Int8Gemm.TileColumns, span);
                                }
                                int rows = Math.Min(Int8Gemm.RowBlock, perGroup - r0);
                                for (int r = 0; r < rows; r++)
                                {
                                    int m = g * perGroup + r0 + r;
                                    long at = ((long)n * _outChannels + m) * positions + p0;
                                    var output = new Span<sbyte>(yBase + at, valid);
                                    if (pairs is not null && _channels[m].Narrow)
                                    {
                                        // AVX2: the requantized values go straight into the Add (its line, else the pair-table
                                        // indices), 32 at a time; the rest of the row through the table.
                                        var acc = new ReadOnlySpan<int>(cp + r * span, valid);
                                        var other = new ReadOnlySpan<sbyte>(rBase + at, valid);
                                        var columns = _columnSums ? columnSum[..valid] : default;
                                        int done = line is not null
                                            ? _channels[m].RowLine(acc, _rowOffset[m], columns, -_weightZero[m], other, line, convOnLeft, output)
                                            : _channels[m].RowPairs(acc, _rowOffset[m], columns, -_weightZero[m], other, pairs, convOnLeft, output);
                                        if (done == valid) continue;
                                        var rest = row.AsSpan(0, valid - done);
                                        _channels[m].Row(acc[done..], _rowOffset[m], _columnSums ? columns[done..] : default, -_weightZero[m], rest);
                                        if (convOnLeft) ByteTable.Binary(rest, other[done..], pairs, output[done..]);
                                        else ByteTable.Binary(other[done..], rest, pairs, output[done..]);
                                        continue;
                                    }
                                    _channels[m].Row(new ReadOnlySpan<int>(cp + r * span, valid), _rowOffset[m],
                                        _columnSums ? columnSum[..valid] : default, -_weightZero[m], !fusedAdd ? output : row.AsSpan(0, valid));
                                    if (planes is not null)
                                    {
                                        var other = new ReadOnlySpan<sbyte>(rBase + at, valid);
                                        if (convOnLeft) planes.Run(row.AsSpan(0, valid), other, output);
                                        else planes.Run(other, row.AsSpan(0, valid), output);
                                    }
                                    else if (pairs is not null)
                                    {
                                        var other = new ReadOnlySpan<sbyte>(rBase + at, valid);
                                        if (convOnLeft) ByteTable.Binary(row.AsSpan(0, valid), other, pairs, output);
                                        else ByteTable.Binary(other, row.AsSpan(0, valid), pairs, output);
                                    }
                                    Then(output);
                                }
                            }
                        }
                    }
                }
            });
        }
    }

    /// <summary>Output channels per pass of <see cref="StemRows"/> (eight int32 accumulators: four channels x 16 outputs).</summary>
    private const int StemBlock = 4;

    /// <summary>Whether the direct few-channel kernel (<see cref="StemRows"/>) runs this step: AVX2 (no VNNI), not depthwise and not fused with an
    /// Add, one group of at most four input channels, stride 2 and dilation 1 both ways.</summary>
    private bool IsStem(int group, Window window) =>
        _stemWeights.Length != 0 && _isa == Int8Isa.Avx2 && Avx2.IsSupported && _add is null && group == 1
        && window is { StrideHeight: 2, StrideWidth: 2, DilationHeight: 1, DilationWidth: 1 }
        && window.KernelHeight * window.KernelWidth == _kernelArea && window.KernelWidth == _stemKernelWidth;

    /// <summary>The few-channel stride-2 convolution (a stem: 3 input channels, 3x3 or 5x5) under AVX2, direct: one
    /// padded int16 plane of x - zx per input channel, not split by stride (<see cref="PaddedPlane"/>), read as int16
    /// pairs from column 2 ox + 2p, which holds taps kx = 2p, 2p + 1 of output ox; one VPMADDWD per pair multiplies
    /// them by (w[2p], w[2p + 1]) (0 past the kernel's width) for eight outputs. Per pass, 16 outputs of four output
    /// channels in eight accumulators, each pair load shared by the four channels. Each lane sums at most 4 * 49 products
    /// of at most 255 * 255 (at most four channels, 49 taps: checked when the weights are packed) in int32, exactly;
    /// then each channel's row is requantized with its bias as in the depthwise kernels.</summary>
    private void StemRows(sbyte[] x, int[] xShape, Window window, sbyte[] y)
    {
        int batch = xShape[0], channels = xShape[1], height = xShape[2], width = xShape[3];
        int oh = window.OutputHeight, ow = window.OutputWidth, kh = window.KernelHeight, kw = window.KernelWidth;
        if (batch == 0 || oh * ow == 0) return;
        int ow16 = (ow + 15) / 16 * 16, kwPairs = (kw + 1) / 2;
        int rows = (oh - 1) * 2 + kh;
        int rowLength = 2 * ow16 + 2 * kwPairs + 16;
        int planeLength = rows * rowLength;
        int taps = channels * kh * kwPairs;
        int blocks = (_outChannels + StemBlock - 1) / StemBlock;
        var planes = _stemPlanes is { } b && b.Length >= channels * planeLength ? b : _stemPlanes = new short[channels * planeLength];
        var offsets = _stemOffsets is { } o && o.Length == taps && _stemOffsetsFor == (channels, planeLength, rowLength) ? o : null;
        if (offsets is null)
        {
            offsets = new int[taps];
            for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < kh; ky++)
            for (int p = 0; p < kwPairs; p++)
                offsets[(c * kh + ky) * kwPairs + p] = c * planeLength + ky * rowLength + 2 * p;
            _stemOffsets = offsets;
            _stemOffsetsFor = (channels, planeLength, rowLength);
        }
        long macs = (long)batch * oh * ow * _outChannels * channels * kh * kw;
        int threads = macs < (1 << 20) || Small(x.Length, y.Length) ? 1 : _threads;
        int zx = _reference.InputZero;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                PaddedPlane(x.AsSpan((n * channels + c) * height * width, height * width), height, width, window.PadTop, window.PadLeft,
                    rows, rowLength, zx, planes.AsSpan(c * planeLength, planeLength));
            }
            int chunks = Math.Min(oh, Math.Max(1, threads) * 4);
            int image = n;
            CpuParallel.For(chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
            {
                var acc = t_scratch is { } s && s.Length >= StemBlock * ow16 ? s : t_scratch = new int[StemBlock * ow16];
                for (int oy = oh * chunk / chunks, end = oh * (chunk + 1) / chunks; oy < end; oy++)
                {
                    for (int block = 0; block < blocks; block++)
                    {
                        StemRow(planes, 2 * oy * rowLength, offsets, _stemWeights.AsSpan(block * taps * StemBlock, taps * StemBlock), ow16, acc);
                        for (int i = 0; i < StemBlock && block * StemBlock + i < _outChannels; i++)
                        {
                            int m = block * StemBlock + i;
                            var output = y.AsSpan(((image * _outChannels + m) * oh + oy) * ow, ow);
                            _channels[m].Row(acc.AsSpan(i * ow16, ow), _bias[m], default, 0, output);
                            Then(output);
                        }
                    }
                }
            });
        }
    }

    /// <summary>One output row of four output channels: acc[i * ow16 + ox] for channel i of the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StemRow(short[] planes, int row, int[] offsets, ReadOnlySpan<int> weights, int ow16, int[] acc)
    {
        ref short p = ref planes[row];
        ref int o = ref offsets[0];
        ref int w = ref MemoryMarshal.GetReference(weights);
        ref int a = ref acc[0];
        int taps = offsets.Length;
        for (nuint ox = 0; ox < (nuint)ow16; ox += 16)
        {
            Vector256<int> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
            for (int t = 0; t < taps; t++)
            {
                nuint at = (nuint)Unsafe.Add(ref o, t) + 2 * ox;
                var lo = Vector256.LoadUnsafe(ref p, at);
                var hi = Vector256.LoadUnsafe(ref p, at + 16);
                ref int wt = ref Unsafe.Add(ref w, 4 * t);
                var w0 = Vector256.Create(wt).AsInt16();
                l0 += Avx2.MultiplyAddAdjacent(lo, w0);
                h0 += Avx2.MultiplyAddAdjacent(hi, w0);
                var w1 = Vector256.Create(Unsafe.Add(ref wt, 1)).AsInt16();
                l1 += Avx2.MultiplyAddAdjacent(lo, w1);
                h1 += Avx2.MultiplyAddAdjacent(hi, w1);
                var w2 = Vector256.Create(Unsafe.Add(ref wt, 2)).AsInt16();
                l2 += Avx2.MultiplyAddAdjacent(lo, w2);
                h2 += Avx2.MultiplyAddAdjacent(hi, w2);
                var w3 = Vector256.Create(Unsafe.Add(ref wt, 3)).AsInt16();
                l3 += Avx2.MultiplyAddAdjacent(lo, w3);
                h3 += Avx2.MultiplyAddAdjacent(hi, w3);
            }
            l0.StoreUnsafe(ref a, ox);
            h0.StoreUnsafe(ref a, ox + 8);
            l1.StoreUnsafe(ref a, (nuint)ow16 + ox);
            h1.StoreUnsafe(ref a, (nuint)ow16 + ox + 8);
            l2.StoreUnsafe(ref a, 2 * (nuint)ow16 + ox);
            h2.StoreUnsafe(ref a, 2 * (nuint)ow16 + ox + 8);
            l3.StoreUnsafe(ref a, 3 * (nuint)ow16 + ox);
            h3.StoreUnsafe(ref a, 3 * (nuint)ow16 + ox + 8);
        }
    }

    /// <summary>Sum over the real k of the signed activations x = u - 128 per column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnSums(byte* tile, int k, int valid, Span<int> sums)
    {
        for (int j = 0; j < valid; j++)
        {
            int sum = 0;
            for (int t = 0; t < k; t++) sum += tile[(t / 4 * Int8Gemm.TileColumns + j) * 4 + t % 4] - 128;
            sums[j] = sum;
        }
    }

    /// <summary>1x1 stride-1 unpadded convolution: the tile's column j, k group q holds channels 4q..4q+3 at
    /// position p0 + j, interleaved 16 positions at a time with byte and word unpacks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackPointwise(sbyte* x, int plane, int channels, int p0, int valid, byte* tile)
    {
        int groups = Int8Gemm.KGroups(channels);
        for (int q = 0; q < groups; q++)
        {
            byte* dst = tile + q * Int8Gemm.TileColumns * 4;
            int c0 = q * 4;
            if (c0 + 4 <= channels && valid == Int8Gemm.TileColumns)
            {
                byte* r0 = (byte*)x + (long)c0 * plane + p0;
                Interleave(r0, r0 + plane, r0 + 2L * plane, r0 + 3L * plane, dst);
                continue;
            }
            for (int j = 0; j < Int8Gemm.TileColumns; j++)
            for (int t = 0; t < 4; t++)
            {
                int c = c0 + t;
                dst[j * 4 + t] = c < channels && j < valid ? (byte)(x[(long)c * plane + p0 + j] ^ 0x80) : (byte)0x80;
            }
        }
    }

    /// <summary>Per tap t = (channel, ky, kx) of the weights' order, for <see cref="PackPatches"/>: the channel's plane
    /// offset, ky * dilation and kx * dilation (three ints), made once per input plane size and window (no divisions
    /// per tap and tile).</summary>
    private int[] Taps(int plane, Window window)
    {
        int kh = window.KernelHeight, kw = window.KernelWidth, k = _groupChannels * kh * kw;
        var key = (plane, kh, kw, window.DilationHeight, window.DilationWidth);
        if (_taps.Length == 3 * k && _tapsFor == key) return _taps;
        var taps = new int[3 * k];
        for (int t = 0; t < k; t++)
        {
            taps[3 * t] = t / (kh * kw) * plane;
            taps[3 * t + 1] = t / kw % kh * window.DilationHeight;
            taps[3 * t + 2] = t % kw * window.DilationWidth;
        }
        _tapsFor = key;
        return _taps = taps;
    }

    /// <summary>General im2col for one tile: k = (channel, ky, kx) in the weights' order; a tap outside the input
    /// reads the input zero point, so it adds nothing to the sum of (x - zx)(w - zw). The tile's columns are split
    /// into runs inside one output row; with stride 1 a run reads a contiguous stretch of the input row (copied,
    /// the ends past the input filled with the zero point), then four taps are interleaved at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPatches(sbyte* x, int height, int width, Window window, int channels, int zx, int p0, int valid, byte* tile, int[] taps)
    {
        int ow = window.OutputWidth, kh = window.KernelHeight, kw = window.KernelWidth;
        int k = channels * kh * kw, kGroups = Int8Gemm.KGroups(k);
        if (taps.Length != 3 * k) throw new ArgumentException("one plane offset and two tap offsets per k", nameof(taps));
        const int columns = Int8Gemm.TileColumns;
        Span<int> runStart = stackalloc int[columns + 1];
        Span<int> runRow = stackalloc int[columns + 1];
        Span<int> runColumn = stackalloc int[columns + 1];
        int runs = 0;
        for (int j = 0; j < valid; runs++)
        {
            int p = p0 + j;
            runStart[runs] = j;
            runRow[runs] = p / ow;
            runColumn[runs] = p % ow;
            j += Math.Min(valid - j, ow - p % ow);
        }
        runStart[runs] = valid;
        sbyte* rows = stackalloc sbyte[4 * columns];
        nint* sources = stackalloc nint[4];
        sbyte pad = (sbyte)zx;
        // A full tile inside one output row at stride 1: a tap whose 32 inputs all lie inside the input row is
        // interleaved straight from the input (no copy).
        bool whole = runs == 1 && valid == columns && window.StrideWidth == 1;
        for (int q = 0; q < kGroups; q++)
        {
            for (int t4 = 0; t4 < 4; t4++)
            {
                int t = q * 4 + t4;
                sbyte* buffer = rows + t4 * columns;
                sources[t4] = (nint)buffer;
                if (t >= k || valid < columns) new Span<sbyte>(buffer, columns).Clear();
                if (t >= k) continue;
                sbyte* plane = x + taps[3 * t];
                int dy = taps[3 * t + 1], dx = taps[3 * t + 2];
                if (whole)
                {
                    int iy = runRow[0] * window.StrideHeight - window.PadTop + dy;
                    int ix0 = runColumn[0] - window.PadLeft + dx;
                    if ((uint)iy < (uint)height && ix0 >= 0 && ix0 + columns <= width)
                    {
                        sources[t4] = (nint)(plane + (long)iy * width + ix0);
                        continue;
                    }
                }
                for (int r = 0; r < runs; r++)
                {
                    int j0 = runStart[r], length = runStart[r + 1] - j0;
                    int iy = runRow[r] * window.StrideHeight - window.PadTop + dy;
                    var destination = new Span<sbyte>(buffer + j0, length);
                    if ((uint)iy >= (uint)height)
                    {
                        destination.Fill(pad);
                        continue;
                    }
                    sbyte* source = plane + (long)iy * width;
                    int ix0 = runColumn[r] * window.StrideWidth - window.PadLeft + dx;
                    if (window.StrideWidth == 1)
                    {
                        int left = Math.Clamp(-ix0, 0, length);
                        int right = Math.Clamp(width - ix0, left, length);
                        destination[..left].Fill(pad);
                        new ReadOnlySpan<sbyte>(source + ix0 + left, right - left).CopyTo(destination[left..right]);
                        destination[right..].Fill(pad);
                    }
                    else
                    {
                        int j = 0;
                        if (window.StrideWidth == 2 && Sse2.IsSupported)
                        {
                            // Taps left of the input read the zero point; then 16 columns at a time are the even
                            // bytes of 32 input bytes (masked to the low byte of each int16, packed back).
                            for (; j < length && ix0 + 2 * j < 0; j++) destination[j] = pad;
                            var low = Vector128.Create((short)0xFF);
                            for (; j + 16 <= length && ix0 + 2 * j + 32 <= width; j += 16)
                            {
                                sbyte* from = source + ix0 + 2 * j;
                                var a = Vector128.Load((short*)from) & low;
                                var b = Vector128.Load((short*)(from + 16)) & low;
                                Sse2.PackUnsignedSaturate(a, b).AsSByte().Store(buffer + j0 + j);
                            }
                        }
                        for (; j < length; j++)
                        {
                            int ix = ix0 + j * window.StrideWidth;
                            destination[j] = (uint)ix < (uint)width ? source[ix] : pad;
                        }
                    }
                }
            }
            Interleave((byte*)sources[0], (byte*)sources[1], (byte*)sources[2], (byte*)sources[3], tile + q * columns * 4);
        }
    }

    /// <summary>Four rows of 32 signed bytes (four consecutive k) to the tile's [column][4] layout as x + 128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Interleave(byte* r0, byte* r1, byte* r2, byte* r3, byte* dst)
    {
        var flip = Vector128.Create((byte)0x80);
        if (!Sse2.IsSupported)
        {
            for (int j = 0; j < Int8Gemm.TileColumns; j++)
            {
                dst[j * 4] = (byte)(r0[j] ^ 0x80);
                dst[j * 4 + 1] = (byte)(r1[j] ^ 0x80);
                dst[j * 4 + 2] = (byte)(r2[j] ^ 0x80);
                dst[j * 4 + 3] = (byte)(r3[j] ^ 0x80);
            }
            return;
        }
        for (int j = 0; j < Int8Gemm.TileColumns; j += 16)
        {
            var a = Vector128.Load(r0 + j) ^ flip;
            var b = Vector128.Load(r1 + j) ^ flip;
            var c = Vector128.Load(r2 + j) ^ flip;
            var d = Vector128.Load(r3 + j) ^ flip;
            var abLow = Sse2.UnpackLow(a, b).AsInt16();
            var abHigh = Sse2.UnpackHigh(a, b).AsInt16();
            var cdLow = Sse2.UnpackLow(c, d).AsInt16();
            var cdHigh = Sse2.UnpackHigh(c, d).AsInt16();
            Sse2.UnpackLow(abLow, cdLow).AsByte().Store(dst + j * 4);
            Sse2.UnpackHigh(abLow, cdLow).AsByte().Store(dst + j * 4 + 16);
            Sse2.UnpackLow(abHigh, cdHigh).AsByte().Store(dst + j * 4 + 32);
            Sse2.UnpackHigh(abHigh, cdHigh).AsByte().Store(dst + j * 4 + 48);
        }
    }

    private void Depthwise(sbyte[] x, int[] xShape, Window window, sbyte[] y)
    {
        int batch = xShape[0], channels = xShape[1], height = xShape[2], width = xShape[3];
        int oh = window.OutputHeight, ow = window.OutputWidth, kh = window.KernelHeight, kw = window.KernelWidth;
        int sy = window.StrideHeight, sx = window.StrideWidth;
        int rows = Math.Max((oh - 1) * sy + (kh - 1) * window.DilationHeight + 1, 0);
        int rowLength = (ow + 15) / 16 * 16 + (kw - 1) * window.DilationWidth / sx + 1;
        int planeLength = rows * rowLength * sx;
        int planes = batch * channels;
        if (planes == 0 || oh * ow == 0) return;
        int zx = _reference.InputZero;
        long macs = (long)planes * oh * ow * kh * kw;
        int threads = macs < (1 << 18) || Small(x.Length, y.Length) ? 1 : _threads;
        int chunks = Math.Min(planes, Math.Max(1, threads) * 4);
        if (_quads && kw == _kernelWidth && kh * kw == _kernelArea)
        {
            int length = (rowLength + 15) / 16 * 16, dh = window.DilationHeight;
            int bytes = sx * (rows + 3 * dh) * length + sx * rows * length * 4;
            CpuParallel.For(chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
            {
                var buffer = t_quads is { } b && b.Length >= bytes ? b : t_quads = new byte[bytes];
                // The padded byte planes' padding (zx) is the same for every plane of the step: filled once here,
                // then each plane writes only its values (not two Fill calls per row).
                buffer.AsSpan(0, sx * (rows + 3 * dh) * length).Fill((byte)zx);
                int accLength = QuadBatchRows(oh, ow) * ow + 32;
                var acc = t_scratch is { } s && s.Length >= accLength ? s : t_scratch = new int[accLength];
                for (int job = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; job < end; job++)
                {
                    DepthwiseQuadPlane(x, job, channels, height, width, window, rows, length, zx, buffer, acc, y);
                }
            });
            return;
        }
        if (_isa == Int8Isa.Avx2 && Avx2.IsSupported && kh == 3 && kw == 3 && kw == _kernelWidth && kh * kw == _kernelArea
            && sx == 1 && sy == 1 && window.DilationHeight == 1 && window.DilationWidth == 1)
        {
            int ow16 = (ow + 15) / 16 * 16;
            int shorts = (rows + 1) * rowLength;
            CpuParallel.For(chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
            {
                var buffers = t_planes is { } b && b.Length >= shorts ? b : t_planes = new short[shorts];
                var acc = t_scratch is { } s && s.Length >= 2 * ow16 ? s : t_scratch = new int[2 * ow16];
                for (int job = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; job < end; job++)
                {
                    Depthwise3x3Rows(x, job, channels, height, width, window, rows, rowLength, zx, buffers, acc, y);
                }
            });
            return;
        }
        if (_isa == Int8Isa.Avx2 && Avx2.IsSupported && kh == 3 && kw == 3 && kw == _kernelWidth && kh * kw == _kernelArea
            && sx == 2 && sy == 2 && window.DilationHeight == 1 && window.DilationWidth == 1)
        {
            int ow16 = (ow + 15) / 16 * 16;
            // Padded columns 0 .. 2 ow16 + 1 are read (the last load of a row starts at 2 (ow16 - 8) + 2).
            int stride2Length = 2 * ow16 + 16;
            int shorts = rows * stride2Length;
            int accLength = Stride2BatchRows(oh, ow) * ow + 16;
            CpuParallel.For(chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
            {
                var buffers = t_planes is { } b && b.Length >= shorts ? b : t_planes = new short[shorts];
                var acc = t_scratch is { } s && s.Length >= accLength ? s : t_scratch = new int[accLength];
                for (int job = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; job < end; job++)
                {
                    Depthwise3x3Stride2(x, job, channels, height, width, window, rows, stride2Length, zx, buffers, acc, y);
                }
            });
            return;
        }
        if (_isa != Int8Isa.Scalar && Avx2.IsSupported && kw == _kernelWidth && kh * kw == _kernelArea)
        {
            // int16 pair planes: rows padded to 8 columns for the interleave.
            int pairRowLength = (rowLength + 7) / 8 * 8;
            int shorts = sx * (rows + window.DilationHeight) * pairRowLength + sx * rows * pairRowLength * 2;
            CpuParallel.For(chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
            {
                var buffers = t_planes is { } b && b.Length >= shorts ? b : t_planes = new short[shorts];
                var acc = t_scratch is { } s && s.Length >= ow + 16 ? s : t_scratch = new int[ow + 16];
                for (int job = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; job < end; job++)
                {
                    DepthwisePairPlane(x, job, channels, height, width, window, rows, pairRowLength, zx, buffers, acc, y);
                }
            });
            return;
        }
        CpuParallel.For(chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
        {
            int need = planeLength + (ow + 16) + 16;
            var scratch = t_scratch is { } s && s.Length >= need ? s : t_scratch = new int[need];
            for (int job = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; job < end; job++)
            {
                DepthwisePlane(x, job, channels, height, width, window, rows, rowLength, planeLength, zx, scratch, y);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DepthwisePlane(sbyte[] x, int job, int channels, int height, int width, Window window, int rows, int rowLength, int planeLength, int zx, int[] scratch, sbyte[] y)
    {
        int oh = window.OutputHeight, ow = window.OutputWidth, kh = window.KernelHeight, kw = window.KernelWidth, sx = window.StrideWidth;
        int c = job % channels;
        var input = x.AsSpan(job * height * width, height * width);
        var phases = scratch.AsSpan(0, planeLength);
        phases.Clear();
        // Phase q, padded row r, column j holds x[r - padTop, j*s + q - padLeft] - zx (0 in the padding).
        for (int r = 0; r < rows; r++)
        {
            int iy = r - window.PadTop;
            if ((uint)iy >= (uint)height) continue;
            var source = input.Slice(iy * width, width);
            for (int q = 0; q < sx; q++)
            {
                var dst = phases.Slice((q * rows + r) * rowLength, rowLength);
                // Columns j with 0 <= j*s + q - padLeft < width.
                int first = Math.Max(0, (window.PadLeft - q + sx - 1) / sx);
                int last = width - 1 - q + window.PadLeft < 0 ? 0 : Math.Min(rowLength, (width - 1 - q + window.PadLeft) / sx + 1);
                int j = first;
                if (sx == 1 && Avx2.IsSupported)
                {
                    var zero = Vector256.Create(zx);
                    ref sbyte s0 = ref MemoryMarshal.GetReference(source);
                    for (; j + 8 <= last; j += 8)
                    {
                        long bytes = Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref s0, j - window.PadLeft)));
                        (Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(bytes).AsSByte()) - zero).StoreUnsafe(ref dst[0], (nuint)j);
                    }
                }
                for (; j < last; j++) dst[j] = source[j * sx + q - window.PadLeft] - zx;
            }
        }
        var acc = scratch.AsSpan(planeLength, ow + 16);
        var weights = _depthwiseWeights.AsSpan(c * kh * kw, kh * kw);
        var output = y.AsSpan(job * oh * ow, oh * ow);
        for (int oy = 0; oy < oh; oy++)
        {
            DepthwiseRow(phases, rows, rowLength, sx, oy * window.StrideHeight, window, weights, ow, acc);
            _channels[c].Row(acc[..ow], _bias[c], default, 0, output.Slice(oy * ow, ow));
        }
        Then(output);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DepthwiseRow(Span<int> phases, int rows, int rowLength, int sx, int top, Window window, ReadOnlySpan<int> weights, int ow, Span<int> acc)
    {
        int kh = window.KernelHeight, kw = window.KernelWidth;
        ref int plane = ref phases[0];
        int ox = 0;
        for (; ox < ow; ox += 16)
        {
            var a0 = Vector256<int>.Zero;
            var a1 = Vector256<int>.Zero;
            for (int ky = 0; ky < kh; ky++)
            {
                int r = top + ky * window.DilationHeight;
                for (int kx = 0; kx < kw; kx++)
                {
                    int dx = kx * window.DilationWidth, q = dx % sx;
                    nuint at = (nuint)((q * rows + r) * rowLength + ox + dx / sx);
                    var w = Vector256.Create(weights[ky * kw + kx]);
                    a0 += Vector256.LoadUnsafe(ref plane, at) * w;
                    a1 += Vector256.LoadUnsafe(ref plane, at + 8) * w;
                }
            }
            a0.StoreUnsafe(ref acc[0], (nuint)ox);
            a1.StoreUnsafe(ref acc[0], (nuint)ox + 8);
        }
    }

    /// <summary>The padded, phase-split int16 plane of x - zx the depthwise pair kernels read: phase q, padded row
    /// r, column j holds x[r - padTop, j*s + q - padLeft] - zx, 0 in the padding and in rows from `rows` on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SinglePlane(ReadOnlySpan<sbyte> input, int height, int width, Window window, int rows, int singleRows, int rowLength, int zx, Span<short> single)
    {
        int sx = window.StrideWidth;
        single.Clear();
        var zero16 = Vector256.Create((short)zx);
        for (int r = 0; r < rows; r++)
        {
            int iy = r - window.PadTop;
            if ((uint)iy >= (uint)height) continue;
            var source = input.Slice(iy * width, width);
            for (int q = 0; q < sx; q++)
            {
                var dst = single.Slice((q * singleRows + r) * rowLength, rowLength);
                int first = Math.Max(0, (window.PadLeft - q + sx - 1) / sx);
                int last = width - 1 - q + window.PadLeft < 0 ? 0 : Math.Min(rowLength, (width - 1 - q + window.PadLeft) / sx + 1);
                int j = first;
                if (sx == 1)
                {
                    ref sbyte s0 = ref MemoryMarshal.GetReference(source);
                    for (; j + 16 <= last; j += 16)
                    {
                        var bytes = Vector128.LoadUnsafe(ref s0, (nuint)(j - window.PadLeft));
                        (Avx2.ConvertToVector256Int16(bytes) - zero16).StoreUnsafe(ref dst[0], (nuint)j);
                    }
                }
                else if (sx == 2)
                {
                    // 32 bytes from column 2j + q - padLeft: the even bytes, sign-extended from the low byte of
                    // each int16 lane, are this phase's 16 columns.
                    ref sbyte s0 = ref MemoryMarshal.GetReference(source);
                    for (; j + 16 <= last && 2 * j + q - window.PadLeft + 32 <= width; j += 16)
                    {
                        var pairsOfBytes = Vector256.LoadUnsafe(ref s0, (nuint)(2 * j + q - window.PadLeft)).AsInt16();
                        (Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(pairsOfBytes, 8), 8) - zero16).StoreUnsafe(ref dst[0], (nuint)j);
                    }
                }
                for (; j < last; j++) dst[j] = (short)(source[j * sx + q - window.PadLeft] - zx);
            }
        }
    }

    /// <summary>The int16 depthwise kernel: a padded, phase-split int16 plane of x - zx (in [-255, 255]), then a
    /// plane of row pairs (x[r][j], x[r + dilation][j]) so that one VPMADDWD (VPDPWSSD under AVX-VNNI) multiplies
    /// two kernel rows' taps by their packed int16 weights and adds both products into int32, exactly: |x - zx| and
    /// |w - zw| are at most 255, so a pair sums to at most 2 * 255 * 255.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DepthwisePairPlane(sbyte[] x, int job, int channels, int height, int width, Window window, int rows, int rowLength, int zx, short[] planes, int[] acc, sbyte[] y)
    {
        int oh = window.OutputHeight, ow = window.OutputWidth, kh = window.KernelHeight, kw = window.KernelWidth, sx = window.StrideWidth, dh = window.DilationHeight;
        int c = job % channels;
        int singleRows = rows + dh;
        int singleLength = sx * singleRows * rowLength;
        var single = planes.AsSpan(0, singleLength);
        SinglePlane(x.AsSpan(job * height * width, height * width), height, width, window, rows, singleRows, rowLength, zx, single);
        // Row pairs: pair row r interleaves single rows r and r + dh.
        var pairs = planes.AsSpan(singleLength, sx * rows * rowLength * 2);
        ref short s = ref single[0];
        ref short p = ref pairs[0];
        for (int q = 0; q < sx; q++)
        {
            for (int r = 0; r < rows; r++)
            {
                nuint a = (nuint)((q * singleRows + r) * rowLength), b = a + (nuint)(dh * rowLength);
                nuint d = (nuint)((q * rows + r) * rowLength * 2);
                for (nuint j = 0; j < (nuint)rowLength; j += 8)
                {
                    var top = Vector128.LoadUnsafe(ref s, a + j);
                    var bottom = Vector128.LoadUnsafe(ref s, b + j);
                    Sse2.UnpackLow(top, bottom).StoreUnsafe(ref p, d + 2 * j);
                    Sse2.UnpackHigh(top, bottom).StoreUnsafe(ref p, d + 2 * j + 8);
                }
            }
        }
        int khPairs = (kh + 1) / 2;
        var weights = _pairWeights.AsSpan(c * khPairs * kw, khPairs * kw);
        var output = y.AsSpan(job * oh * ow, oh * ow);
        bool vnni = _isa == Int8Isa.AvxVnni;
        for (int oy = 0; oy < oh; oy++)
        {
            if (vnni) DepthwisePairRow<VnniPairs>(pairs, rows, rowLength, sx, oy * window.StrideHeight, window, weights, ow, acc);
            else DepthwisePairRow<Avx2Pairs>(pairs, rows, rowLength, sx, oy * window.StrideHeight, window, weights, ow, acc);
            _channels[c].Row(acc.AsSpan(0, ow), _bias[c], default, 0, output.Slice(oy * ow, ow));
        }
        Then(output);
    }

    /// <summary>3x3, stride 1, dilation 1 depthwise under AVX2 (no VNNI): the int16 plane of x - zx only (no pair
    /// plane); two output rows per pass over input rows r..r + 3, whose vertical pairs are interleaved in registers:
    /// (x[r+1], x[r+2]) times (w1, w2) for row r and (w0, w1) for row r + 1, (x[r], x[r+3]) times (w0, 0) and (0, w2).
    /// VPMADDWD sums two products of at most 255 * 255 each into int32, so the sums are exact. The in-lane unpacks
    /// put columns 0-3 and 8-11 in one accumulator and 4-7, 12-15 in the other; VPERM2I128 restores the order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Depthwise3x3Rows(sbyte[] x, int job, int channels, int height, int width, Window window, int rows, int rowLength, int zx, short[] planes, int[] acc, sbyte[] y)
    {
        int oh = window.OutputHeight, ow = window.OutputWidth, ow16 = (ow + 15) / 16 * 16;
        int c = job % channels;
        int singleRows = rows + 1;
        var single = planes.AsSpan(0, singleRows * rowLength);
        SinglePlane(x.AsSpan(job * height * width, height * width), height, width, window, rows, singleRows, rowLength, zx, single);
        ref int wc = ref _depthwiseWeights[c * 9];
        // Per kx: (w1, w2), (w0, w1), (w0, 0), (0, w2) as int16 pairs (low half first).
        Span<int> packed = stackalloc int[12];
        for (int kx = 0; kx < 3; kx++)
        {
            int w0 = Unsafe.Add(ref wc, kx), w1 = Unsafe.Add(ref wc, 3 + kx), w2 = Unsafe.Add(ref wc, 6 + kx);
            packed[4 * kx] = (ushort)w1 | w2 << 16;
            packed[4 * kx + 1] = (ushort)w0 | w1 << 16;
            packed[4 * kx + 2] = (ushort)w0;
            packed[4 * kx + 3] = w2 << 16;
        }
        var u0 = Vector256.Create(packed[0]).AsInt16(); var v0 = Vector256.Create(packed[1]).AsInt16();
        var e0 = Vector256.Create(packed[2]).AsInt16(); var f0 = Vector256.Create(packed[3]).AsInt16();
        var u1 = Vector256.Create(packed[4]).AsInt16(); var v1 = Vector256.Create(packed[5]).AsInt16();
        var e1 = Vector256.Create(packed[6]).AsInt16(); var f1 = Vector256.Create(packed[7]).AsInt16();
        var u2 = Vector256.Create(packed[8]).AsInt16(); var v2 = Vector256.Create(packed[9]).AsInt16();
        var e2 = Vector256.Create(packed[10]).AsInt16(); var f2 = Vector256.Create(packed[11]).AsInt16();
        var output = y.AsSpan(job * oh * ow, oh * ow);
        ref short plane = ref single[0];
        ref int a = ref acc[0];
        for (int oy = 0; oy < oh; oy += 2)
        {
            // Rows oy..oy + 3 of the padded plane; for an odd oh the last pass reads the zero row `rows`.
            nuint r0 = (nuint)(oy * rowLength), r1 = r0 + (nuint)rowLength, r2 = r1 + (nuint)rowLength, r3 = r2 + (nuint)rowLength;
            for (nuint ox = 0; ox < (nuint)ow16; ox += 16)
            {
                Vector256<int> pl = default, ph = default, ql = default, qh = default;
                Step(ref plane, r0 + ox, r1 + ox, r2 + ox, r3 + ox, u0, v0, e0, f0, ref pl, ref ph, ref ql, ref qh);
                Step(ref plane, r0 + ox + 1, r1 + ox + 1, r2 + ox + 1, r3 + ox + 1, u1, v1, e1, f1, ref pl, ref ph, ref ql, ref qh);
                Step(ref plane, r0 + ox + 2, r1 + ox + 2, r2 + ox + 2, r3 + ox + 2, u2, v2, e2, f2, ref pl, ref ph, ref ql, ref qh);
                Avx2.Permute2x128(pl, ph, 0x20).StoreUnsafe(ref a, ox);
                Avx2.Permute2x128(pl, ph, 0x31).StoreUnsafe(ref a, ox + 8);
                Avx2.Permute2x128(ql, qh, 0x20).StoreUnsafe(ref a, (nuint)ow16 + ox);
                Avx2.Permute2x128(ql, qh, 0x31).StoreUnsafe(ref a, (nuint)ow16 + ox + 8);
            }
            int count = oy + 1 < oh ? 2 : 1;
            if (ow == ow16) _channels[c].Row(acc.AsSpan(0, count * ow), _bias[c], default, 0, output.Slice(oy * ow, count * ow));
            else
            {
                for (int i = 0; i < count; i++)
                {
                    _channels[c].Row(acc.AsSpan(i * ow16, ow), _bias[c], default, 0, output.Slice((oy + i) * ow, ow));
                }
            }
        }
        Then(output);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Step(ref short plane, nuint i0, nuint i1, nuint i2, nuint i3, Vector256<short> u, Vector256<short> v, Vector256<short> e, Vector256<short> f,
            ref Vector256<int> pl, ref Vector256<int> ph, ref Vector256<int> ql, ref Vector256<int> qh)
        {
            var x0 = Vector256.LoadUnsafe(ref plane, i0);
            var x1 = Vector256.LoadUnsafe(ref plane, i1);
            var x2 = Vector256.LoadUnsafe(ref plane, i2);
            var x3 = Vector256.LoadUnsafe(ref plane, i3);
            var middleLow = Avx2.UnpackLow(x1, x2);
            var middleHigh = Avx2.UnpackHigh(x1, x2);
            var outerLow = Avx2.UnpackLow(x0, x3);
            var outerHigh = Avx2.UnpackHigh(x0, x3);
            pl += Avx2.MultiplyAddAdjacent(middleLow, u) + Avx2.MultiplyAddAdjacent(outerLow, e);
            ph += Avx2.MultiplyAddAdjacent(middleHigh, u) + Avx2.MultiplyAddAdjacent(outerHigh, e);
            ql += Avx2.MultiplyAddAdjacent(middleLow, v) + Avx2.MultiplyAddAdjacent(outerLow, f);
            qh += Avx2.MultiplyAddAdjacent(middleHigh, v) + Avx2.MultiplyAddAdjacent(outerHigh, f);
        }
    }

    /// <summary>Output rows per requantization call of <see cref="Depthwise3x3Stride2"/>: about 512 values.</summary>
    private static int Stride2BatchRows(int oh, int ow) => Math.Max(1, Math.Min(oh, 512 / Math.Max(ow, 1)));

    /// <summary>3x3, stride 2, dilation 1 depthwise under AVX2 (no VNNI) on one padded int16 plane of x - zx that
    /// is not split into column phases: read as int16 pairs from column 2 ox, a row holds (x[2 ox], x[2 ox + 1]),
    /// the horizontal pair of taps kx = 0, 1 of output ox, so one VPMADDWD with (w0, w1) gives both products for
    /// eight outputs, and a second one from column 2 ox + 2 with (w2, 0) the third tap: no shuffles, the six packed
    /// weights in registers, the outputs in order. Each lane sums nine products of at most 255 * 255 in int32,
    /// exactly. The rows of a batch (about 512 outputs) go to one requantization call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Depthwise3x3Stride2(sbyte[] x, int job, int channels, int height, int width, Window window, int rows, int rowLength, int zx, short[] planes, int[] acc, sbyte[] y)
    {
        int oh = window.OutputHeight, ow = window.OutputWidth, ow16 = (ow + 15) / 16 * 16;
        int c = job % channels;
        var plane = planes.AsSpan(0, rows * rowLength);
        PaddedPlane(x.AsSpan(job * height * width, height * width), height, width, window.PadTop, window.PadLeft, rows, rowLength, zx, plane);
        ref int wc = ref _depthwiseWeights[c * 9];
        // Per kernel row: (w0, w1) and (w2, 0) as int16 pairs (low half first).
        var a0 = Vector256.Create((ushort)Unsafe.Add(ref wc, 0) | Unsafe.Add(ref wc, 1) << 16).AsInt16();
        var b0 = Vector256.Create((int)(ushort)Unsafe.Add(ref wc, 2)).AsInt16();
        var a1 = Vector256.Create((ushort)Unsafe.Add(ref wc, 3) | Unsafe.Add(ref wc, 4) << 16).AsInt16();
        var b1 = Vector256.Create((int)(ushort)Unsafe.Add(ref wc, 5)).AsInt16();
        var a2 = Vector256.Create((ushort)Unsafe.Add(ref wc, 6) | Unsafe.Add(ref wc, 7) << 16).AsInt16();
        var b2 = Vector256.Create((int)(ushort)Unsafe.Add(ref wc, 8)).AsInt16();
        var output = y.AsSpan(job * oh * ow, oh * ow);
        ref short p = ref plane[0];
        ref int a = ref acc[0];
        int batch = Stride2BatchRows(oh, ow);
        for (int oy0 = 0; oy0 < oh; oy0 += batch)
        {
            int count = Math.Min(batch, oh - oy0);
            for (int i = 0; i < count; i++)
            {
                // Rows 2 oy .. 2 oy + 2 of the padded plane; row i's stores past its ow outputs are overwritten by
                // row i + 1 (the buffer holds 16 more).
                nuint r0 = (nuint)(2 * (oy0 + i) * rowLength), r1 = r0 + (nuint)rowLength, r2 = r1 + (nuint)rowLength;
                nuint at = (nuint)(i * ow);
                for (nuint ox = 0; ox < (nuint)ow16; ox += 16)
                {
                    nuint j = 2 * ox;
                    var lo = Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r0 + j), a0)
                        + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r0 + j + 2), b0);
                    var hi = Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r0 + j + 16), a0)
                        + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r0 + j + 18), b0);
                    lo += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r1 + j), a1)
                        + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r1 + j + 2), b1);
                    hi += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r1 + j + 16), a1)
                        + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r1 + j + 18), b1);
                    lo += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r2 + j), a2)
                        + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r2 + j + 2), b2);
                    hi += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r2 + j + 16), a2)
                        + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref p, r2 + j + 18), b2);
                    lo.StoreUnsafe(ref a, at + ox);
                    hi.StoreUnsafe(ref a, at + ox + 8);
                }
            }
            _channels[c].Row(acc.AsSpan(0, count * ow), _bias[c], default, 0, output.Slice(oy0 * ow, count * ow));
        }
        Then(output);
    }

    /// <summary>The padded int16 plane of x - zx, one row per padded input row, not split by stride: row r, column j
    /// holds x[r - padTop, j - padLeft] - zx, 0 in the padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PaddedPlane(ReadOnlySpan<sbyte> input, int height, int width, int padTop, int padLeft, int rows, int rowLength, int zx, Span<short> plane)
    {
        plane.Clear();
        var zero16 = Vector256.Create((short)zx);
        int first = Math.Min(Math.Max(padLeft, 0), rowLength), last = Math.Min(rowLength, width + padLeft);
        for (int r = Math.Max(0, padTop), end = Math.Min(rows, height + padTop); r < end; r++)
        {
            ref sbyte source = ref MemoryMarshal.GetReference(input.Slice((r - padTop) * width, width));
            ref short dst = ref plane[r * rowLength];
            int j = first;
            for (; j + 16 <= last; j += 16)
            {
                (Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref source, (nuint)(j - padLeft))) - zero16).StoreUnsafe(ref dst, (nuint)j);
            }
            for (; j < last; j++) Unsafe.Add(ref dst, j) = (short)(Unsafe.Add(ref source, j - padLeft) - zx);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DepthwisePairRow<TPairs>(Span<short> pairs, int rows, int rowLength, int sx, int top, Window window, ReadOnlySpan<int> weights, int ow, int[] acc)
        where TPairs : struct, IPairMultiplyAdd
    {
        int kw = window.KernelWidth, khPairs = (window.KernelHeight + 1) / 2, taps = khPairs * kw;
        ref short plane = ref pairs[0];
        // Tap t's offset in the pair plane (in shorts) from the row's first output column.
        Span<int> offsets = stackalloc int[taps];
        for (int kp = 0; kp < khPairs; kp++)
        for (int kx = 0; kx < kw; kx++)
        {
            int r = top + 2 * kp * window.DilationHeight, dx = kx * window.DilationWidth, q = dx % sx;
            offsets[kp * kw + kx] = ((q * rows + r) * rowLength + dx / sx) * 2;
        }
        ref int weight = ref MemoryMarshal.GetReference(weights);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        // The multiply-adds of one accumulator form a dependent chain (VPDPWSSD's latency is several cycles), so
        // 32 outputs at a time run on eight accumulators: four vectors, even and odd taps apart, summed at the end.
        int ow16 = (ow + 15) / 16 * 16, ox = 0;
        for (; ox + 32 <= ow16; ox += 32)
        {
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            int t = 0;
            for (; t + 2 <= taps; t += 2)
            {
                nuint at = (nuint)(Unsafe.Add(ref offset, t) + ox * 2), bt = (nuint)(Unsafe.Add(ref offset, t + 1) + ox * 2);
                var w = Vector256.Create(Unsafe.Add(ref weight, t)).AsInt16();
                var v = Vector256.Create(Unsafe.Add(ref weight, t + 1)).AsInt16();
                a0 = TPairs.Add(a0, Vector256.LoadUnsafe(ref plane, at), w);
                a1 = TPairs.Add(a1, Vector256.LoadUnsafe(ref plane, at + 16), w);
                a2 = TPairs.Add(a2, Vector256.LoadUnsafe(ref plane, at + 32), w);
                a3 = TPairs.Add(a3, Vector256.LoadUnsafe(ref plane, at + 48), w);
                b0 = TPairs.Add(b0, Vector256.LoadUnsafe(ref plane, bt), v);
                b1 = TPairs.Add(b1, Vector256.LoadUnsafe(ref plane, bt + 16), v);
                b2 = TPairs.Add(b2, Vector256.LoadUnsafe(ref plane, bt + 32), v);
                b3 = TPairs.Add(b3, Vector256.LoadUnsafe(ref plane, bt + 48), v);
            }
            if (t < taps)
            {
                nuint at = (nuint)(Unsafe.Add(ref offset, t) + ox * 2);
                var w = Vector256.Create(Unsafe.Add(ref weight, t)).AsInt16();
                a0 = TPairs.Add(a0, Vector256.LoadUnsafe(ref plane, at), w);
                a1 = TPairs.Add(a1, Vector256.LoadUnsafe(ref plane, at + 16), w);
                a2 = TPairs.Add(a2, Vector256.LoadUnsafe(ref plane, at + 32), w);
                a3 = TPairs.Add(a3, Vector256.LoadUnsafe(ref plane, at + 48), w);
            }
            (a0 + b0).StoreUnsafe(ref acc[0], (nuint)ox);
            (a1 + b1).StoreUnsafe(ref acc[0], (nuint)ox + 8);
            (a2 + b2).StoreUnsafe(ref acc[0], (nuint)ox + 16);
            (a3 + b3).StoreUnsafe(ref acc[0], (nuint)ox + 24);
        }
        for (; ox < ow; ox += 16)
        {
            Vector256<int> a0 = default, a1 = default, b0 = default, b1 = default;
            int t = 0;
            for (; t + 2 <= taps; t += 2)
            {
                nuint at = (nuint)(Unsafe.Add(ref offset, t) + ox * 2), bt = (nuint)(Unsafe.Add(ref offset, t + 1) + ox * 2);
                var w = Vector256.Create(Unsafe.Add(ref weight, t)).AsInt16();
                var v = Vector256.Create(Unsafe.Add(ref weight, t + 1)).AsInt16();
                a0 = TPairs.Add(a0, Vector256.LoadUnsafe(ref plane, at), w);
                a1 = TPairs.Add(a1, Vector256.LoadUnsafe(ref plane, at + 16), w);
                b0 = TPairs.Add(b0, Vector256.LoadUnsafe(ref plane, bt), v);
                b1 = TPairs.Add(b1, Vector256.LoadUnsafe(ref plane, bt + 16), v);
            }
            if (t < taps)
            {
                nuint at = (nuint)(Unsafe.Add(ref offset, t) + ox * 2);
                var w = Vector256.Create(Unsafe.Add(ref weight, t)).AsInt16();
                a0 = TPairs.Add(a0, Vector256.LoadUnsafe(ref plane, at), w);
                a1 = TPairs.Add(a1, Vector256.LoadUnsafe(ref plane, at + 16), w);
            }
            (a0 + b0).StoreUnsafe(ref acc[0], (nuint)ox);
            (a1 + b1).StoreUnsafe(ref acc[0], (nuint)ox + 8);
        }
    }

    /// <summary>The int8 depthwise kernel under AVX-VNNI: a padded, phase-split byte plane of x (the padding
    /// holding zx), then a plane of row quads (x[r][j], x[r + d][j], x[r + 2d][j], x[r + 3d][j]) as u = x + 128, so
    /// that one VPDPBUSD multiplies four kernel rows' taps by their packed signed weights w - zw (0 past the last
    /// row) and adds the four products into int32: 32 multiply-adds per instruction, twice the int16 pair kernel's.
    /// sum u (w - zw) = sum (x - zx)(w - zw) + (128 + zx) sum (w - zw) (a padded tap reads zx, adding nothing to
    /// the first sum), so the channel's offset bias - (128 + zx) sum (w - zw) makes it exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DepthwiseQuadPlane(sbyte[] x, int job, int channels, int height, int width, Window window, int rows, int length, int zx, byte[] buffer, int[] acc, sbyte[] y)
    {
        int oh = window.OutputHeight, ow = window.OutputWidth, kh = window.KernelHeight, sx = window.StrideWidth, dh = window.DilationHeight;
        int c = job % channels, padLeft = window.PadLeft;
        int byteRows = rows + 3 * dh;
        var input = x.AsSpan(job * height * width, height * width);
        var raw = MemoryMarshal.Cast<byte, sbyte>(buffer.AsSpan(0, sx * byteRows * length));
        // Phase q, padded row r, column j holds x[r - padTop, j*s + q - padLeft] (zx in the padding, filled once per
        // step by the caller: only the values are written here); the 3d rows past `rows` are only read against zero
        // weights.
        for (int r = Math.Max(0, window.PadTop), rowEnd = Math.Min(byteRows, height + window.PadTop); r < rowEnd; r++)
        {
            int iy = r - window.PadTop;
            for (int q = 0; q < sx; q++)
            {
                var dst = raw.Slice((q * byteRows + r) * length, length);
                var source = input.Slice(iy * width, width);
                // Columns j with 0 <= j*s + q - padLeft < width.
                int first = Math.Min(length, Math.Max(0, (padLeft - q + sx - 1) / sx));
                int last = width - 1 - q + padLeft < 0 ? first : Math.Max(first, Math.Min(length, (width - 1 - q + padLeft) / sx + 1));
                int j = first;
                if (sx == 1)
                {
                    if (last > first) source.Slice(first - padLeft, last - first).CopyTo(dst[first..last]);
                    continue;
                }
                if (sx == 2)
                {
                    // 16 columns are the even bytes (from column 2j + q - padLeft) of 32 input bytes.
                    ref sbyte s0 = ref MemoryMarshal.GetReference(source);
                    ref sbyte d0 = ref MemoryMarshal.GetReference(dst);
                    var low = Vector128.Create((short)0xFF);
                    for (; j + 16 <= last && 2 * j + q - padLeft + 32 <= width; j += 16)
                    {
                        nuint from = (nuint)(2 * j + q - padLeft);
                        var a = Vector128.LoadUnsafe(ref s0, from).AsInt16() & low;
                        var b = Vector128.LoadUnsafe(ref s0, from + 16).AsInt16() & low;
                        Sse2.PackUnsignedSaturate(a, b).AsSByte().StoreUnsafe(ref d0, (nuint)j);
                    }
                }
                for (; j < last; j++) dst[j] = source[j * sx + q - padLeft];
            }
        }
        // Quad row r interleaves byte rows r, r + d, r + 2d, r + 3d, flipped to u = x + 128.
        ref byte b0 = ref buffer[0];
        int quadBase = sx * byteRows * length;
        var flip = Vector128.Create((byte)0x80);
        var flip256 = Vector256.Create((byte)0x80);
        int sy = window.StrideHeight, khQuads = (kh + 3) / 4;
        for (int q = 0; q < sx; q++)
        {
            for (int r = 0; r < rows; r++)
            {
                // Only the quad rows some output row reads: r = oy * sy + 4 kq d (at stride 2, the even rows).
                bool read = false;
                for (int kq = 0; kq < khQuads && !read; kq++)
                {
                    int t = r - 4 * kq * dh;
                    read = t >= 0 && t % sy == 0 && t / sy < oh;
                }
                if (!read) continue;
                nuint a = (nuint)((q * byteRows + r) * length), step = (nuint)(dh * length);
                nuint d = (nuint)(quadBase + (q * rows + r) * length * 4);
                nuint j = 0;
                // 32 columns per step on 256-bit unpacks (within 128-bit halves: column blocks 0-3 | 16-19 and so
                // on), the halves stored to their places.
                for (; j + 32 <= (nuint)length; j += 32)
                {
                    var v0 = Vector256.LoadUnsafe(ref b0, a + j) ^ flip256;
                    var v1 = Vector256.LoadUnsafe(ref b0, a + step + j) ^ flip256;
                    var v2 = Vector256.LoadUnsafe(ref b0, a + 2 * step + j) ^ flip256;
                    var v3 = Vector256.LoadUnsafe(ref b0, a + 3 * step + j) ^ flip256;
                    var lo01 = Avx2.UnpackLow(v0, v1).AsInt16();
                    var hi01 = Avx2.UnpackHigh(v0, v1).AsInt16();
                    var lo23 = Avx2.UnpackLow(v2, v3).AsInt16();
                    var hi23 = Avx2.UnpackHigh(v2, v3).AsInt16();
                    var c0 = Avx2.UnpackLow(lo01, lo23).AsByte();   // columns 0-3 | 16-19
                    var c1 = Avx2.UnpackHigh(lo01, lo23).AsByte();  // 4-7 | 20-23
                    var c2 = Avx2.UnpackLow(hi01, hi23).AsByte();   // 8-11 | 24-27
                    var c3 = Avx2.UnpackHigh(hi01, hi23).AsByte();  // 12-15 | 28-31
                    nuint o = d + 4 * j;
                    Avx2.Permute2x128(c0, c1, 0x20).StoreUnsafe(ref b0, o);
                    Avx2.Permute2x128(c2, c3, 0x20).StoreUnsafe(ref b0, o + 32);
                    Avx2.Permute2x128(c0, c1, 0x31).StoreUnsafe(ref b0, o + 64);
                    Avx2.Permute2x128(c2, c3, 0x31).StoreUnsafe(ref b0, o + 96);
                }
                for (; j < (nuint)length; j += 16)
                {
                    var v0 = Vector128.LoadUnsafe(ref b0, a + j) ^ flip;
                    var v1 = Vector128.LoadUnsafe(ref b0, a + step + j) ^ flip;
                    var v2 = Vector128.LoadUnsafe(ref b0, a + 2 * step + j) ^ flip;
                    var v3 = Vector128.LoadUnsafe(ref b0, a + 3 * step + j) ^ flip;
                    var lo01 = Sse2.UnpackLow(v0, v1).AsInt16();
                    var hi01 = Sse2.UnpackHigh(v0, v1).AsInt16();
                    var lo23 = Sse2.UnpackLow(v2, v3).AsInt16();
                    var hi23 = Sse2.UnpackHigh(v2, v3).AsInt16();
                    Sse2.UnpackLow(lo01, lo23).AsByte().StoreUnsafe(ref b0, d + 4 * j);
                    Sse2.UnpackHigh(lo01, lo23).AsByte().StoreUnsafe(ref b0, d + 4 * j + 16);
                    Sse2.UnpackLow(hi01, hi23).AsByte().StoreUnsafe(ref b0, d + 4 * j + 32);
                    Sse2.UnpackHigh(hi01, hi23).AsByte().StoreUnsafe(ref b0, d + 4 * j + 48);
                }
            }
        }
        var weights = _quadWeights.AsSpan(c * khQuads * window.KernelWidth, khQuads * window.KernelWidth);
        var quads = buffer.AsSpan(quadBase, sx * rows * length * 4);
        var output = y.AsSpan(job * oh * ow, oh * ow);
        // Several output rows per requantization call (up to 512 values): its set-up is a large part of a short row.
        int batch = QuadBatchRows(oh, ow);
        for (int oy0 = 0; oy0 < oh; oy0 += batch)
        {
            int count = Math.Min(batch, oh - oy0);
            for (int i = 0; i < count; i++) DepthwiseQuadRow(quads, rows, length, sx, (oy0 + i) * window.StrideHeight, window, weights, ow, acc, i * ow);
            _channels[c].Row(acc.AsSpan(0, count * ow), _quadOffset[c], default, 0, output.Slice(oy0 * ow, count * ow));
        }
        Then(output);
    }

    /// <summary>Output rows per requantization call in the quad kernel: up to 512 values, at least one row.</summary>
    private static int QuadBatchRows(int oh, int ow) => Math.Max(1, Math.Min(oh, 512 / Math.Max(ow, 1)));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DepthwiseQuadRow(Span<byte> quads, int rows, int length, int sx, int top, Window window, ReadOnlySpan<int> weights, int ow, int[] acc, int accOffset)
    {
        // Writes acc[accOffset .. accOffset + ow rounded up to 16): the rounding is overwritten by the next row.
        ref int sum = ref acc[accOffset];
        int kw = window.KernelWidth, khQuads = (window.KernelHeight + 3) / 4, taps = khQuads * kw;
        ref byte plane = ref quads[0];
        // Tap t's offset in the quad plane (in bytes) from the row's first output column.
        Span<int> offsets = stackalloc int[taps];
        for (int kq = 0; kq < khQuads; kq++)
        for (int kx = 0; kx < kw; kx++)
        {
            int r = top + 4 * kq * window.DilationHeight, dx = kx * window.DilationWidth, q = dx % sx;
            offsets[kq * kw + kx] = ((q * rows + r) * length + dx / sx) * 4;
        }
        ref int weight = ref MemoryMarshal.GetReference(weights);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        // 32 outputs at a time on eight accumulators (four vectors, even and odd taps apart): VPDPBUSD's latency.
        int ow16 = (ow + 15) / 16 * 16, ox = 0;
        for (; ox + 32 <= ow16; ox += 32)
        {
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            int t = 0;
            for (; t + 2 <= taps; t += 2)
            {
                nuint at = (nuint)(Unsafe.Add(ref offset, t) + ox * 4), bt = (nuint)(Unsafe.Add(ref offset, t + 1) + ox * 4);
                var w = Vector256.Create(Unsafe.Add(ref weight, t)).AsSByte();
                var v = Vector256.Create(Unsafe.Add(ref weight, t + 1)).AsSByte();
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.LoadUnsafe(ref plane, at), w);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.LoadUnsafe(ref plane, at + 32), w);
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, Vector256.LoadUnsafe(ref plane, at + 64), w);
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, Vector256.LoadUnsafe(ref plane, at + 96), w);
                b0 = AvxVnni.MultiplyWideningAndAdd(b0, Vector256.LoadUnsafe(ref plane, bt), v);
                b1 = AvxVnni.MultiplyWideningAndAdd(b1, Vector256.LoadUnsafe(ref plane, bt + 32), v);
                b2 = AvxVnni.MultiplyWideningAndAdd(b2, Vector256.LoadUnsafe(ref plane, bt + 64), v);
                b3 = AvxVnni.MultiplyWideningAndAdd(b3, Vector256.LoadUnsafe(ref plane, bt + 96), v);
            }
            if (t < taps)
            {
                nuint at = (nuint)(Unsafe.Add(ref offset, t) + ox * 4);
                var w = Vector256.Create(Unsafe.Add(ref weight, t)).AsSByte();
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.LoadUnsafe(ref plane, at), w);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.LoadUnsafe(ref plane, at + 32), w);
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, Vector256.LoadUnsafe(ref plane, at + 64), w);
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, Vector256.LoadUnsafe(ref plane, at + 96), w);
            }
            (a0 + b0).StoreUnsafe(ref sum, (nuint)ox);
            (a1 + b1).StoreUnsafe(ref sum, (nuint)ox + 8);
            (a2 + b2).StoreUnsafe(ref sum, (nuint)ox + 16);
            (a3 + b3).StoreUnsafe(ref sum, (nuint)ox + 24);
        }
        for (; ox < ow; ox += 16)
        {
            Vector256<int> a0 = default, a1 = default, b0 = default, b1 = default;
            int t = 0;
            for (; t + 2 <= taps; t += 2)
            {
                nuint at = (nuint)(Unsafe.Add(ref offset, t) + ox * 4), bt = (nuint)(Unsafe.Add(ref offset, t + 1) + ox * 4);
                var w = Vector256.Create(Unsafe.Add(ref weight, t)).AsSByte();
                var v = Vector256.Create(Unsafe.Add(ref weight, t + 1)).AsSByte();
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.LoadUnsafe(ref plane, at), w);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.LoadUnsafe(ref plane, at + 32), w);
                b0 = AvxVnni.MultiplyWideningAndAdd(b0, Vector256.LoadUnsafe(ref plane, bt), v);
                b1 = AvxVnni.MultiplyWideningAndAdd(b1, Vector256.LoadUnsafe(ref plane, bt + 32), v);
            }
            if (t < taps)
            {
                nuint at = (nuint)(Unsafe.Add(ref offset, t) + ox * 4);
                var w = Vector256.Create(Unsafe.Add(ref weight, t)).AsSByte();
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.LoadUnsafe(ref plane, at), w);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.LoadUnsafe(ref plane, at + 32), w);
            }
            (a0 + b0).StoreUnsafe(ref sum, (nuint)ox);
            (a1 + b1).StoreUnsafe(ref sum, (nuint)ox + 8);
        }
    }

    /// <summary>acc + the sums of adjacent int16 products (exact in int32 for the plane's |values| <= 255): one
    /// instruction per ISA, chosen at compile time of <see cref="DepthwisePairRow{TPairs}"/>.</summary>
    private interface IPairMultiplyAdd
    {
        static abstract Vector256<int> Add(Vector256<int> acc, Vector256<short> x, Vector256<short> w);
    }

    private readonly struct Avx2Pairs : IPairMultiplyAdd
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<short> x, Vector256<short> w) => acc + Avx2.MultiplyAddAdjacent(x, w);
    }

    private readonly struct VnniPairs : IPairMultiplyAdd
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<short> x, Vector256<short> w) => AvxVnni.MultiplyWideningAndAdd(acc, x, w);
    }
}
