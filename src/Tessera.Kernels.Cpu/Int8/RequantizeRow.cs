using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Hardware;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fixed-point requantization of one output channel's row of int32 accumulators to int8, bit for
/// bit the integer executor's (<see cref="FixedPoint.Requantize"/> after the requantizer's input shift):
/// gemmlowp's saturating rounding doubling high multiply on 64-bit lanes, the rounding divide by a power of
/// two with ties away from zero, the zero point and the clamp. The channel's parameters are scalars, so the
/// whole row shares them.</summary>
internal readonly struct ChannelRequantization
{
    // The sixteen-lane form's constants, made once per channel (a row is often 16-32 values, so building them per
    // call cost as much as the arithmetic).
    private readonly Vector512<int> _multiplier, _zero;
    private readonly Vector512<long> _add, _correction;
    private readonly Vector128<sbyte> _lo, _hi;
    private readonly int _total, _left;
    private readonly bool _wide;
    // The eight-lane (AVX2) form of the same one-shift arithmetic: AVX2 has no 64-bit arithmetic right shift, so
    // 2^62 is added before a logical shift (see Eight) and 2^(62 - total) taken off again with the zero point.
    private readonly Vector256<int> _multiplier8, _zero8;
    private readonly Vector256<long> _add8, _correction8;
    private readonly Vector256<sbyte> _lo8, _hi8;
    private readonly bool _narrow;

    public ChannelRequantization(int multiplier, int shift, int inputShift, int zeroPoint, int minimum, int maximum)
    {
        (Multiplier, Shift, InputShift, ZeroPoint, Minimum, Maximum) = (multiplier, shift, inputShift, zeroPoint, minimum, maximum);
        int right = shift > 0 ? 0 : -shift;
        _left = shift > 0 ? shift : 0;
        _multiplier = Vector512.Create((long)multiplier).AsInt32();
        _add = Vector512.Create((1L << 30) + (right > 0 ? 1L << (30 + right) : 0));
        _correction = Vector512.Create(right > 0 ? 1L << 31 : 0);
        _total = 31 + right;
        _zero = Vector512.Create(zeroPoint);
        _wide = Avx512F.IsSupported && minimum >= sbyte.MinValue && minimum <= maximum && maximum <= sbyte.MaxValue;
        _lo = Vector128.Create((sbyte)Math.Clamp(minimum, sbyte.MinValue, sbyte.MaxValue));
        _hi = Vector128.Create((sbyte)Math.Clamp(maximum, sbyte.MinValue, sbyte.MaxValue));
        // total <= 62 keeps 2^62 a multiple of 2^total (RoundingDivideByPowerOfTwo takes exponents up to 31).
        _narrow = !_wide && Avx2.IsSupported && _total <= 62 && minimum >= sbyte.MinValue && minimum <= maximum && maximum <= sbyte.MaxValue;
        _multiplier8 = Vector256.Create((long)multiplier).AsInt32();
        _add8 = Vector256.Create((1L << 62) + (1L << 30) + (right > 0 ? 1L << (30 + right) : 0));
        _correction8 = Vector256.Create(right > 0 ? 1L << 31 : 0);
        _zero8 = Vector256.Create(unchecked(zeroPoint - (int)(uint)(_total <= 62 ? 1UL << (62 - _total) : 0)));
        _lo8 = Vector256.Create(_lo.ToScalar());
        _hi8 = Vector256.Create(_hi.ToScalar());
    }

    public int Multiplier { get; }
    public int Shift { get; }
    public int InputShift { get; }
    public int ZeroPoint { get; }
    public int Minimum { get; }
    public int Maximum { get; }

    public sbyte Apply(int accumulator) => FixedPoint.Requantize(accumulator << InputShift, Multiplier, Shift, ZeroPoint, Minimum, Maximum);

    /// <summary>y[i] = requantize(acc[i] + offset + (columnTerm is null ? 0 : columnTerm[i] * columnScale)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Row(ReadOnlySpan<int> acc, int offset, ReadOnlySpan<int> columnTerm, int columnScale, Span<sbyte> y)
    {
        int n = y.Length, i = 0;
        bool columns = !columnTerm.IsEmpty;
        if (_wide && n >= 16)
        {
            i = Row16(acc, offset, columnTerm, columnScale, y);
        }
        else if (_narrow && n >= 8)
        {
            i = Row8(acc, offset, columnTerm, columnScale, y);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var scale = new MultiplierVector(Multiplier, Shift);
            var zero = Vector256.Create(ZeroPoint);
            var lo = Vector256.Create(Minimum);
            var hi = Vector256.Create(Maximum);
            var offsetV = Vector256.Create(offset);
            var scaleV = Vector256.Create(columnScale);
            ref int a = ref Unsafe.AsRef(in acc[0]);
            for (; i + 8 <= n; i += 8)
            {
                var x = Vector256.LoadUnsafe(ref a, (nuint)i) + offsetV;
                if (columns) x += Vector256.LoadUnsafe(ref Unsafe.AsRef(in columnTerm[0]), (nuint)i) * scaleV;
                var r = Vector256.Min(Vector256.Max(scale.Apply(Vector256.ShiftLeft(x, InputShift)) + zero, lo), hi);
                MultiplierVector.StoreBytes(r, ref y[i]);
            }
        }
        for (; i < n; i++)
        {
            int x = acc[i] + offset + (columns ? columnTerm[i] * columnScale : 0);
            y[i] = Apply(x);
        }
    }

    /// <summary>The first n - n % 16 values of <see cref="Row"/> on sixteen lanes (AVX-512F, a clamp inside int8);
    /// returns how many. Both roundings in one 64-bit step: with p = x * multiplier (|p| &lt; 2^62), gemmlowp's high
    /// half h = floor((p + 2^30) / 2^31) and the divide by 2^s with ties away from zero,
    /// floor((h + 2^(s-1) - [h &lt; 0]) / 2^s), nest into floor((p + 2^30 + (2^(s-1) - [h &lt; 0]) 2^31) / 2^(31+s))
    /// (floor((floor(a / b) + c) / d) = floor((a + c b) / (b d)) for integer c), where h &lt; 0 exactly when
    /// p &lt; -2^30; for s = 0 it is h itself. The zero point is added in int32 (wrapping, as the scalar form),
    /// VPMOVSDB saturates to int8 and the byte clamp applies the fused range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Row16(ReadOnlySpan<int> acc, int offset, ReadOnlySpan<int> columnTerm, int columnScale, Span<sbyte> y)
    {
        int n = y.Length & ~15, left = _left, inputShift = InputShift, total = _total;
        bool columns = !columnTerm.IsEmpty, shifts = left != 0 || inputShift != 0;
        var multiplier = _multiplier;
        var add = _add;
        var below = Vector512.Create(-(1L << 30));
        var correction = _correction;
        var oddLanes = Vector512.Create(0xFFFF_FFFF_0000_0000).AsInt32();
        var zero = _zero;
        var lo = _lo;
        var hi = _hi;
        var offsetV = Vector512.Create(offset);
        var scaleV = Vector512.Create(columnScale);
        ref int a = ref MemoryMarshal.GetReference(acc);
        ref int column = ref MemoryMarshal.GetReference(columnTerm);
        ref sbyte destination = ref MemoryMarshal.GetReference(y);
        for (int i = 0; i < n; i += 16)
        {
            var x = Vector512.LoadUnsafe(ref a, (nuint)i) + offsetV;
            if (columns) x += Vector512.LoadUnsafe(ref column, (nuint)i) * scaleV;
            if (shifts) x = Vector512.ShiftLeft(Vector512.ShiftLeft(x, inputShift), left);
            Sixteen(x, multiplier, add, below, correction, oddLanes, total, zero, lo, hi).StoreUnsafe(ref destination, (nuint)i);
        }
        return n;
    }

    /// <summary>The first n - n % 8 values of <see cref="Row"/> on eight lanes (AVX2, a clamp inside int8), 32 per
    /// step where it can; returns how many. The arithmetic of <see cref="Row16"/>, see <see cref="Eight"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Row8(ReadOnlySpan<int> acc, int offset, ReadOnlySpan<int> columnTerm, int columnScale, Span<sbyte> y)
    {
        int n = y.Length & ~7, i = 0, left = _left, inputShift = InputShift, total = _total;
        bool columns = !columnTerm.IsEmpty, shifts = left != 0 || inputShift != 0;
        var multiplier = _multiplier8;
        var add = _add8;
        var below = Vector256.Create(-(1L << 30));
        var correction = _correction8;
        var zero = _zero8;
        var lo = _lo8;
        var hi = _hi8;
        var offsetV = Vector256.Create(offset);
        var scaleV = Vector256.Create(columnScale);
        ref int a = ref MemoryMarshal.GetReference(acc);
        ref int column = ref MemoryMarshal.GetReference(columnTerm);
        ref sbyte destination = ref MemoryMarshal.GetReference(y);
        for (; i + 32 <= n; i += 32)
        {
            var x0 = Vector256.LoadUnsafe(ref a, (nuint)i) + offsetV;
            var x1 = Vector256.LoadUnsafe(ref a, (nuint)i + 8) + offsetV;
            var x2 = Vector256.LoadUnsafe(ref a, (nuint)i + 16) + offsetV;
            var x3 = Vector256.LoadUnsafe(ref a, (nuint)i + 24) + offsetV;
            if (columns)
            {
                x0 += Vector256.LoadUnsafe(ref column, (nuint)i) * scaleV;
                x1 += Vector256.LoadUnsafe(ref column, (nuint)i + 8) * scaleV;
                x2 += Vector256.LoadUnsafe(ref column, (nuint)i + 16) * scaleV;
                x3 += Vector256.LoadUnsafe(ref column, (nuint)i + 24) * scaleV;
            }
            if (shifts)
            {
                x0 = Vector256.ShiftLeft(Vector256.ShiftLeft(x0, inputShift), left);
                x1 = Vector256.ShiftLeft(Vector256.ShiftLeft(x1, inputShift), left);
                x2 = Vector256.ShiftLeft(Vector256.ShiftLeft(x2, inputShift), left);
                x3 = Vector256.ShiftLeft(Vector256.ShiftLeft(x3, inputShift), left);
            }
            Narrow32(Eight(x0, multiplier, add, below, correction, total, zero), Eight(x1, multiplier, add, below, correction, total, zero),
                Eight(x2, multiplier, add, below, correction, total, zero), Eight(x3, multiplier, add, below, correction, total, zero), lo, hi)
                .StoreUnsafe(ref destination, (nuint)i);
        }
        for (; i < n; i += 8)
        {
            var x = Vector256.LoadUnsafe(ref a, (nuint)i) + offsetV;
            if (columns) x += Vector256.LoadUnsafe(ref column, (nuint)i) * scaleV;
            if (shifts) x = Vector256.ShiftLeft(Vector256.ShiftLeft(x, inputShift), left);
            var r = Eight(x, multiplier, add, below, correction, total, zero);
            var words = Avx2.PackSignedSaturate(r, r);
            var bytes = Avx2.PackSignedSaturate(words, words);
            // Lane 0 holds values 0..3 in its low dword, lane 1 values 4..7.
            var eight = Vector128.Create(bytes.GetLower().AsInt32().ToScalar(), bytes.GetUpper().AsInt32().ToScalar(), 0, 0).AsSByte();
            Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref destination, i)),
                Vector128.Min(Vector128.Max(eight, lo.GetLower()), hi.GetLower()).AsInt64().ToScalar());
        }
        return n;
    }

    /// <summary>Whether the eight-lane form applies (AVX2 without AVX-512F, a clamp inside int8).</summary>
    public bool Narrow => _narrow;

    /// <summary>The requantized row added to another int8 row by <paramref name="line"/> (an Add written as a line,
    /// exact for every pair): y[i] = line(c[i], other[i]) (<paramref name="rowOnLeft"/>) or line(other[i], c[i]), c[i] the
    /// value <see cref="Row"/> gives, without storing the row. Only when <see cref="Narrow"/>: the first n - n % 32
    /// values, 32 per step: the <see cref="Row8"/> arithmetic, the clamp on int32 (inside int8, so the same as
    /// saturating first), the other row sign-extended, two VPMULLD, the shift and the Add's zero point and clamp;
    /// returns how many (0 when not <see cref="Narrow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe int RowLine(ReadOnlySpan<int> acc, int offset, ReadOnlySpan<int> columnTerm, int columnScale, ReadOnlySpan<sbyte> other,
        AddLine line, bool rowOnLeft, Span<sbyte> y)
    {
        if (!_narrow) return 0;
        int n = y.Length & ~31, left = _left, inputShift = InputShift, total = _total;
        if (acc.Length < n || other.Length < n || !columnTerm.IsEmpty && columnTerm.Length < n) throw new ArgumentException("a row is shorter than the output");
        bool columns = !columnTerm.IsEmpty, shifts = left != 0 || inputShift != 0;
        var multiplier = _multiplier8;
        var add = _add8;
        var below = Vector256.Create(-(1L << 30));
        var correction = _correction8;
        var zero = _zero8;
        var lo = Vector256.Create((int)_lo8.ToScalar());
        var hi = Vector256.Create((int)_hi8.ToScalar());
        var offsetV = Vector256.Create(offset);
        var scaleV = Vector256.Create(columnScale);
        var rowFactor = Vector256.Create(rowOnLeft ? line.A : line.B);
        var otherFactor = Vector256.Create(rowOnLeft ? line.B : line.A);
        var constant = Vector256.Create(line.C);
        var lineZero = Vector256.Create(line.Zero);
        var lineLo = Vector256.Create((sbyte)line.Minimum);
        var lineHi = Vector256.Create((sbyte)line.Maximum);
        int lineShift = line.Shift;
        fixed (int* a = acc)
        fixed (int* column = columnTerm)
        fixed (sbyte* o = other)
        fixed (sbyte* destination = y)
        {
            for (int i = 0; i < n; i += 32)
            {
                var x0 = Avx.LoadVector256(a + i) + offsetV;
                var x1 = Avx.LoadVector256(a + i + 8) + offsetV;
                var x2 = Avx.LoadVector256(a + i + 16) + offsetV;
                var x3 = Avx.LoadVector256(a + i + 24) + offsetV;
                if (columns)
                {
                    x0 += Avx.LoadVector256(column + i) * scaleV;
                    x1 += Avx.LoadVector256(column + i + 8) * scaleV;
                    x2 += Avx.LoadVector256(column + i + 16) * scaleV;
                    x3 += Avx.LoadVector256(column + i + 24) * scaleV;
                }
                if (shifts)
                {
                    x0 = Vector256.ShiftLeft(Vector256.ShiftLeft(x0, inputShift), left);
                    x1 = Vector256.ShiftLeft(Vector256.ShiftLeft(x1, inputShift), left);
                    x2 = Vector256.ShiftLeft(Vector256.ShiftLeft(x2, inputShift), left);
                    x3 = Vector256.ShiftLeft(Vector256.ShiftLeft(x3, inputShift), left);
                }
                var c0 = Avx2.Min(Avx2.Max(Eight(x0, multiplier, add, below, correction, total, zero), lo), hi);
                var c1 = Avx2.Min(Avx2.Max(Eight(x1, multiplier, add, below, correction, total, zero), lo), hi);
                var c2 = Avx2.Min(Avx2.Max(Eight(x2, multiplier, add, below, correction, total, zero), lo), hi);
                var c3 = Avx2.Min(Avx2.Max(Eight(x3, multiplier, add, below, correction, total, zero), lo), hi);
                var s0 = Vector256.ShiftRightArithmetic(Avx2.MultiplyLow(c0, rowFactor) + Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(o + i), otherFactor) + constant, lineShift) + lineZero;
                var s1 = Vector256.ShiftRightArithmetic(Avx2.MultiplyLow(c1, rowFactor) + Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(o + i + 8), otherFactor) + constant, lineShift) + lineZero;
                var s2 = Vector256.ShiftRightArithmetic(Avx2.MultiplyLow(c2, rowFactor) + Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(o + i + 16), otherFactor) + constant, lineShift) + lineZero;
                var s3 = Vector256.ShiftRightArithmetic(Avx2.MultiplyLow(c3, rowFactor) + Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(o + i + 24), otherFactor) + constant, lineShift) + lineZero;
                Narrow32(s0, s1, s2, s3, lineLo, lineHi).Store(destination + i);
            }
        }
        return n;
    }

    /// <summary>The requantized row looked up in a pair table with another int8 row, without storing the row:
    /// y[i] = pairs[(c[i] &lt;&lt; 8) | (byte)other[i]] (<paramref name="rowOnLeft"/>) or pairs[(other[i] &lt;&lt; 8) | (byte)c[i]],
    /// c[i] the value <see cref="Row"/> gives. Only when <see cref="Narrow"/>: the first n - n % 32 values, 32 per step
    /// (the <see cref="Row8"/> arithmetic; the 32 bytes are ordered so that VPUNPCKLBW / VPUNPCKHBW with the other
    /// row, its quadwords permuted the same way, give the 32 pair indices as words in order), then one table read
    /// per value; returns how many (0 when not <see cref="Narrow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe int RowPairs(ReadOnlySpan<int> acc, int offset, ReadOnlySpan<int> columnTerm, int columnScale, ReadOnlySpan<sbyte> other,
        ReadOnlySpan<sbyte> pairs, bool rowOnLeft, Span<sbyte> y)
    {
        if (!_narrow) return 0;
        if (pairs.Length != 65536) throw new ArgumentException("a pair table has 65536 entries", nameof(pairs));
        int n = y.Length & ~31, left = _left, inputShift = InputShift, total = _total;
        if (acc.Length < n || other.Length < n || !columnTerm.IsEmpty && columnTerm.Length < n) throw new ArgumentException("a row is shorter than the output");
        bool columns = !columnTerm.IsEmpty, shifts = left != 0 || inputShift != 0;
        var multiplier = _multiplier8;
        var add = _add8;
        var below = Vector256.Create(-(1L << 30));
        var correction = _correction8;
        var zero = _zero8;
        var lo = _lo8;
        var hi = _hi8;
        var offsetV = Vector256.Create(offset);
        var scaleV = Vector256.Create(columnScale);
        // Dwords of the saturated bytes: 0-3, 8-11, 16-19, 24-27 | 4-7, 12-15, 20-23, 28-31; this order gives the
        // quadwords 0-7, 16-23 | 8-15, 24-31, as VPERMQ 0xD8 gives for the other row.
        var order = Vector256.Create(0, 4, 2, 6, 1, 5, 3, 7);
        ushort* index = stackalloc ushort[32];
        fixed (int* a = acc)
        fixed (int* column = columnTerm)
        fixed (sbyte* o = other)
        fixed (sbyte* table = pairs)
        fixed (sbyte* destination = y)
        {
            for (int i = 0; i < n; i += 32)
            {
                var x0 = Avx.LoadVector256(a + i) + offsetV;
                var x1 = Avx.LoadVector256(a + i + 8) + offsetV;
                var x2 = Avx.LoadVector256(a + i + 16) + offsetV;
                var x3 = Avx.LoadVector256(a + i + 24) + offsetV;
                if (columns)
                {
                    x0 += Avx.LoadVector256(column + i) * scaleV;
                    x1 += Avx.LoadVector256(column + i + 8) * scaleV;
                    x2 += Avx.LoadVector256(column + i + 16) * scaleV;
                    x3 += Avx.LoadVector256(column + i + 24) * scaleV;
                }
                if (shifts)
                {
                    x0 = Vector256.ShiftLeft(Vector256.ShiftLeft(x0, inputShift), left);
                    x1 = Vector256.ShiftLeft(Vector256.ShiftLeft(x1, inputShift), left);
                    x2 = Vector256.ShiftLeft(Vector256.ShiftLeft(x2, inputShift), left);
                    x3 = Vector256.ShiftLeft(Vector256.ShiftLeft(x3, inputShift), left);
                }
                var r0 = Eight(x0, multiplier, add, below, correction, total, zero);
                var r1 = Eight(x1, multiplier, add, below, correction, total, zero);
                var r2 = Eight(x2, multiplier, add, below, correction, total, zero);
                var r3 = Eight(x3, multiplier, add, below, correction, total, zero);
                var bytes = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(r0, r1), Avx2.PackSignedSaturate(r2, r3));
                var c = Vector256.Min(Vector256.Max(Avx2.PermuteVar8x32(bytes.AsInt32(), order).AsSByte(), lo), hi).AsByte();
                var v = Avx2.Permute4x64(Avx.LoadVector256(o + i).AsInt64(), 0xD8).AsByte();
                // Word j of an unpack is (high byte << 8) | low byte: the row's value is the high byte when it is on the left.
                var first = rowOnLeft ? Avx2.UnpackLow(v, c) : Avx2.UnpackLow(c, v);
                var second = rowOnLeft ? Avx2.UnpackHigh(v, c) : Avx2.UnpackHigh(c, v);
                Avx.Store((byte*)index, first);
                Avx.Store((byte*)(index + 16), second);
                sbyte* d = destination + i;
                for (int j = 0; j < 32; j += 4)
                {
                    d[j] = table[index[j]];
                    d[j + 1] = table[index[j + 1]];
                    d[j + 2] = table[index[j + 2]];
                    d[j + 3] = table[index[j + 3]];
                }
            }
        }
        return n;
    }

    /// <summary><see cref="Sixteen"/>'s arithmetic on eight lanes before the saturation: with q = p + add - [p &lt;
    /// -2^30] correction as there, -2^62 &lt; q &lt; 2^63 (|p| &lt; 2^62, add &lt; 2^62), so q + 2^62 is an unsigned
    /// 64-bit value and its logical shift by total (&lt;= 62) is floor(q / 2^total) + 2^(62 - total); the zero
    /// vector already has 2^(62 - total) taken off (int32, wrapping). The odd lanes' result is wanted in the
    /// high dword: a logical shift by total - 32 leaves it there (a left shift by 1 for total = 31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Eight(Vector256<int> x, Vector256<int> multiplier, Vector256<long> add, Vector256<long> below,
        Vector256<long> correction, int total, Vector256<int> zero)
    {
        var even = Avx2.Multiply(x, multiplier);
        var odd = Avx2.Multiply(Avx2.ShiftRightLogical(x.AsInt64(), 32).AsInt32(), multiplier);
        even = even + add - (Avx2.CompareGreaterThan(below, even) & correction);
        odd = odd + add - (Avx2.CompareGreaterThan(below, odd) & correction);
        var e = Vector256.ShiftRightLogical(even.AsUInt64(), total);
        var o = total >= 32 ? Vector256.ShiftRightLogical(odd.AsUInt64(), total - 32) : Vector256.ShiftLeft(odd.AsUInt64(), 1);
        return Avx2.Blend(e.AsInt32(), o.AsInt32(), 0b1010_1010) + zero;
    }

    /// <summary>Four vectors of int32 (values 0..31 in order) saturated to int8 in order, then clamped bytewise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Narrow32(Vector256<int> r0, Vector256<int> r1, Vector256<int> r2, Vector256<int> r3, Vector256<sbyte> lo, Vector256<sbyte> hi)
    {
        // VPACKSSDW/VPACKSSWB work within 128-bit lanes: the bytes come out as dwords (0-3, 8-11, 16-19, 24-27 |
        // 4-7, 12-15, 20-23, 28-31); VPERMD restores the order.
        var bytes = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(r0, r1), Avx2.PackSignedSaturate(r2, r3));
        var ordered = Avx2.PermuteVar8x32(bytes.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte();
        return Vector256.Min(Vector256.Max(ordered, lo), hi);
    }

    /// <summary>Whether the sixteen-lane form applies (AVX-512F and a clamp inside int8).</summary>
    public bool Wide => _wide;

    /// <summary>Sixteen int32 values requantized to int8 as <see cref="Row16"/> does (no offset; the input shift is
    /// not applied, so only for a requantization made with input shift 0); only when <see cref="Wide"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<sbyte> Requantize16(Vector512<int> x) =>
        Sixteen(_left == 0 ? x : Vector512.ShiftLeft(x, _left), _multiplier, _add, Vector512.Create(-(1L << 30)), _correction,
            Vector512.Create(0xFFFF_FFFF_0000_0000).AsInt32(), _total, _zero, _lo, _hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> Sixteen(Vector512<int> x, Vector512<int> multiplier, Vector512<long> add, Vector512<long> below,
        Vector512<long> correction, Vector512<int> oddLanes, int total, Vector512<int> zero, Vector128<sbyte> lo, Vector128<sbyte> hi)
    {
        var even = Avx512F.Multiply(x, multiplier);
        var odd = Avx512F.Multiply(Avx512F.ShiftRightLogical(x.AsInt64(), 32).AsInt32(), multiplier);
        even = Vector512.ShiftRightArithmetic(even + add - (Vector512.GreaterThan(below, even) & correction), total);
        odd = Vector512.ShiftRightArithmetic(odd + add - (Vector512.GreaterThan(below, odd) & correction), total);
        var r = Vector512.ConditionalSelect(oddLanes, Avx512F.ShiftLeftLogical(odd, 32).AsInt32(), even.AsInt32()) + zero;
        var bytes = Avx512F.ConvertToVector128SByteWithSaturation(r);
        return Vector128.Min(Vector128.Max(bytes, lo), hi);
    }
}

