using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>A fixed-point Add (<see cref="Tessera.Hardware.FixedPoint.Add"/>) of two int8 operands written as one
/// integer line, y = clamp(zero + ((a A + b B + C) &gt;&gt; shift), min, max) on int32 (an arithmetic shift, so a floor),
/// taken only where it gives the Add's own result for all 65536 pairs (checked against the pair table when made).
/// The Add is nearly linear: each operand's rescale and the output's round once, so the line through the real
/// scales, rounded to nearest (C holds the zero points and the half), differs from it only where the real sum lies
/// within about 2^-18 of a rounding boundary; neighbouring lines (A and B up to three units either way, C from the bounds each pair sets) are tried too,
/// and an Add that none of them gives exactly keeps its table. Used by the AVX2 residual epilogue
/// (<see cref="ChannelRequantization.RowLine"/>): two VPMULLD per eight values instead of eight table reads.</summary>
internal sealed class AddLine
{
    private AddLine(int a, int b, int c, int shift, int zero, int minimum, int maximum) =>
        (A, B, C, Shift, Zero, Minimum, Maximum) = (a, b, c, shift, zero, minimum, maximum);

    public int A { get; }
    public int B { get; }
    public int C { get; }
    public int Shift { get; }
    public int Zero { get; }
    public int Minimum { get; }
    public int Maximum { get; }

    /// <summary>The line's result for one pair (the scalar form of the vector epilogue).</summary>
    public sbyte Apply(int a, int b) => (sbyte)Math.Clamp(Zero + ((a * A + b * B + C) >> Shift), Minimum, Maximum);

    /// <summary>The line of <paramref name="add"/> (fixed point, not a multiply), or null when no line tried gives every
    /// one of the 65536 entries of <paramref name="pairs"/> (its table, <see cref="Int8Binary.Table"/>).</summary>
    public static AddLine? For(BinaryStep add, ReadOnlySpan<sbyte> pairs)
    {
        if (add.IsMultiply || add.FloatArithmetic || add.OnnxRuntime || pairs.Length != 65536) return null;
        var p = add.FixedPointParameters;
        // p: a_zero, b_zero, left_shift, a_multiplier, a_shift, b_multiplier, b_shift, out_multiplier, out_shift, out_zero, min, max
        if (p.Length != 12 || p[10] < sbyte.MinValue || p[11] > sbyte.MaxValue || p[10] > p[11]) return null;
        double Real(int multiplier, int shift) => multiplier * Math.ScaleB(1.0, shift - 31);
        double output = Real(p[7], p[8]) * Math.ScaleB(1.0, p[2]);
        double alpha = output * Real(p[3], p[4]), beta = output * Real(p[5], p[6]);
        double constant = 0.5 - alpha * p[0] - beta * p[1];
        // The largest shift that keeps |a A| + |b B| + |C| inside int32 for |a|, |b| <= 128, with room for the tries a
        // few units off (checked exactly when C is chosen).
        double bound = 128 * (Math.Abs(alpha) + Math.Abs(beta)) + Math.Abs(constant) + 1;
        if (!(bound > 0) || double.IsInfinity(bound)) return null;
        int shift = Math.Min(30, (int)Math.Floor(Math.Log2((int.MaxValue - 4096.0) / bound)));
        if (shift < 8) return null;
        double scale = Math.ScaleB(1.0, shift);
        int a0 = (int)Math.Round(alpha * scale), b0 = (int)Math.Round(beta * scale);
        foreach (int da in (int[])[0, -1, 1, -2, 2, -3, 3])
        foreach (int db in (int[])[0, -1, 1, -2, 2, -3, 3])
        {
            if (Constant(a0 + da, b0 + db, shift, p[9], p[10], p[11], pairs) is not { } c) continue;
            var line = new AddLine(a0 + da, b0 + db, c, shift, p[9], p[10], p[11]);
            if (line.Equals(pairs)) return line;
        }
        return null;
    }

    /// <summary>A constant C with which the line (a, b) -> clamp(zero + ((a A + b B + C) &gt;&gt; shift)) gives every entry
    /// of <paramref name="pairs"/>, or null: each pair bounds C from below and/or above (an entry at the clamp's end
    /// from one side only), and any C inside all the bounds will do.</summary>
    private static int? Constant(int factorA, int factorB, int shift, int zero, int minimum, int maximum, ReadOnlySpan<sbyte> pairs)
    {
        long low = long.MinValue, high = long.MaxValue, unit = 1L << shift;
        for (int a = -128; a < 128; a++)
        {
            int row = (byte)a << 8;
            for (int b = -128; b < 128; b++)
            {
                int v = pairs[row | (byte)b];
                long sum = (long)a * factorA + (long)b * factorB;
                // floor((sum + C) / 2^shift) = v - zero, or at most / at least it at the clamp's ends.
                if (v > minimum) low = Math.Max(low, (v - zero) * unit - sum);
                if (v < maximum) high = Math.Min(high, (v - zero + 1) * unit - sum - 1);
                if (low > high) return null;
            }
        }
        long chosen = low == long.MinValue ? (high == long.MaxValue ? 0 : high) : low;
        // The line is evaluated on int32: keep |a A| + |b B| + |C| inside it.
        if (Math.Abs(chosen) + 128L * (Math.Abs((long)factorA) + Math.Abs((long)factorB)) >= int.MaxValue) return null;
        return (int)chosen;
    }

    private bool Equals(ReadOnlySpan<sbyte> pairs)
    {
        for (int a = -128; a < 128; a++)
        {
            int row = (byte)a << 8;
            for (int b = -128; b < 128; b++)
            {
                if (Apply(a, b) != pairs[row | (byte)b]) return false;
            }
        }
        return true;
    }
}
