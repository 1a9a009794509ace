using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Hardware;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fixed-point requantization of one output channel's row of int32 accumulators to int8, bit for
/// bit the integer executor's (<see cref="FixedPoint.Requantize"/> after the requantizer's input shift):
/// gemmlowp's saturating rounding doubling high multiply on 64-bit lanes, the rounding divide by a power of
/// two with ties away from zero, the zero point and the clamp. The channel's parameters are scalars, so the
/// whole row shares them.</summary>
internal readonly struct ChannelRequantization(int multiplier, int shift, int inputShift, int zeroPoint, int minimum, int maximum)
{
    public int Multiplier { get; } = multiplier;
    public int Shift { get; } = shift;
    public int InputShift { get; } = inputShift;
    public int ZeroPoint { get; } = zeroPoint;
    public int Minimum { get; } = minimum;
    public int Maximum { get; } = maximum;

    public sbyte Apply(int accumulator) => FixedPoint.Requantize(accumulator << InputShift, Multiplier, Shift, ZeroPoint, Minimum, Maximum);

    /// <summary>y[i] = requantize(acc[i] + offset + (columnTerm is null ? 0 : columnTerm[i] * columnScale)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Row(ReadOnlySpan<int> acc, int offset, ReadOnlySpan<int> columnTerm, int columnScale, Span<sbyte> y)
    {
        int n = y.Length, i = 0;
        bool columns = !columnTerm.IsEmpty;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            int leftShift = (Shift > 0 ? Shift : 0) + InputShift, rightShift = Shift > 0 ? 0 : -Shift;
            int mask = (int)((1L << rightShift) - 1);
            var multiplier = Vector256.Create((long)Multiplier);
            var positiveNudge = Vector256.Create(1L << 30);
            var negativeNudge = Vector256.Create(1 - (1L << 30));
            var truncate = Vector256.Create((1L << 31) - 1);
            var maskV = Vector256.Create(mask);
            var half = Vector256.Create(mask >> 1);
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
                x = Vector256.ShiftLeft(x, leftShift);
                var (xl, xh) = Vector256.Widen(x);
                var pl = xl * multiplier;
                var ph = xh * multiplier;
                pl += Vector256.ConditionalSelect(Vector256.LessThan(pl, Vector256<long>.Zero), negativeNudge, positiveNudge);
                ph += Vector256.ConditionalSelect(Vector256.LessThan(ph, Vector256<long>.Zero), negativeNudge, positiveNudge);
                // Division by 2^31 truncating toward zero: add 2^31 - 1 to negative values before the floor shift.
                pl = Vector256.ShiftRightArithmetic(pl + (truncate & Vector256.LessThan(pl, Vector256<long>.Zero)), 31);
                ph = Vector256.ShiftRightArithmetic(ph + (truncate & Vector256.LessThan(ph, Vector256<long>.Zero)), 31);
                var high = Vector256.Narrow(pl, ph);
                // Rounding divide by 2^rightShift, ties away from zero.
                var remainder = high & maskV;
                var threshold = half - Vector256.ShiftRightArithmetic(high, 31);
                var r = Vector256.ShiftRightArithmetic(high, rightShift) - Vector256.GreaterThan(remainder, threshold);
                r = Vector256.Min(Vector256.Max(r + zero, lo), hi);
                var s16 = Vector256.Narrow(r, r);
                var s8 = Vector256.Narrow(s16, s16);
                Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref y[i]), s8.AsInt64().GetElement(0));
            }
        }
        for (; i < n; i++)
        {
            int x = acc[i] + offset + (columns ? columnTerm[i] * columnScale : 0);
            y[i] = Apply(x);
        }
    }
}
