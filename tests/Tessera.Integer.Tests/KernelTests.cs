using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Core;

namespace Tessera.Integer.Tests;

/// <summary>The integer kernels on hand-computed cases and properties against exact rational arithmetic.</summary>
public sealed class KernelTests
{
    private static readonly Window OneByOne = new(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);

    [Theory]
    [InlineData(5, 2, 3)]     // 2.5 -> 3: ties go away from zero
    [InlineData(-5, 2, -3)]   // -2.5 -> -3
    [InlineData(7, 2, 4)]
    [InlineData(-7, 2, -4)]
    [InlineData(4, 3, 1)]     // 1.33 -> 1
    [InlineData(-5, 3, -2)]   // -1.67 -> -2
    [InlineData(0, 7, 0)]
    public void RoundedDivideRoundsToNearestTiesAwayFromZero(int dividend, int divisor, int expected) =>
        Assert.Equal(expected, IntegerKernels.RoundedDivide(dividend, divisor));

    [Property]
    public Property RoundedDivideMatchesExactRounding() => Prop.ForAll(
        Arb.From(Gen.Choose(-1_000_000, 1_000_000)), Arb.From(Gen.Choose(1, 1000)),
        (dividend, divisor) => IntegerKernels.RoundedDivide(dividend, divisor) == (int)Math.Round((decimal)dividend / divisor, MidpointRounding.AwayFromZero));

    [Theory]
    [InlineData(6, 0.25, 2)]     // 1.5 -> 2: the rounding right shift sends ties away from zero
    [InlineData(-6, 0.25, -2)]   // -1.5 -> -2 (unlike QuantizeLinear's half to even)
    [InlineData(10, 0.25, 3)]    // 2.5 -> 3
    [InlineData(-10, 0.25, -3)]
    [InlineData(3, 0.5, 2)]      // no shift: the doubling high multiply rounds 1.5 up
    [InlineData(-3, 0.5, -1)]    // and, as gemmlowp defines it, an exact negative tie toward zero
    [InlineData(1000, 0.001, 1)]
    [InlineData(100, 0.25, 25)]
    public void RequantizationRoundsAsGemmlowp(int accumulator, double multiplier, int expected)
    {
        var requantizer = Requantizer.FromRealMultipliers([multiplier], 0);
        Assert.Equal(expected, requantizer.Apply(accumulator, 0));
    }

    [Fact]
    public void RequantizationAddsZeroPointThenSaturates()
    {
        var requantizer = Requantizer.FromRealMultipliers([0.5], 10);
        Assert.Equal(127, requantizer.Apply(1000, 0));     // 500 + 10 saturates
        Assert.Equal(-128, requantizer.Apply(-1000, 0));
        Assert.Equal(10 + 21, requantizer.Apply(42, 0));
        var relu = Requantizer.FromRealMultipliers([0.5], -5, minimum: -5);
        Assert.Equal(-5, relu.Apply(-40, 0));              // the fused ReLU clamps at the zero point
    }

    [Property]
    public Property FixedPointRequantizationMatchesExactRounding() => Prop.ForAll(
        Arb.From(Gen.Choose(-100_000, 100_000)), Arb.From(Gen.Choose(1, 999_999)),
        (accumulator, millionths) =>
        {
            var (multiplier, shift) = Hardware.FixedPoint.QuantizeMultiplier(millionths / 1e6);
            double exact = accumulator * (multiplier * Math.Pow(2, shift - 31));
            int actual = Hardware.FixedPoint.MultiplyByQuantizedMultiplier(accumulator, multiplier, shift);
            // Two roundings (the doubling high multiply, then the shift) may each move the result; together at most 1.
            return Math.Abs(actual - exact) <= 1.0 && Math.Abs(actual - Math.Round(exact, MidpointRounding.AwayFromZero)) <= 1;
        });

    [Property]
    public Property RescalingAnInt8ValueRoundsOnceToNearest() => Prop.ForAll(
        Arb.From(Gen.Choose(-255, 255)), Arb.From(Gen.Choose(1, 4_000_000)),
        (value, millionths) =>
        {
            double ratio = millionths / 1e6;
            var requantizer = Requantizer.ForValues(ratio, 0, sbyte.MinValue, sbyte.MaxValue);
            double exact = Math.Clamp(value * ratio, -128, 127);
            // One rounding: within half a step (plus the multiplier's 2^-31 relative error), never the
            // 1.5-step error of rounding twice.
            return Math.Abs(requantizer.Apply(value, 0) - exact) <= 0.5 + 1e-6 * Math.Abs(exact) + 1e-9;
        });

