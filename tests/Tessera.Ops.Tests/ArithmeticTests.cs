using Tessera.Core;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class ArithmeticTests
{
    [Fact]
    public void Add_broadcasts_a_row_over_a_matrix()
    {
        var y = Run("Add", F([2, 3], 1, 2, 3, 4, 5, 6), F(10, 20, 30));
        AssertTensor(y, DataType.Float32, [2, 3], 11, 22, 33, 14, 25, 36);
    }

    [Fact]
    public void Sub_broadcasts_column_against_row_in_both_directions()
    {
        var y = Run("Sub", F([2, 1], 10, 20), F([1, 3], 1, 2, 3));
        AssertTensor(y, DataType.Float32, [2, 3], 9, 8, 7, 19, 18, 17);
    }

    [Fact]
    public void Mul_with_scalar_on_the_left()
    {
        var y = Run("Mul", Tensor.Scalar(2.5), Tensor.Create([2, 2], new double[] { 1, -2, 3, 0.5 }));
        AssertTensor(y, DataType.Float64, [2, 2], 2.5, -5, 7.5, 1.25);
    }

    [Fact]
    public void Integer_division_truncates_toward_zero()
    {
        var y = Run("Div", I32(7, -7, 7, -7, 0), I32(2, 2, -2, -2, 5));
        AssertTensor(y, DataType.Int32, [5], 3, -3, -3, 3, 0);
    }

    [Fact]
    public void Integer_division_of_min_value_by_minus_one_wraps()
    {
        var y = Run("Div", I64(long.MinValue), I64(-1));
        Assert.Equal(long.MinValue, y.As<long>()[0]);
    }

    [Fact]
    public void Integer_division_by_zero_is_an_input_error()
    {
        Assert.Throws<InvalidInputException>(() => Run("Div", I32(1, 2), I32(1, 0)));
    }

    [Fact]
    public void Float_division_by_zero_gives_infinity_and_nan()
    {
        AssertFloats(Run("Div", F(1, -1, 0), F(0, 0, 0)), double.PositiveInfinity, double.NegativeInfinity, double.NaN);
    }

    [Fact]
    public void Unsigned_types_wrap_and_divide_unsigned()
    {
        var a = Tensor.Create([3], new byte[] { 250, 3, 200 });
        var b = Tensor.Create([3], new byte[] { 10, 5, 2 });
        Assert.Equal(new byte[] { 4, 8, 202 }, Run("Add", a, b).As<byte>());
        Assert.Equal(new byte[] { 240, 254, 198 }, Run("Sub", a, b).As<byte>());
        Assert.Equal(new byte[] { 25, 0, 100 }, Run("Div", a, b).As<byte>());
        var big = Tensor.Create([1], new ulong[] { ulong.MaxValue });
        Assert.Equal(ulong.MaxValue / 2, Run("Div", big, Tensor.Create([1], new ulong[] { 2 })).As<ulong>()[0]);
        Assert.Equal(DataType.UInt64, Run("Mul", big, big).DataType);
    }

    [Fact]
    public void Float16_is_computed_in_float32_and_rounded_once()
    {
        var a = Tensor.Create([2], new[] { (Half)0.1f, (Half)1000f });
        var b = Tensor.Create([2], new[] { (Half)0.2f, (Half)0.3f });
        var y = Run("Add", a, b);
        Assert.Equal(DataType.Float16, y.DataType);
        Assert.Equal((Half)((float)(Half)0.1f + (float)(Half)0.2f), y.As<Half>()[0]);
        Assert.Equal((Half)1000.5f, y.As<Half>()[1]);
    }

    [Fact]
    public void BFloat16_is_supported()
    {
        var a = Tensor.Create([1], new[] { (BFloat16)1.5f });
        var y = Run("Mul", a, a);
        AssertTensor(y, DataType.BFloat16, [1], 2.25);
    }

    [Fact]
    public void Empty_tensor_broadcast_gives_empty_result()
    {
        var y = Run("Add", F([0, 3]), F(1, 2, 3));
        AssertTensor(y, DataType.Float32, [0, 3]);
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
    {
        Assert.Throws<InvalidInputException>(() => Run("Add", F(1, 2, 3), F(1, 2)));
    }

    [Fact]
    public void Mismatched_element_types_are_rejected()
    {
        Assert.Throws<InvalidInputException>(() => Run("Add", F(1), D(1)));
    }

    [Fact]
    public void Strings_are_unsupported()
    {
        var s = Tensor.Create([1], new[] { "a" });
        Assert.Throws<UnsupportedException>(() => Run("Add", s, s));
    }

    [Fact]
    public void Opset6_legacy_broadcast_aligns_second_operand_at_axis()
    {
        var a = F([2, 3, 2], 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1);
        var y = Run("Add", 6, [a, F(10, 20, 30)], NodeAttribute.Int("broadcast", 1), NodeAttribute.Int("axis", 1));
        AssertTensor(y, DataType.Float32, [2, 3, 2], 10, 10, 20, 20, 30, 30, 11, 11, 21, 21, 31, 31);
    }

    [Fact]
    public void Opset6_without_axis_broadcasts_from_the_right()
    {
        var y = Run("Mul", 6, [F([2, 2], 1, 2, 3, 4), F(10, 100)], NodeAttribute.Int("broadcast", 1));
        AssertTensor(y, DataType.Float32, [2, 2], 10, 200, 30, 400);
    }

    [Fact]
    public void Inference_broadcasts_symbolic_dims()
    {
        var n = new TensorType(DataType.Float32, new TensorShape([Dim.Symbolic("N"), Dim.Known(1), Dim.Known(4)]));
        var t = (TensorType)Infer("Add", 14, [n, Type(DataType.Float32, 3, 1)])!;
        Assert.Equal(DataType.Float32, t.ElementType);
        Assert.Equal(new TensorShape([Dim.Symbolic("N"), Dim.Known(3), Dim.Known(4)]), t.Shape);
    }

    [Fact]
    public void Inference_before_opset7_keeps_first_shape()
    {
        var t = (TensorType)Infer("Add", 6, [Type(DataType.Float32, 2, 3), Type(DataType.Float32, 3)])!;
        Assert.Equal(new TensorShape(2, 3), t.Shape);
    }

    [Fact]
    public void Macs_count_output_elements()
    {
        Assert.Equal(24, Macs("Mul", [[2, 3, 4], [4]], [2, 3, 4]));
    }
}
