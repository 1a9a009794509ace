using System.Runtime.Intrinsics.X86;
using Tessera.Hardware;
using Tessera.Integer;
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

    /// <summary>Add parameters as the QDQ lowering makes them (left shift 20, operand multipliers over twice the larger
    /// scale, one side often exactly 1/2), with BlazeFace-like scales and zero points, a ReLU clamp on some.</summary>
    internal static IEnumerable<int[]> LoweredAddParameters(Random random, int count)
    {
        for (int k = 0; k < count; k++)
        {
            double sa = 0.01 + random.NextDouble() * 0.1, sb = k % 3 == 0 ? sa : 0.01 + random.NextDouble() * 0.1;
            double so = (sa + sb) * (0.4 + random.NextDouble());
            double twice = 2 * Math.Max(sa, sb);
            var (ma, ea) = FixedPoint.QuantizeMultiplier(sa / twice);
            var (mb, eb) = FixedPoint.QuantizeMultiplier(sb / twice);
            var (mo, eo) = FixedPoint.QuantizeMultiplier(twice / ((1 << 20) * so));
            int zero = k % 4 == 0 ? -128 : random.Next(-40, 40);
            yield return [k % 2 == 0 ? -128 : random.Next(-128, 128), random.Next(-128, 128), 20, ma, ea, mb, eb, mo, eo, zero, k % 4 == 1 ? zero : -128, 127];
        }
    }

    /// <summary>The AVX2 residual epilogue (<see cref="ChannelRequantization.RowLine"/> and
    /// <see cref="ChannelRequantization.RowPairs"/>) against the row requantized by the scalar form and then looked up
    /// in the Add's pair table, value for value: Adds as the lowering makes them and the table tests' parameter sets,
    /// the row on either side, lengths around 32, column terms, input and left shifts, clamps; only the first
    /// n - n % 32 values are written. <see cref="AddLine.For"/> must find a line for the lowered Adds.</summary>
    [Fact]
    public void Row_added_in_the_epilogue_equals_the_row_then_the_pair_table()
    {
        if (!Avx2.IsSupported || Avx512F.IsSupported) return;
        var random = new Random(73);
        int[] lengths = [0, 1, 31, 32, 33, 63, 64, 65, 100, 256, 257];
        var adds = LoweredAddParameters(random, 24).Concat(Int8TableTests.AddParameterSets()).ToList();
        int cases = 0, lines = 0;
        foreach (var p in adds)
        {
            var add = new BinaryStep("add", "Add", "a", "b", "y", p, unsigned: false);
            var pairs = Int8Binary.Table(add);
            var line = AddLine.For(add, pairs);
            if (line is not null)
            {
                lines++;
                for (int a = -128; a < 128; a++)
                for (int b = -128; b < 128; b++) Assert.Equal(FixedPoint.Add(a, b, p), line.Apply(a, b));
            }
            for (int t = 0; t < 4; t++, cases++)
            {
                int shift = random.Next(-12, 2), min = cases % 5 == 2 ? -20 : -128, max = cases % 5 == 3 ? 90 : 127;
                var rq = new ChannelRequantization(random.Next(1 << 30, int.MaxValue), shift, cases % 7 == 3 ? 1 : 0, random.Next(-128, 128), min, max);
                Assert.True(rq.Narrow);
                int n = lengths[cases % lengths.Length];
                var acc = Accumulators(random, n, 2 + cases % 2);
                int offset = random.Next(-5000, 5000);
                int[] column = cases % 3 == 0 ? Enumerable.Range(0, n).Select(_ => random.Next(-4000, 4000)).ToArray() : [];
                int scale = random.Next(-128, 128);
                var other = Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
                var row = new sbyte[n];
                rq.Row(acc, offset, column, scale, row);
                foreach (bool rowOnLeft in new[] { true, false })
                {
                    var expected = row.Select((c, i) => rowOnLeft ? pairs[(byte)c << 8 | (byte)other[i]] : pairs[(byte)other[i] << 8 | (byte)c]).ToArray();
                    string what = $"Add [{string.Join(",", p)}], row {(rowOnLeft ? "left" : "right")}, n {n}, shift {shift}, clamp [{min}, {max}]";
                    var y = Enumerable.Repeat((sbyte)77, n + 1).ToArray();
                    int done = rq.RowPairs(acc, offset, column, scale, other, pairs, rowOnLeft, y.AsSpan(0, n));
                    Assert.Equal(n & ~31, done);
                    for (int i = 0; i < done; i++) Assert.True(expected[i] == y[i], $"pairs: {what}, at {i}: {y[i]} instead of {expected[i]}");
                    for (int i = done; i <= n; i++) Assert.Equal(77, y[i]);
                    if (line is null) continue;
                    y = Enumerable.Repeat((sbyte)77, n + 1).ToArray();
                    done = rq.RowLine(acc, offset, column, scale, other, line, rowOnLeft, y.AsSpan(0, n));
                    Assert.Equal(n & ~31, done);
                    for (int i = 0; i < done; i++) Assert.True(expected[i] == y[i], $"line: {what}, at {i}: {y[i]} instead of {expected[i]}");
                    for (int i = done; i <= n; i++) Assert.Equal(77, y[i]);
                }
            }
        }
        // Lines are found for the lowered Adds (BlazeFace's and det's all have one); RowPairs ran on every Add.
        Assert.True(lines >= 24, $"{lines} of {adds.Count} Adds as lines");
    }
}
