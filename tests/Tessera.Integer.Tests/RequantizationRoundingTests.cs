using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Tessera.Integer.Tests;

/// <summary>The three requantization roundings against exact rational arithmetic (BigInteger), on the same
/// multipliers and shifts.</summary>
public sealed class RequantizationRoundingTests
{
    /// <summary>accumulator x multiplier x 2^(shift - 31), exactly, rounded to an integer by <paramref name="tiesUp"/>
    /// (true: ties toward +infinity) or half away from zero.</summary>
    private static BigInteger ExactRounded(int accumulator, int multiplier, int shift, bool tiesUp)
    {
        int total = 31 - shift;
        var numerator = (BigInteger)accumulator * multiplier * 2;
        var denominator = BigInteger.One << (total + 1);
        // round(n / d): floor((n + d/2) / d) for ties up; by magnitude for ties away from zero.
        if (tiesUp) return BigInteger.Divide(numerator + denominator / 2 - (numerator + denominator / 2 < 0 ? denominator - 1 : 0), denominator);
        var magnitude = BigInteger.Divide(BigInteger.Abs(numerator) + denominator / 2, denominator);
        return numerator.Sign < 0 ? -magnitude : magnitude;
    }

    private static Requantizer Make(double real, RequantizationRounding rounding)
    {
        var requantizer = Requantizer.FromRealMultipliers([real], 0).WithRounding(rounding);
        Assert.Equal(rounding, requantizer.Rounding);
        return requantizer;
    }

    [Property]
    public Property SingleRoundingIsTheExactProductRoundedOnceTiesUp() => Prop.ForAll(
        Arb.From(Gen.Choose(-2_000_000, 2_000_000)), Arb.From(Gen.Choose(1, 999_999)),
        (accumulator, millionths) =>
        {
            var r = Make(millionths / 1e6 / 1000, RequantizationRounding.Single);
            var exact = ExactRounded(accumulator, r.Multipliers[0], r.Shifts[0], tiesUp: true);
            return r.Apply(accumulator, 0) == (sbyte)BigInteger.Clamp(exact, -128, 127);
        });

    [Property]
    public Property FloatRoundingIsTheExactProductRoundedHalfAwayFromZero() => Prop.ForAll(
        Arb.From(Gen.Choose(-1_000_000, 1_000_000)), Arb.From(Gen.Choose(1, 999_999)),
        (accumulator, millionths) =>
        {
            var r = Make(millionths / 1e6 / 1000, RequantizationRounding.Float);
            var exact = ExactRounded(accumulator, r.Multipliers[0], r.Shifts[0], tiesUp: false);
            return r.Apply(accumulator, 0) == (sbyte)BigInteger.Clamp(exact, -128, 127);
        });

    [Fact]
    public void The_roundings_part_exactly_on_the_cases_that_separate_them()
    {
        // 0.5 exactly: a tie for -3 x 0.5 = -1.5 (single rounds up to -1, float away from zero to -2; the doubling
        // high multiply is the NPU's FixedPoint arithmetic).
        var single = Make(0.5, RequantizationRounding.Single);
        var floating = Make(0.5, RequantizationRounding.Float);
        var twice = Make(0.5, RequantizationRounding.Double);
        Assert.Equal(-1, single.Apply(-3, 0));
        Assert.Equal(-2, floating.Apply(-3, 0));
        Assert.Equal(Hardware.FixedPoint.Requantize(-3, twice.Multipliers[0], twice.Shifts[0], 0, -128, 127), twice.Apply(-3, 0));
        Assert.Equal(2, single.Apply(3, 0));
        Assert.Equal(2, floating.Apply(3, 0));
        // A value just below a half step after the first rounding: the double rounding goes over, one rounding not.
        // multiplier 2^30 + 1 and shift -8: x * (2^30 + 1) / 2^39; x = 255 gives 0.4980...; 256 x that = 127.5000001.
        var near = new Requantizer([(1 << 30) + 1], [-8], 0);
        Assert.Equal(RequantizationRounding.Double, near.Rounding);
        Assert.Equal(Hardware.FixedPoint.Requantize(32_640, (1 << 30) + 1, -8, 0, -128, 127), near.Apply(32_640, 0));
        Assert.Equal((sbyte)ExactRounded(32_640, (1 << 30) + 1, -8, tiesUp: true), near.WithRounding(RequantizationRounding.Single).Apply(32_640, 0));
        Assert.Same(near, near.WithRounding(RequantizationRounding.Double));
    }

    [Fact]
    public void Clamp_and_zero_point_apply_to_every_rounding()
    {
        foreach (var rounding in Enum.GetValues<RequantizationRounding>())
        {
            var r = Requantizer.FromRealMultipliers([0.25], zeroPoint: -10, minimum: -10, maximum: 50).WithRounding(rounding);
            Assert.Equal(-10, r.Apply(-400, 0));   // fused ReLU: clamped at the zero point
            Assert.Equal(50, r.Apply(4_000, 0));   // upper clamp
            Assert.Equal(-10 + 25, r.Apply(100, 0));
        }
    }
}