    [Fact]
    public void RescalingWithoutHeadroomWouldRoundTwice()
    {
        // 16 x 0.14998: the doubling high multiply alone gives round(16 x 0.59992) = 10, then 10 / 4 = 2.5 -> 3.
        double ratio = 0.0030257278 / 0.020174293;
        Assert.Equal(3, Requantizer.FromRealMultipliers([ratio], 0).Apply(16, 0));
        Assert.Equal(2, Requantizer.ForValues(ratio, 0).Apply(16, 0));
    }

    [Fact]
    public void PerChannelMultipliersApplyToTheirChannel()
    {
        var requantizer = Requantizer.FromRealMultipliers([0.5, 0.25], 0);
        int[] accumulators = [8, 8, 8, 8];
        var result = IntegerKernels.RequantizeAccumulators(accumulators, [1, 2, 1, 2], requantizer, channelLast: false);
        Assert.Equal(new sbyte[] { 4, 4, 2, 2 }, result.As<sbyte>());
        var columns = IntegerKernels.RequantizeAccumulators(accumulators, [2, 2], requantizer, channelLast: true);
        Assert.Equal(new sbyte[] { 4, 2, 4, 2 }, columns.As<sbyte>());
    }

    [Fact]
    public void ConvolutionPadsWithTheInputZeroPoint()
    {
        // 1x1x2x2 input with zero point 3; a 3x3 kernel of ones with padding 1 sees each pad as the zero point.
        sbyte[] x = [4, 5, 6, 7];
        sbyte[] w = Enumerable.Repeat((sbyte)1, 9).ToArray();
        var window = new Window(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2);
        var sums = IntegerKernels.ConvolutionAccumulators(x, [1, 1, 2, 2], 3, w, [1, 1, 3, 3], [0], [100], 1, window);
        // Centered input 1, 2, 3, 4: each output window covers all four.
        Assert.Equal(new[] { 110, 110, 110, 110 }, sums);
        // The same result as explicitly padding with the zero point and not padding.
        sbyte[] padded = new sbyte[16];
        Array.Fill(padded, (sbyte)3);
        padded[5] = 4; padded[6] = 5; padded[9] = 6; padded[10] = 7;
        var explicitSums = IntegerKernels.ConvolutionAccumulators(padded, [1, 1, 4, 4], 3, w, [1, 1, 3, 3], [0], [100], 1,
            new Window(3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2));
        Assert.Equal(sums, explicitSums);
    }

    [Fact]
    public void GroupedConvolutionUsesItsOwnChannelsAndWeightZeroPoints()
    {
        sbyte[] x = [1, 2, 3, 4];               // 1x2x1x2
        sbyte[] w = [2, 10];                    // two groups, one 1x1 filter each
        var window = new Window(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 2);
        var sums = IntegerKernels.ConvolutionAccumulators(x, [1, 2, 1, 2], 0, w, [2, 1, 1, 1], [1, 4], null, 2, window);
        Assert.Equal(new[] { 1, 2, 18, 24 }, sums);  // (x - 0) * (w - zero[m])
    }

    [Fact]
    public void ExtremeProductsAccumulateExactlyAndOverflowIsAnError()
    {
        int k = 1000;
        var x = Enumerable.Repeat(sbyte.MinValue, k).ToArray();
        var w = Enumerable.Repeat(sbyte.MinValue, k).ToArray();
        var (sums, _) = IntegerKernels.MatMulAccumulators(x, [1, k], 127, w, [k, 1], [127], [int.MaxValue - 255 * 255 * k]);
        Assert.Equal(int.MaxValue, sums[0]);
        Assert.Throws<UnsupportedException>(() => IntegerKernels.MatMulAccumulators(x, [1, k], 127, w, [k, 1], [127], [int.MaxValue - 255 * 255 * k + 1]));
    }

    [Fact]
    public void BatchedMatMulBroadcastsAndUsesPerColumnZeroPoints()
    {
        sbyte[] a = [1, 2, 3, 4, 5, 6, 7, 8];   // [2, 1, 4]... as [2,2,2]
        sbyte[] b = [1, 0, 0, 1];               // [2, 2] identity, broadcast over the batch
        var (sums, shape) = IntegerKernels.MatMulAccumulators(a, [2, 2, 2], 1, b, [2, 2], [0, 1], null);
        Assert.Equal(new[] { 2, 2, 2 }, shape);
        // (a - 1) times (b - zero[column]): column 1 of b - 1 is [-1, 0].
        Assert.Equal(new[] { 0, 0, 2, -2, 4, -4, 6, -6 }, sums);
    }

