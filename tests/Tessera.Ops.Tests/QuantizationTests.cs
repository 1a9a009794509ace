using Tessera.Core;
using static Tessera.Ops.Tests.OpRunner;

namespace Tessera.Ops.Tests;

public class QuantizationTests
{
    [Fact]
    public void DequantizeLinear_subtracts_uint8_zero_point()
    {
        var x = Tensor.Create([4], new byte[] { 0, 3, 128, 255 });
        var y = Run1("DequantizeLinear", [x, Tensor.Scalar(2f), Tensor.Scalar((byte)128)], opset: 10);
        Assert.Equal(new[] { -256f, -250f, 0f, 254f }, y.As<float>());
    }

    [Fact]
    public void QuantizeLinear_rounds_half_to_even_and_saturates()
    {
        var x = F([6], 0f, 2f, 3f, 1000f, -254f, -1000f);
        var y = Run1("QuantizeLinear", [x, Tensor.Scalar(2f), Tensor.Scalar((byte)128)], opset: 10);
        Assert.Equal(new byte[] { 128, 129, 130, 255, 1, 0 }, y.As<byte>());
    }

    [Fact]
    public void QuantizeLinear_per_axis_int8()
    {
        var x = F([1, 2, 2], 1, -1, 10, 30);
        var y = Run1("QuantizeLinear", [x, F([2], 0.5f, 10), Tensor.Create([2], new sbyte[] { 0, -1 })], opset: 13);
        Assert.Equal(new sbyte[] { 2, -2, 0, 2 }, y.As<sbyte>());
    }

    [Fact]
    public void QuantizeLinear_without_zero_point_is_uint8()
    {
        var y = Run1("QuantizeLinear", [F([3], -1, 0.5f, 1.5f), Tensor.Scalar(1f)], opset: 13);
        Assert.Equal(new byte[] { 0, 0, 2 }, y.As<byte>());
    }

    [Fact]
    public void DequantizeLinear_per_axis_and_int32()
    {
        var y = Run1("DequantizeLinear", [Tensor.Create([2, 2], new sbyte[] { -128, 127, 1, 2 }), F([2], 1, 0.5f), Tensor.Create([2], new sbyte[] { 0, 2 })], opset: 13,
            attributes: [NodeAttribute.Int("axis", 0)]);
        AssertClose([-128, 127, -0.5f, 0], y);
        var wide = Run1("DequantizeLinear", [Tensor.Create([1], new[] { 1 << 30 }), Tensor.Scalar(2f)], opset: 13);
        AssertClose([2147483648f], wide);
    }

    [Fact]
    public void Blocked_quantization_is_unsupported() =>
        Assert.Throws<UnsupportedException>(() => Run1("DequantizeLinear", [Tensor.Create([2], new sbyte[] { 1, 2 }), F([1], 1)], opset: 21,
            attributes: [NodeAttribute.Int("block_size", 2)]));

    [Fact]
    public void DynamicQuantizeLinear_includes_zero_in_range()
    {
        var outputs = Run("DynamicQuantizeLinear", [F([3], 0, 2.55f, 1.25f)], 3, opset: 11);
        Assert.Equal(0.01f, outputs[1].As<float>()[0], 6);
        Assert.Equal((byte)0, outputs[2].As<byte>()[0]);
        Assert.Equal(new byte[] { 0, 255, 125 }, outputs[0].As<byte>());
    }

    [Fact]
    public void MatMulInteger_subtracts_zero_points()
    {
        var a = Tensor.Create([1, 2], new byte[] { 130, 132 });
        var b = Tensor.Create([2, 1], new sbyte[] { 3, -1 });
        var y = Run1("MatMulInteger", [a, b, Tensor.Scalar((byte)128), Tensor.Scalar((sbyte)1)], opset: 10);
        Assert.Equal(DataType.Int32, y.DataType);
        Assert.Equal(new[] { 2 * 2 + 4 * -2 }, y.As<int>());
    }

    [Fact]
    public void QLinearMatMul_requantizes_with_rounding()
    {
        var a = Tensor.Create([1, 2], new byte[] { 2, 4 });
        var b = Tensor.Create([2, 1], new byte[] { 1, 1 });
        // (2 + 4) * (0.5 * 1 / 4) = 0.75 -> 1, plus zero point 10.
        var y = Run1("QLinearMatMul", [a, Tensor.Scalar(0.5f), Tensor.Scalar((byte)0), b, Tensor.Scalar(1f), Tensor.Scalar((byte)0), Tensor.Scalar(4f), Tensor.Scalar((byte)10)], opset: 10);
        Assert.Equal(new byte[] { 11 }, y.As<byte>());
    }

    [Fact]
    public void ConvInteger_and_QLinearConv_match_hand_sums()
    {
        var x = Tensor.Create([1, 1, 2, 2], new byte[] { 1, 2, 3, 4 });
        var w = Tensor.Create([1, 1, 1, 1], new byte[] { 3 });
        var sums = Run1("ConvInteger", [x, w, Tensor.Scalar((byte)1), Tensor.Scalar((byte)1)], opset: 10);
        Assert.Equal(new[] { 0, 2, 4, 6 }, sums.As<int>());
        var q = Run1("QLinearConv", [x, Tensor.Scalar(1f), Tensor.Scalar((byte)1), w, Tensor.Scalar(1f), Tensor.Scalar((byte)1), Tensor.Scalar(4f), Tensor.Scalar((byte)0),
            Tensor.Create([1], new[] { 2 })], opset: 10);
        // (sum + 2) / 4 = 0.5, 1, 1.5, 2 -> round half to even 0, 1, 2, 2.
        Assert.Equal(new byte[] { 0, 1, 2, 2 }, q.As<byte>());
    }
}
