using Tessera.Core;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class PowerModuloTests
{
    [Fact]
    public void Pow_float_with_broadcast_exponent()
    {
        AssertTensor(Run("Pow", F([2, 2], 1, 2, 3, 4), F(2, 0.5f)), DataType.Float32, [2, 2], 1, System.Math.Sqrt(2), 9, 2);
    }

    [Fact]
    public void Pow_keeps_base_type_with_integer_exponent()
    {
        var y = Run("Pow", F(2, 3), I64(3, -1));
        AssertTensor(y, DataType.Float32, [2], 8, 1.0 / 3);
    }

    [Fact]
    public void Pow_integer_base_and_exponent_is_exact()
    {
        var y = Run("Pow", I64(3, -2, 10, 1, -1), I64(39, 3, 0, -5, -3));
        Assert.Equal(new long[] { 4052555153018976267, -8, 1, 1, -1 }, y.As<long>());
    }

    [Fact]
    public void Pow_integer_base_float_exponent_truncates()
    {
        var y = Run("Pow", I32(2, 9), F(0.5f, 0.5f));
        AssertTensor(y, DataType.Int32, [2], 1, 3);
    }

    [Fact]
    public void Pow_zero_to_negative_integer_power_is_an_input_error()
    {
        Assert.Throws<InvalidInputException>(() => Run("Pow", I32(0), I32(-1)));
    }

    [Fact]
    public void Mod_integer_default_takes_sign_of_divisor()
    {
        var y = Run("Mod", I32(-4, 7, 5, -5, 6), I32(3, -3, 3, -3, 3));
        Assert.Equal(new[] { 2, -2, 2, -2, 0 }, y.As<int>());
    }

    [Fact]
    public void Mod_fmod_takes_sign_of_dividend()
    {
        var y = Run("Mod", 13, [I32(-4, 7, 5, -5), I32(3, -3, 3, -3)], NodeAttribute.Int("fmod", 1));
        Assert.Equal(new[] { -1, 1, 2, -2 }, y.As<int>());
        var f = Run("Mod", 13, [F(-4.3f, 7.5f), F(2, -2)], NodeAttribute.Int("fmod", 1));
        AssertFloats(f, -4.3f % 2f, 7.5f % -2f);
    }

    [Fact]
    public void Mod_unsigned_and_min_value()
    {
        var y = Run("Mod", Tensor.Create([2], new uint[] { 4000000000, 7 }), Tensor.Create([2], new uint[] { 7, 4000000000 }));
        Assert.Equal(new uint[] { 4000000000 % 7, 7 }, y.As<uint>());
        Assert.Equal(0, Run("Mod", I32(int.MinValue), I32(-1)).As<int>()[0]);
    }

    [Fact]
    public void Mod_by_zero_integer_is_an_input_error()
    {
        Assert.Throws<InvalidInputException>(() => Run("Mod", I32(1), I32(0)));
    }

    [Fact]
    public void Pow_inference_uses_base_type()
    {
        var t = (TensorType)Infer("Pow", 15, [Type(DataType.Int32, 2, 1), Type(DataType.Float32, 3)])!;
        Assert.Equal(DataType.Int32, t.ElementType);
        Assert.Equal(new TensorShape(2, 3), t.Shape);
    }
}
