using Tessera.Core;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class CastTests
{
    private static Tensor Cast(Tensor x, DataType to) => Run("Cast", 13, [x], NodeAttribute.Int("to", (long)to));

    [Fact]
    public void Float_to_integer_truncates_toward_zero()
    {
        Assert.Equal(new[] { 1, -1, 2, 0 }, Cast(F(1.9f, -1.9f, 2, -0.2f), DataType.Int32).As<int>());
    }

    [Fact]
    public void Integer_to_narrower_integer_wraps()
    {
        Assert.Equal(new sbyte[] { -56, 1 }, Cast(I32(200, 257), DataType.Int8).As<sbyte>());
        Assert.Equal(new byte[] { 255 }, Cast(I32(-1), DataType.UInt8).As<byte>());
    }

    [Fact]
    public void Unsigned_values_convert_as_unsigned()
    {
        var y = Cast(Tensor.Create([2], new byte[] { 200, 255 }), DataType.Float32);
        AssertFloats(y, 200, 255);
        var big = Cast(Tensor.Create([1], new ulong[] { ulong.MaxValue }), DataType.Float64);
        Assert.Equal(18446744073709551615.0, big.As<double>()[0]);
    }

    [Fact]
    public void Bool_conversions()
    {
        Assert.Equal(new[] { true, false, true }, Cast(F(0.5f, 0, float.NaN), DataType.Bool).As<bool>());
        AssertFloats(Cast(B(true, false), DataType.Float32), 1, 0);
    }

    [Fact]
    public void Float_to_bfloat16_rounds_to_nearest_even()
    {
        // 0x3F808000 is exactly halfway between bfloat16 0x3F80 and 0x3F81: ties go to the even 0x3F80.
        // 0x3F818000 is halfway between 0x3F81 and 0x3F82: ties go to 0x3F82. 0x3F80C000 rounds up.
        float[] x = [BitConverter.UInt32BitsToSingle(0x3F808000), BitConverter.UInt32BitsToSingle(0x3F818000), BitConverter.UInt32BitsToSingle(0x3F80C000)];
        var y = Cast(F(x), DataType.BFloat16).As<BFloat16>();
        Assert.Equal(new ushort[] { 0x3F80, 0x3F82, 0x3F81 }, y.Select(b => b.Bits).ToArray());
    }

    [Fact]
    public void Float_to_float16_rounds_and_overflows_to_infinity()
    {
        var y = Cast(F(1.0009765625f + 0.0004f, 70000), DataType.Float16).As<Half>();
        Assert.Equal((Half)1.0009765625f, y[0]);
        Assert.True(Half.IsPositiveInfinity(y[1]));
    }

    [Fact]
    public void Numbers_to_strings_and_back()
    {
        var text = Cast(F(0.9767611f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-5f, 3), DataType.String).As<string>();
        Assert.Equal(new[] { "0.9767611", "NaN", "INF", "-INF", "1e-05", "3" }, text);
        Assert.Equal(new[] { "200" }, Cast(Tensor.Create([1], new byte[] { 200 }), DataType.String).As<string>());
        var back = Cast(Tensor.Create([5], new[] { "0.47892547", "NaN", "+INF", "-INF", " 2 " }), DataType.Float32);
        AssertFloats(back, 0.47892547f, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 2);
        Assert.Equal(new long[] { 9007199254740993 }, Cast(Tensor.Create([1], new[] { "9007199254740993" }), DataType.Int64).As<long>());
    }

    [Fact]
    public void Unparseable_string_is_an_input_error()
    {
        Assert.Throws<InvalidInputException>(() => Cast(Tensor.Create([1], new[] { "abc" }), DataType.Float32));
    }

    [Fact]
    public void Float8_and_int4_targets_are_unsupported()
    {
        Assert.Throws<UnsupportedException>(() => Run("Cast", 19, [F(1)], NodeAttribute.Int("to", 17), NodeAttribute.Int("saturate", 1)));
        Assert.Throws<UnsupportedException>(() => Run("Cast", 21, [F(1)], NodeAttribute.Int("to", 22)));
        Assert.Null(Infer("Cast", 19, [Type(DataType.Float32, 2)], NodeAttribute.Int("to", 17)));
        Assert.Throws<UnsupportedException>(() => Run("Cast", 13, [F(1)], NodeAttribute.Int("to", (1L << 32) + 1)));
    }

    [Fact]
    public void CastLike_takes_the_type_of_its_second_input()
    {
        var y = Run("CastLike", 15, [F(1.5f, -2.5f), Tensor.Create([0], Array.Empty<long>())]);
        Assert.Equal(new long[] { 1, -2 }, y.As<long>());
        var t = (TensorType)Infer("CastLike", 15, [Type(DataType.Float32, 2, 3), Type(DataType.Float16)])!;
        Assert.Equal(DataType.Float16, t.ElementType);
        Assert.Equal(new TensorShape(2, 3), t.Shape);
    }

    [Fact]
    public void Cast_inference_and_empty_input()
    {
        var t = (TensorType)Infer("Cast", 13, [Type(DataType.Float32, 4)], NodeAttribute.Int("to", (long)DataType.Int8))!;
        Assert.Equal(DataType.Int8, t.ElementType);
        AssertTensor(Cast(F([0, 2]), DataType.Float64), DataType.Float64, [0, 2]);
    }
}
