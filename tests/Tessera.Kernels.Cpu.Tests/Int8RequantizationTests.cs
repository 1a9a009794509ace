using System.Runtime.Intrinsics.X86;
using Tessera.Hardware;
using Tessera.Kernels.Cpu.Int8;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The vector forms of the requantization of a row (<see cref="ChannelRequantization"/>: sixteen lanes
/// under AVX-512F, eight lanes and 32 per step under AVX2, the portable eight-lane form otherwise) against the scalar
/// <see cref="FixedPoint.Requantize"/>, value for value: every shift from 30 down to -31, multipliers at 2^30 (every
/// product a rounding tie) and 2^31 - 1, accumulators at the ends of int32, offsets, column terms, input shifts,
/// clamps inside and outside int8, and row lengths around the vectors.</summary>
public sealed class Int8RequantizationTests
{
    private static int[] Accumulators(Random random, int n, int kind)
    {
        int[] special = [int.MinValue, int.MaxValue, 0, 1, -1, 1 << 30, -(1 << 30), (1 << 30) + 1, -(1 << 30) - 1, 12345, -12345, 255, -256];
        return Enumerable.Range(0, n).Select(i => kind switch
        {
            0 => special[i % special.Length],
            1 => random.Next(int.MinValue, int.MaxValue),
            2 => random.Next(-1 << 20, 1 << 20),
            _ => random.Next(-300, 300),
        }).ToArray();
    }

    [Fact]
    public void Row_equals_the_scalar_requantization_at_every_shift()
    {
        var random = new Random(71);
        int[] lengths = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65, 100, 257];
        (int Min, int Max)[] clamps = [(-128, 127), (0, 127), (-128, -128), (-3, 6), (-100, 90), (-200, 300)];
        int cases = 0, narrow = 0;
        for (int shift = 30; shift >= -31; shift--)
        foreach (int multiplier in new[] { 1 << 30, int.MaxValue, random.Next(1 << 30, int.MaxValue), 0 })
        {
            var (min, max) = clamps[cases % clamps.Length];
            int zero = cases % 5 == 0 ? -128 : cases % 5 == 1 ? 127 : random.Next(-128, 128);
            int inputShift = cases % 7 == 3 ? 2 : 0;
            var rq = new ChannelRequantization(multiplier, shift, inputShift, zero, min, max);
            bool inside = min >= sbyte.MinValue && max <= sbyte.MaxValue;
            // The eight-lane AVX2 form takes every row with a clamp inside int8 when there is no AVX-512F.
            Assert.Equal(inside && Avx2.IsSupported && !Avx512F.IsSupported, rq.Narrow);
            if (rq.Narrow) narrow++;
            int n = lengths[cases % lengths.Length];
            var acc = Accumulators(random, n, cases % 4);
            int offset = cases % 3 == 0 ? 0 : random.Next(-5000, 5000);
            int[] column = cases % 2 == 0 ? [] : Enumerable.Range(0, n).Select(_ => random.Next(-4000, 4000)).ToArray();
            int scale = random.Next(-128, 128);
            var y = new sbyte[n + 1];
            y[n] = 55;
            rq.Row(acc, offset, column, scale, y.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                int x = unchecked(acc[i] + offset + (column.Length == 0 ? 0 : column[i] * scale));
                var expected = FixedPoint.Requantize(unchecked(x << inputShift), multiplier, shift, zero, min, max);
                Assert.True(expected == y[i], $"multiplier {multiplier}, shift {shift}, input shift {inputShift}, zero {zero}, clamp [{min}, {max}], n {n}, at {i}: x {x}, {y[i]} instead of {expected}");
            }
            Assert.Equal(55, y[n]);
            cases++;
        }
        if (Avx2.IsSupported && !Avx512F.IsSupported) Assert.True(narrow > 100);
    }
}
