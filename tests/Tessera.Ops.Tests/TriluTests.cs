using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class TriluTests
{
    [Fact]
    public void Upper_is_the_default() =>
        Assert.Equal(new float[] { 0, 1, 2, 0, 4, 5, 0, 0, 8 }, Run1("Trilu", [Iota([3, 3])]).As<float>());

    [Fact]
    public void Lower_with_negative_k_drops_the_diagonal() =>
        Assert.Equal(new float[] { 0, 0, 0, 3, 0, 0, 6, 7, 0 }, Run1("Trilu", [Iota([3, 3]), Tensor.Scalar(-1L)], [Int("upper", 0)]).As<float>());

    [Fact]
    public void Large_k_and_batches()
    {
        Assert.All(Run1("Trilu", [Iota([3, 3]), Tensor.Scalar(5L)]).As<float>(), v => Assert.Equal(0f, v));
        var batched = Run1("Trilu", [Iota([2, 2, 3]), Tensor.Scalar(1L)]);
        Assert.Equal(new float[] { 0, 1, 2, 0, 0, 5, 0, 7, 8, 0, 0, 11 }, batched.As<float>());
    }
}
