using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class SelectionTests
{
    [Fact]
    public void NonZero_lists_coordinates_per_axis()
    {
        var result = Run1("NonZero", [Tensor.Create([2, 2], new[] { true, false, true, true })]);
        Assert.Equal(new[] { 2, 3 }, result.Shape);
        Assert.Equal(new long[] { 0, 1, 1, 0, 0, 1 }, result.As<long>());
        Assert.Equal(new[] { 1, 0 }, Run1("NonZero", [F([2], 0, 0)]).Shape);
    }

    [Fact]
    public void Compress_along_an_axis_and_flattened()
    {
        var data = F([3, 2], 1, 2, 3, 4, 5, 6);
        var rows = Run1("Compress", [data, Tensor.Create([3], new[] { false, true, true })], [Int("axis", 0)]);
        Assert.Equal(new float[] { 3, 4, 5, 6 }, rows.As<float>());
        var column = Run1("Compress", [data, Tensor.Create([2], new[] { false, true })], [Int("axis", -1)]);
        Assert.Equal(new[] { 3, 1 }, column.Shape);
        Assert.Equal(new float[] { 2, 4, 6 }, column.As<float>());
        var flat = Run1("Compress", [data, Tensor.Create([5], new[] { false, true, false, false, true })]);
        Assert.Equal(new float[] { 2, 5 }, flat.As<float>());
    }

    [Fact]
    public void ReverseSequence_reverses_each_prefix()
    {
        var result = Run1("ReverseSequence", [Iota([4, 4]), L(4, 3, 2, 1)], [Int("time_axis", 0), Int("batch_axis", 1)]);
        Assert.Equal(new float[] { 12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15 }, result.As<float>());
        var batchFirst = Run1("ReverseSequence", [Iota([2, 3]), L(2, 3)], [Int("time_axis", 1), Int("batch_axis", 0)]);
        Assert.Equal(new float[] { 1, 0, 2, 5, 4, 3 }, batchFirst.As<float>());
    }

    [Fact]
    public void OneHot_wraps_negative_indices_and_leaves_out_of_range_off()
    {
        var result = Run1("OneHot", [L(0, -1, 3), Tensor.Scalar(3f), F([2], 0, 1)]);
        Assert.Equal(new[] { 3, 3 }, result.Shape);
        Assert.Equal(new float[] { 1, 0, 0, 0, 0, 1, 0, 0, 0 }, result.As<float>());
        var axis0 = Run1("OneHot", [L(0, 2), Tensor.Scalar(3L), Tensor.Create([2], new[] { 5, 7 })], [Int("axis", 0)]);
        Assert.Equal(new[] { 3, 2 }, axis0.Shape);
        Assert.Equal(new[] { 7, 5, 5, 5, 5, 7 }, axis0.As<int>());
    }

    [Fact]
    public void OneHot_rule_inserts_the_constant_depth() =>
        Assert.Equal(
            Type(DataType.Float32, 4, 10),
            Infer("OneHot", [Type(DataType.Int64, 4), Type(DataType.Int64, Array.Empty<long>()), Type(DataType.Float32, 2)], [null, Tensor.Scalar(10L), null])[0]);
}