/// <summary><see cref="FixedPoint.MultiplyByQuantizedMultiplier"/> on eight int32 lanes, bit for bit: the left
/// shift (wrapping), gemmlowp's saturating rounding doubling high multiply on 64-bit lanes and the rounding divide
/// by a power of two with ties away from zero. The multiplier is never int.MinValue (QuantizeMultiplier gives
/// [2^30, 2^31) or 0), so the high multiply's one saturating case cannot occur.</summary>
internal readonly struct MultiplierVector
{
    private readonly Vector256<long> _multiplier;
    private readonly int _leftShift, _rightShift;
    private readonly Vector256<int> _mask, _half;

    public MultiplierVector(int multiplier, int shift)
    {
        _multiplier = Vector256.Create((long)multiplier);
        _leftShift = shift > 0 ? shift : 0;
        _rightShift = shift > 0 ? 0 : -shift;
        int mask = (int)((1L << _rightShift) - 1);
        _mask = Vector256.Create(mask);
        _half = Vector256.Create(mask >> 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<int> Apply(Vector256<int> x)
    {
        x = Vector256.ShiftLeft(x, _leftShift);
        Vector256<int> high;
        if (Avx2.IsSupported)
        {
            // VPMULDQ multiplies the even int32 lanes into int64s; the odd lanes are shifted down for a second one.
            // The result is bits 31..62 of p + 2^30 (HighHalf): a logical right shift by 31 puts them in the low
            // dword of each even lane, a left shift by 1 in the high dword of each odd lane, so one blend joins them.
            var multiplier = _multiplier.AsInt32();
            var nudge = Vector256.Create(1L << 30);
            var even = Avx2.ShiftRightLogical(Avx2.Multiply(x, multiplier) + nudge, 31);
            var odd = Avx2.ShiftLeftLogical(Avx2.Multiply(Avx2.ShiftRightLogical(x.AsInt64(), 32).AsInt32(), multiplier) + nudge, 1);
            high = Avx2.Blend(even.AsInt32(), odd.AsInt32(), 0b1010_1010);
        }
        else
        {
            var (xl, xh) = Vector256.Widen(x);
            high = Vector256.Narrow(HighHalf(xl * _multiplier), HighHalf(xh * _multiplier));
        }
        var remainder = high & _mask;
        var threshold = _half - Vector256.ShiftRightArithmetic(high, 31);
        return Vector256.ShiftRightArithmetic(high, _rightShift) - Vector256.GreaterThan(remainder, threshold);
    }

    // gemmlowp's (p + nudge) / 2^31 truncating toward zero, nudge = 2^30 for p >= 0 and 1 - 2^30 below, is
    // floor((p + 2^30) / 2^31) in both cases: for p < 0 the truncation is ceil((p + 1 - 2^30) / 2^31)
    // = floor((p + 1 - 2^30 + 2^31 - 1) / 2^31). |p| < 2^62, so the sum does not overflow.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> HighHalf(Vector256<long> p) => Vector256.ShiftRightArithmetic(p + Vector256.Create(1L << 30), 31);

    /// <summary>Stores eight int32 lanes already inside [-128, 127] as bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(Vector256<int> r, ref sbyte destination)
    {
        if (Avx512F.VL.IsSupported)
        {
            // VPMOVDB: the eight low bytes in one instruction.
            Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref destination), Avx512F.VL.ConvertToVector128SByte(r).AsInt64().ToScalar());
            return;
        }
        var s16 = Vector256.Narrow(r, r);
        var s8 = Vector256.Narrow(s16, s16);
        Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref destination), s8.AsInt64().GetElement(0));
    }
}
