namespace Tessera.Hardware;

/// <summary>The integer arithmetic of quantized inference, exactly as TFLite/gemmlowp define it, in one place
/// so the NPU simulator and the integer reference executor cannot drift apart (DESIGN.md habit 6).
/// A real multiplier M (0 &lt; M &lt; 1 after normalisation) is stored as a Q31 <c>multiplier</c> in
/// [2^30, 2^31) and a power-of-two <c>shift</c>: M = multiplier * 2^(shift - 31). Positive shifts are left
/// shifts applied before the multiply, negative ones rounding right shifts after it.</summary>
public static class FixedPoint
{
    /// <summary>gemmlowp's SaturatingRoundingDoublingHighMul: (a * b * 2 + 2^31) >> 32 with round-half-away
    /// from zero on the nudge, saturating the single overflow case a = b = int.MinValue.</summary>
    public static int SaturatingRoundingDoublingHighMul(int a, int b)
    {
        if (a == int.MinValue && b == int.MinValue) return int.MaxValue;
        long product = (long)a * b;
        long nudge = product >= 0 ? 1L << 30 : 1 - (1L << 30);
        long result = (product + nudge) / (1L << 31);
        return (int)result;
    }

    /// <summary>gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.</summary>
    public static int RoundingDivideByPowerOfTwo(int x, int exponent)
    {
        if (exponent == 0) return x;
        int mask = (int)((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    /// <summary>TFLite's MultiplyByQuantizedMultiplier: x * multiplier * 2^(shift - 31) with the rounding above.
    /// Shifts outside [-31, 30] are rejected by the ISA, so no undefined shift reaches here.</summary>
    public static int MultiplyByQuantizedMultiplier(int x, int multiplier, int shift)
    {
        int leftShift = shift > 0 ? shift : 0;
        int rightShift = shift > 0 ? 0 : -shift;
        int shifted = unchecked(x * (1 << leftShift));
        return RoundingDivideByPowerOfTwo(SaturatingRoundingDoublingHighMul(shifted, multiplier), rightShift);
    }

    /// <summary>Requantizes an int32 accumulator to int8: scale, add the output zero point, clamp to
    /// [minimum, maximum] (the fused ReLU/ReLU6/clip range, itself inside [-128, 127]).</summary>
    public static sbyte Requantize(int accumulator, int multiplier, int shift, int zeroPoint, int minimum, int maximum)
    {
        int value = MultiplyByQuantizedMultiplier(accumulator, multiplier, shift) + zeroPoint;
        return (sbyte)Math.Clamp(value, minimum, maximum);
    }

    /// <summary>TFLite's int8 Add (reference_ops::AddElementwise): both inputs are offset by their zero points,
    /// shifted left by <paramref name="leftShift"/> for headroom, rescaled to a common scale, summed, rescaled to
    /// the output scale, offset and clamped.</summary>
    public static sbyte Add(int a, int b, ReadOnlySpan<int> p)
    {
        // p: a_zero, b_zero, left_shift, a_multiplier, a_shift, b_multiplier, b_shift, out_multiplier, out_shift, out_zero, min, max
        int shiftedA = (a - p[0]) * (1 << p[2]);
        int shiftedB = (b - p[1]) * (1 << p[2]);
        int sum = MultiplyByQuantizedMultiplier(shiftedA, p[3], p[4]) + MultiplyByQuantizedMultiplier(shiftedB, p[5], p[6]);
        int output = MultiplyByQuantizedMultiplier(sum, p[7], p[8]) + p[9];
        return (sbyte)Math.Clamp(output, p[10], p[11]);
    }

    /// <summary>TFLite's int8 Mul (reference_ops::MulElementwise).</summary>
    public static sbyte Multiply(int a, int b, ReadOnlySpan<int> p)
    {
        // p: a_zero, b_zero, out_multiplier, out_shift, out_zero, min, max
        int product = (a - p[0]) * (b - p[1]);
        int output = MultiplyByQuantizedMultiplier(product, p[2], p[3]) + p[4];
        return (sbyte)Math.Clamp(output, p[5], p[6]);
    }

    /// <summary>Splits a positive real multiplier into (Q31 multiplier, shift) as TFLite's QuantizeMultiplier.</summary>
    public static (int Multiplier, int Shift) QuantizeMultiplier(double real)
    {
        if (real <= 0) return (0, 0);
        double fraction = Math.ILogB(real) is var exponent ? Math.ScaleB(real, -exponent - 1) : 0;
        int shift = Math.ILogB(real) + 1;
        long q = (long)Math.Round(fraction * (1L << 31));
        if (q == 1L << 31)
        {
            q /= 2;
            shift++;
        }
        if (shift < -31)
        {
            return (0, 0);
        }
        return ((int)q, shift);
    }
}
