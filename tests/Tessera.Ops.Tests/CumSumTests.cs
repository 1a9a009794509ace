using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class CumSumTests
{
    [Theory]
    [InlineData(0, 0, new double[] { 1, 3, 6, 10, 15 })]
    [InlineData(1, 0, new double[] { 0, 1, 3, 6, 10 })]
    [InlineData(0, 1, new double[] { 15, 14, 12, 9, 5 })]
    [InlineData(1, 1, new double[] { 14, 12, 9, 5, 0 })]
    public void Exclusive_and_reverse(long exclusive, long reverse, double[] expected)
    {
        var x = Tensor.Create([5], new double[] { 1, 2, 3, 4, 5 });
        var result = Run1("CumSum", [x, Tensor.Scalar(0)], [Int("exclusive", exclusive), Int("reverse", reverse)]);
        Assert.Equal(expected, result.As<double>());
    }

    [Fact]
    public void Integer_cumsum_along_a_negative_axis()
    {
        var x = Tensor.Create([2, 3], new[] { 1, 2, 3, 4, 5, 6 });
        Assert.Equal(new[] { 1, 3, 6, 4, 9, 15 }, Run1("CumSum", [x, Tensor.Scalar(-1L)]).As<int>());
        Assert.Equal(new[] { 1, 2, 3, 5, 7, 9 }, Run1("CumSum", [x, Tensor.Scalar(0L)]).As<int>());
    }

    [Fact]
    public void Float32_fast_path_matches()
    {
        var result = Run1("CumSum", [F([2, 2], 1, 2, 3, 4), Tensor.Scalar(1)], [Int("reverse", 1)]);
        Assert.Equal(new float[] { 3, 2, 7, 4 }, result.As<float>());
    }
}
