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
}
