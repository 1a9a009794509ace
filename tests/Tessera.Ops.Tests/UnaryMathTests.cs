using Tessera.Core;
using Tessera.Ops.Math;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class UnaryMathTests
{
    [Fact]
    public void Round_rounds_half_to_even()
    {
        AssertFloats(Run("Round", F(0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f)), 0, 2, 2, 0, -2, 2, -3);
    }

    [Fact]
    public void Floor_and_ceil()
    {
        AssertFloats(Run("Floor", F(-1.5f, 1.2f, 2)), -2, 1, 2);
        AssertFloats(Run("Ceil", F(-1.5f, 1.2f, 2)), -1, 2, 2);
    }

    [Fact]
    public void Abs_neg_sign_on_integers_wrap_at_min_value()
    {
        var x = Tensor.Create([4], new sbyte[] { -128, -3, 0, 5 });
        Assert.Equal(new sbyte[] { -128, 3, 0, 5 }, Run("Abs", x).As<sbyte>());
        Assert.Equal(new sbyte[] { -128, 3, 0, -5 }, Run("Neg", x).As<sbyte>());
        Assert.Equal(new sbyte[] { -1, -1, 0, 1 }, Run("Sign", x).As<sbyte>());
    }

    [Fact]
    public void Sign_keeps_nan_and_zero()
    {
        AssertFloats(Run("Sign", F(float.NaN, 0, -2.5f, 3)), double.NaN, 0, -1, 1);
    }

    [Fact]
    public void Exp_log_sqrt_reciprocal()
    {
        AssertFloats(Run("Exp", D(0, 1)), 1, System.Math.E);
        AssertFloats(Run("Log", D(1, 0, -1)), 0, double.NegativeInfinity, double.NaN);
        AssertFloats(Run("Sqrt", F(4, 2)), 2, System.Math.Sqrt(2));
        AssertFloats(Run("Reciprocal", F(4, -0.5f)), 0.25, -2);
    }

    [Fact]
    public void Trigonometric_and_hyperbolic_functions()
    {
        AssertFloats(Run("Sin", D(System.Math.PI / 2)), 1);
        AssertFloats(Run("Cos", D(System.Math.PI)), -1);
        AssertFloats(Run("Tan", D(System.Math.PI / 4)), 1);
        AssertFloats(Run("Asin", D(1)), System.Math.PI / 2);
        AssertFloats(Run("Acos", D(-1)), System.Math.PI);
        AssertFloats(Run("Atan", D(1)), System.Math.PI / 4);
        AssertFloats(Run("Sinh", D(1)), (System.Math.E - 1 / System.Math.E) / 2);
        AssertFloats(Run("Cosh", D(1)), (System.Math.E + 1 / System.Math.E) / 2);
        AssertFloats(Run("Asinh", D(1)), System.Math.Log(1 + System.Math.Sqrt(2)));
        AssertFloats(Run("Acosh", D(1, 0.5)), 0, double.NaN);
        AssertFloats(Run("Atanh", D(0.5)), 0.5 * System.Math.Log(3));
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1e-20, 1.1283791670955126e-20)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.6, 0.9997639655834707)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(10.0, 1.0)]
    public void Erf_matches_reference_values(double x, double expected)
    {
        double actual = ErrorFunction.Erf(x);
        Assert.True(System.Math.Abs(actual - expected) <= 1e-15 + 1e-13 * System.Math.Abs(expected), $"erf({x}) = {actual}, expected {expected}");
    }

    [Fact]
    public void Erf_operator_on_float16()
    {
        var y = Run("Erf", Tensor.Create([2], new[] { (Half)1f, (Half)(-0.5f) }));
        Assert.Equal(DataType.Float16, y.DataType);
        Assert.Equal((Half)0.8427007929497149, y.As<Half>()[0]);
        Assert.Equal((Half)(-0.5204998778130465), y.As<Half>()[1]);
    }

    [Fact]
    public void Float_only_ops_reject_integers_as_unsupported()
    {
        Assert.Throws<UnsupportedException>(() => Run("Exp", I32(1)));
        Assert.Throws<UnsupportedException>(() => Run("Abs", B(true)));
    }

    [Fact]
    public void Empty_input_gives_empty_output_and_inference_keeps_shape()
    {
        AssertTensor(Run("Sqrt", F([2, 0])), DataType.Float32, [2, 0]);
        var t = new TensorType(DataType.Float16, new TensorShape([Dim.Symbolic("B"), Dim.Known(3)]));
        Assert.Equal(t, Infer("Cos", 13, [t]));
    }

    [Fact]
    public void IsNaN_and_IsInf_with_detection_flags()
    {
        var x = F(float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1);
        Assert.Equal(new[] { true, false, false, false }, Run("IsNaN", x).As<bool>());
        Assert.Equal(new[] { false, true, true, false }, Run("IsInf", x).As<bool>());
        Assert.Equal(new[] { false, true, false, false }, Run("IsInf", 20, [x], NodeAttribute.Int("detect_negative", 0)).As<bool>());
        Assert.Equal(new[] { false, false, true, false }, Run("IsInf", 20, [x], NodeAttribute.Int("detect_positive", 0)).As<bool>());
        var t = (TensorType)Infer("IsNaN", 20, [Type(DataType.Float64, 4)])!;
        Assert.Equal(DataType.Bool, t.ElementType);
    }
}
