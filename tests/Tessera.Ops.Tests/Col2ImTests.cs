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

    [Fact]
    public void Spec_example_with_a_1x5_block_transposes_columns_into_rows()
    {
        var columns = F([1, 5, 5], 1, 6, 11, 16, 21, 2, 7, 12, 17, 22, 3, 8, 13, 18, 23, 4, 9, 14, 19, 24, 5, 0, 15, 20, 25);
        var result = Run1("Col2Im", [columns, L(5, 5), L(1, 5)]);
        Assert.Equal(new[] { 1, 1, 5, 5 }, result.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25 }, result.As<float>());
    }

    [Fact]
    public void Integers_are_summed_exactly_and_strings_are_unsupported()
    {
        var columns = Tensor.Create([1, 2, 2], new long[] { 1, 2, (1L << 60) + 1, 20 });
        Assert.Equal(new long[] { 1, (1L << 60) + 3, 20 }, Run1("Col2Im", [columns, L(1, 3), L(1, 2)]).As<long>());
        Assert.Throws<UnsupportedException>(() => Run1("Col2Im", [Tensor.Zeros(DataType.String, [1, 2, 2]), L(1, 3), L(1, 2)]));
    }
}