    [Fact]
    public void AveragePoolDividesTheCenteredSumWithRounding()
    {
        sbyte[] x = [1, 2, 2, 2];               // zero point 0, mean 1.75 -> 2
        Func<int, Requantizer> identity = new AverageRescale(1.0, 0, -128, 127).ForCount;
        var window = new Window(2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
        Assert.Equal(new sbyte[] { 2 }, IntegerKernels.AveragePool(x, [1, 1, 2, 2], window, 0, false, identity));
        // With zero point 2 the centered values are -1, 0, 0, 0: mean -0.25 -> 0, plus the output zero point.
        Func<int, Requantizer> shifted = new AverageRescale(1.0, 2, -128, 127).ForCount;
        Assert.Equal(new sbyte[] { 2 }, IntegerKernels.AveragePool(x, [1, 1, 2, 2], window, 2, false, shifted));
        // Padding counted: a 2x2 window at the corner of a 1x1 input with one pad each side sees 1 real of 4 taps.
        var padded = new Window(2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2);
        Assert.Equal(new sbyte[] { 3, 3, 3, 3 }, IntegerKernels.AveragePool([10], [1, 1, 1, 1], padded, 0, true, identity));
        Assert.Equal(new sbyte[] { 10, 10, 10, 10 }, IntegerKernels.AveragePool([10], [1, 1, 1, 1], padded, 0, false, identity));
    }

    [Property]
    public Property AveragePoolRoundsTheRescaledMeanOnce() => Prop.ForAll(
        Arb.From(Gen.ArrayOf(Gen.Choose(-128, 127)).Where(a => a.Length is > 0 and <= 64)), Arb.From(Gen.Choose(1, 3_000_000)),
        (values, millionths) =>
        {
            double ratio = millionths / 1e6;
            var x = values.Select(v => (sbyte)v).ToArray();
            var window = new Window(1, x.Length, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
            var result = IntegerKernels.AveragePool(x, [1, 1, 1, x.Length], window, 0, false, new AverageRescale(ratio, 0, -128, 127).ForCount)[0];
            double exact = Math.Clamp(values.Average() * ratio, -128, 127);
            return Math.Abs(result - exact) <= 0.5 + 1e-6 * Math.Abs(exact) + 1e-9;
        });

    [Fact]
    public void MaxPoolIgnoresPadding()
    {
        var padded = new Window(2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1);
        Assert.Equal(new sbyte[] { -100 }, IntegerKernels.MaxPool([-100], [1, 1, 1, 1], padded));
    }

    [Fact]
    public void Uint8ValuesMoveToInt8AndBackExactly()
    {
        var original = Tensor.Create([4], new byte[] { 0, 1, 128, 255 });
        var signed = IntegerState.ToSigned(original);
        Assert.Equal(new sbyte[] { -128, -127, 0, 127 }, signed.As<sbyte>());
        Assert.Equal(original.As<byte>(), IntegerState.ToUnsigned(signed).As<byte>());
        var state = new IntegerState();
        state.Set("u", original);
        Assert.True(state.IsUnsigned("u"));
        Assert.Equal(DataType.Int8, state.Get("u").DataType);
        Assert.Equal(original.As<byte>(), state.Original("u").As<byte>());
    }

    [Fact]
    public void LookupIndexesByValuePlus128()
    {
        var table = Enumerable.Range(0, 256).Select(i => (sbyte)(127 - i)).ToArray();
        var result = IntegerKernels.Lookup(Tensor.Create([3], new sbyte[] { -128, 0, 127 }), table);
        Assert.Equal(new sbyte[] { 127, -1, -128 }, result.As<sbyte>());
    }

    [Fact]
    public void AddAndMulFollowTfliteFixedPoint()
    {
        // Scales a = 0.5, b = 0.25, y = 0.5; zero points 1, -2, 3: 0.5 (a - 1) + 0.25 (b + 2) -> /0.5 + 3.
        var a = Tensor.Create([2], new sbyte[] { 5, -7 });
        var b = Tensor.Create([1], new sbyte[] { 6 });
        var (am, ash) = Hardware.FixedPoint.QuantizeMultiplier(0.5 / 1.0);
        var (bm, bsh) = Hardware.FixedPoint.QuantizeMultiplier(0.25 / 1.0);
        var (om, osh) = Hardware.FixedPoint.QuantizeMultiplier(1.0 / ((1 << 20) * 0.5));
        int[] p = [1, -2, 20, am, ash, bm, bsh, om, osh, 3, -128, 127];
        var sum = IntegerKernels.Binary(a, b, (x, y) => Hardware.FixedPoint.Add(x, y, p));
        Assert.Equal(new sbyte[] { 4 + 4 + 3, -8 + 4 + 3 }, sum.As<sbyte>());
        var (mm, msh) = Hardware.FixedPoint.QuantizeMultiplier(0.5 * 0.25 / 0.5);
        int[] q = [1, -2, mm, msh, 3, -128, 127];
        var product = IntegerKernels.Binary(a, b, (x, y) => Hardware.FixedPoint.Multiply(x, y, q));
        Assert.Equal(new sbyte[] { 4 * 8 / 4 + 3, -8 * 8 / 4 + 3 }, product.As<sbyte>());
    }
}
