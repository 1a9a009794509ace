using Tessera.Core;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class LogicTests
{
    [Fact]
    public void Boolean_ops_broadcast()
    {
        var a = Tensor.Create([2, 2], new[] { true, true, false, false });
        var b = B(true, false);
        Assert.Equal(new[] { true, false, false, false }, Run("And", a, b).As<bool>());
        Assert.Equal(new[] { true, true, true, false }, Run("Or", a, b).As<bool>());
        Assert.Equal(new[] { false, true, true, false }, Run("Xor", a, b).As<bool>());
        Assert.Equal(new[] { false, false, true, true }, Run("Not", a).As<bool>());
        Assert.Equal([2, 2], Run("And", a, b).Shape);
    }

    [Fact]
    public void Boolean_ops_reject_numbers()
    {
        Assert.Throws<InvalidInputException>(() => Run("And", I32(1), I32(1)));
    }

    [Fact]
    public void Bitwise_ops_on_signed_and_unsigned()
    {
        Assert.Equal(new[] { 0b1000 }, Run("BitwiseAnd", I32(0b1100), I32(0b1010)).As<int>());
        Assert.Equal(new[] { 0b1110 }, Run("BitwiseOr", I32(0b1100), I32(0b1010)).As<int>());
        Assert.Equal(new[] { 0b0110 }, Run("BitwiseXor", I32(0b1100), I32(0b1010)).As<int>());
        Assert.Equal(new byte[] { 0xF0 }, Run("BitwiseNot", Tensor.Create([1], new byte[] { 0x0F })).As<byte>());
        Assert.Equal(new[] { -1 }, Run("BitwiseNot", I32(0)).As<int>());
        Assert.Throws<UnsupportedException>(() => Run("BitwiseAnd", F(1), F(1)));
    }

    [Fact]
    public void BitShift_left_and_right_with_shift_past_width()
    {
        var x = Tensor.Create([3], new byte[] { 16, 4, 1 });
        var s = Tensor.Create([3], new byte[] { 1, 2, 8 });
        Assert.Equal(new byte[] { 32, 16, 0 }, Run("BitShift", 11, [x, s], NodeAttribute.String("direction", "LEFT")).As<byte>());
        Assert.Equal(new byte[] { 8, 1, 0 }, Run("BitShift", 11, [x, s], NodeAttribute.String("direction", "RIGHT")).As<byte>());
        var big = Tensor.Create([2], new ulong[] { 1, 1UL << 63 });
        var by = Tensor.Create([2], new ulong[] { 63, 64 });
        Assert.Equal(new ulong[] { 1UL << 63, 0 }, Run("BitShift", 11, [big, by], NodeAttribute.String("direction", "LEFT")).As<ulong>());
    }

    [Fact]
    public void BitShift_needs_a_direction()
    {
        var x = Tensor.Create([1], new uint[] { 1 });
        Assert.Throws<InvalidInputException>(() => Run("BitShift", 11, [x, x]));
    }

    [Fact]
    public void Logic_inference()
    {
        var t = (TensorType)Infer("Or", 7, [Type(DataType.Bool, 3, 1), Type(DataType.Bool, 4)])!;
        Assert.Equal(new TensorShape(3, 4), t.Shape);
        Assert.Equal(DataType.Bool, t.ElementType);
    }
}

public class ComparisonTests
{
    [Fact]
    public void Comparisons_broadcast_and_return_bool()
    {
        var a = F([2, 2], 1, 2, 3, 4);
        var b = F(2, 3);
        Assert.Equal(new[] { false, false, false, false }, Run("Equal", a, F(0, 0)).As<bool>());
        Assert.Equal(new[] { false, false, true, true }, Run("Greater", a, b).As<bool>());
        Assert.Equal(new[] { false, false, true, true }, Run("GreaterOrEqual", a, b).As<bool>());
        Assert.Equal(new[] { true, true, false, false }, Run("Less", a, b).As<bool>());
        Assert.Equal(new[] { true, true, false, false }, Run("LessOrEqual", a, b).As<bool>());
        Assert.Equal(new[] { false, false, true, false }, Run("Equal", a, F(3)).As<bool>());
    }

    [Fact]
    public void Equal_or_greater_on_boundary_values()
    {
        Assert.Equal(new[] { true, true, false }, Run("GreaterOrEqual", I64(5, 6, 4), I64(5)).As<bool>());
        Assert.Equal(new[] { true, false, true }, Run("LessOrEqual", I64(5, 6, 4), I64(5)).As<bool>());
    }

    [Fact]
    public void Nan_is_unequal_to_everything()
    {
        Assert.Equal(new[] { false, false, false }, Run("Equal", F(float.NaN, float.NaN, 1), F(float.NaN, 1, float.NaN)).As<bool>());
        Assert.Equal(new[] { false }, Run("Greater", F(float.NaN), F(1)).As<bool>());
    }

    [Fact]
    public void Unsigned_comparison_is_unsigned()
    {
        var a = Tensor.Create([1], new uint[] { 3000000000 });
        var b = Tensor.Create([1], new uint[] { 1 });
        Assert.True(Run("Greater", a, b).As<bool>()[0]);
    }

    [Fact]
    public void Equal_on_strings_and_bools()
    {
        var a = Tensor.Create([3], new[] { "x", "y", "" });
        var b = Tensor.Create([3], new[] { "x", "Y", "" });
        Assert.Equal(new[] { true, false, true }, Run("Equal", a, b).As<bool>());
        Assert.Equal(new[] { true, false }, Run("Equal", B(true, false), B(true)).As<bool>());
        Assert.Throws<UnsupportedException>(() => Run("Less", a, b));
    }

    [Fact]
    public void Comparison_inference_is_bool_with_broadcast_shape()
    {
        var t = (TensorType)Infer("Less", 13, [Type(DataType.Float32, 2, 1), Type(DataType.Float32, 5)])!;
        Assert.Equal(DataType.Bool, t.ElementType);
        Assert.Equal(new TensorShape(2, 5), t.Shape);
    }
}
