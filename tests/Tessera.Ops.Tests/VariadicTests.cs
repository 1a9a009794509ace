using Tessera.Core;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class VariadicTests
{
    [Fact]
    public void Max_min_of_three_inputs_with_broadcasting()
    {
        var a = F([2, 2], 1, 5, 3, 0);
        var b = F(2, 2);
        var c = Tensor.Scalar(4f);
        AssertTensor(Run("Max", a, b, c), DataType.Float32, [2, 2], 4, 5, 4, 4);
        AssertTensor(Run("Min", a, b, c), DataType.Float32, [2, 2], 1, 2, 2, 0);
    }

    [Fact]
    public void Max_and_min_propagate_nan()
    {
        AssertFloats(Run("Max", F(float.NaN, 1), F(1, float.NaN)), double.NaN, double.NaN);
        AssertFloats(Run("Min", F(float.NaN, 1), F(1, float.NaN)), double.NaN, double.NaN);
    }

    [Fact]
    public void Max_of_unsigned_values_compares_unsigned()
    {
        var y = Run("Max", Tensor.Create([2], new byte[] { 200, 1 }), Tensor.Create([2], new byte[] { 100, 2 }));
        Assert.Equal(new byte[] { 200, 2 }, y.As<byte>());
    }

    [Fact]
    public void Sum_and_mean()
    {
        AssertTensor(Run("Sum", F(1, 2), F([2, 1], 10, 20)), DataType.Float32, [2, 2], 11, 12, 21, 22);
        AssertFloats(Run("Mean", F(1, 2), F(3, 6), F(2, 1)), 2, 3);
        Assert.Equal(new[] { 2 }, Run("Mean", I32(3), I32(2)).As<int>());
    }

    [Fact]
    public void One_input_is_copied()
    {
        var x = F(1, 2);
        var y = Run("Sum", x);
        Assert.NotSame(x, y);
        AssertFloats(y, 1, 2);
    }

    [Fact]
    public void Inference_broadcasts_all_inputs()
    {
        var t = (TensorType)Infer("Max", 13, [Type(DataType.Int64, 3, 1), Type(DataType.Int64, 4), Type(DataType.Int64, 1)])!;
        Assert.Equal(new TensorShape(3, 4), t.Shape);
    }
}
