using Tessera.Core;

namespace Tessera.Core.Tests;

public class BroadcastTests
{
    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 2, 1, 4 }, new[] { 3, 1 }, new[] { 2, 3, 4 })]
    [InlineData(new int[0], new[] { 5 }, new[] { 5 })]
    [InlineData(new[] { 0, 3 }, new[] { 1, 3 }, new[] { 0, 3 })]
    public void Broadcast_follows_numpy_rules(int[] a, int[] b, int[] expected) =>
        Assert.Equal(expected, ShapeMath.Broadcast(a, b));

    [Fact]
    public void Incompatible_shapes_are_a_user_error() =>
        Assert.Throws<InvalidInputException>(() => ShapeMath.Broadcast([2, 3], [4]));

    [Fact]
    public void Index_map_repeats_size_one_dims()
    {
        var map = ShapeMath.BroadcastIndexMap([2, 1], [2, 3]);
        Assert.Equal(new[] { 0, 0, 0, 1, 1, 1 }, map);
        var row = ShapeMath.BroadcastIndexMap([3], [2, 3]);
        Assert.Equal(new[] { 0, 1, 2, 0, 1, 2 }, row);
    }

    [Fact]
    public void BFloat16_rounds_to_nearest_even()
    {
        Assert.Equal(1.0f, (float)(BFloat16)1.0f);
        Assert.Equal(0x3F80, ((BFloat16)1.00390625f).Bits);
        Assert.Equal(0x3F82, ((BFloat16)1.01171875f).Bits);
        Assert.True(float.IsNaN((BFloat16)float.NaN));
    }
}
