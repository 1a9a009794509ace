using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class Col2ImTests
{
    [Fact]
    public void Overlapping_blocks_are_summed()
    {
        // Image 1x3, block 1x2, stride 1: two positions; the middle pixel is covered twice.
        var columns = F([1, 2, 2], 1, 2, 10, 20);
        var result = Run1("Col2Im", [columns, L(1, 3), L(1, 2)]);
        Assert.Equal(new[] { 1, 1, 1, 3 }, result.Shape);
        Assert.Equal(new float[] { 1, 12, 20 }, result.As<float>());
    }

    [Fact]
    public void Strides_and_pads_place_blocks()
    {
        // Image 1x4 padded by one on each side, block 1x2, stride 2: positions at -1, 1, 3.
        var columns = F([1, 2, 3], 1, 2, 3, 10, 20, 30);
        var result = Run1("Col2Im", [columns, L(1, 4), L(1, 2)], [Ints("pads", 0, 1, 0, 1), Ints("strides", 1, 2)]);
        Assert.Equal(new float[] { 10, 2, 20, 3 }, result.As<float>());
    }
}
