using Tessera.Hardware;

namespace Tessera.Hardware.Tests;

public class FixedPointTests
{
    [Fact]
    public void Saturating_rounding_doubling_high_mul_matches_gemmlowp()
    {
        Assert.Equal(int.MaxValue, FixedPoint.SaturatingRoundingDoublingHighMul(int.MinValue, int.MinValue));
        Assert.Equal(1 << 29, FixedPoint.SaturatingRoundingDoublingHighMul(1 << 30, 1 << 30));
        Assert.Equal(-(1 << 29), FixedPoint.SaturatingRoundingDoublingHighMul(-(1 << 30), 1 << 30));
        Assert.Equal(1, FixedPoint.SaturatingRoundingDoublingHighMul(1, 1 << 30));   // 0.5 rounds away from zero
        // gemmlowp's negative nudge is 1 - 2^30, so an exact -0.5 truncates to 0: kept bit-for-bit.
        Assert.Equal(0, FixedPoint.SaturatingRoundingDoublingHighMul(-1, 1 << 30));
        Assert.Equal(-1, FixedPoint.SaturatingRoundingDoublingHighMul(-3, 1 << 30));
    }

    [Theory]
    [InlineData(5, 1, 3)]
    [InlineData(-5, 1, -3)]
    [InlineData(4, 1, 2)]
    [InlineData(-4, 1, -2)]
    [InlineData(7, 2, 2)]
    [InlineData(-7, 2, -2)]
    [InlineData(6, 2, 2)]
    [InlineData(-6, 2, -2)]
    [InlineData(123, 0, 123)]
    public void Rounding_divide_by_power_of_two_rounds_half_away_from_zero(int x, int exponent, int expected) =>
        Assert.Equal(expected, FixedPoint.RoundingDivideByPowerOfTwo(x, exponent));

    [Fact]
    public void Quantized_multiplier_approximates_real_scaling()
    {
        var random = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            double real = Math.Exp(random.NextDouble() * 12 - 10);
            var (multiplier, shift) = FixedPoint.QuantizeMultiplier(real);
            Assert.InRange(multiplier, 1 << 30, int.MaxValue);
            int x = random.Next(-100000, 100000);
            int result = FixedPoint.MultiplyByQuantizedMultiplier(x, multiplier, shift);
            Assert.InRange(result, Math.Floor(x * real) - 1, Math.Ceiling(x * real) + 1);
        }
    }

    [Fact]
    public void Requantize_clamps_to_the_activation_range()
    {
        Assert.Equal(127, FixedPoint.Requantize(1 << 20, 1 << 30, 0, 0, -128, 127));
        Assert.Equal(-128, FixedPoint.Requantize(-(1 << 20), 1 << 30, 0, 0, -128, 127));
        Assert.Equal(10, FixedPoint.Requantize(-50, 1 << 30, 0, 10, 10, 127));
    }
}
