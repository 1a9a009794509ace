using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class GatheringTests
{
    [Fact]
    public void Gather_axis_0_takes_rows_into_the_indices_shape()
    {
        var result = Run1("Gather", [Iota([3, 2]), Tensor.Create([2, 2], new long[] { 0, 1, 1, 2 })]);
        Assert.Equal(new[] { 2, 2, 2 }, result.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 2, 3, 4, 5 }, result.As<float>());
    }

    [Fact]
    public void Gather_scalar_negative_int32_index_drops_the_axis()
    {
        var result = Run1("Gather", [Iota([3, 2]), Tensor.Scalar(-1)], [Int("axis", 1)]);
        Assert.Equal(new[] { 3 }, result.Shape);
        Assert.Equal(new float[] { 1, 3, 5 }, result.As<float>());
    }

    [Fact]
    public void Gather_out_of_range_is_an_input_error() =>
        Assert.Throws<InvalidInputException>(() => Run1("Gather", [Iota([3]), L(3)]));

    [Fact]
    public void Gather_rule_splices_the_indices_shape() =>
        Assert.Equal(
            Type(DataType.Float32, 5, Dim.Symbolic("B"), 7, 2),
            Infer("Gather", [Type(DataType.Float32, 5, 9, 2), Type(DataType.Int64, Dim.Symbolic("B"), 7)], attributes: [Int("axis", 1)])[0]);

    [Fact]
    public void GatherElements_follows_the_spec_examples()
    {
        var a = Run1("GatherElements", [F([2, 2], 1, 2, 3, 4), Tensor.Create([2, 2], new long[] { 0, 0, 1, 0 })], [Int("axis", 1)]);
        Assert.Equal(new float[] { 1, 1, 4, 3 }, a.As<float>());
        var b = Run1("GatherElements", [F([3, 3], 1, 2, 3, 4, 5, 6, 7, 8, 9), Tensor.Create([2, 3], new long[] { 1, 2, 0, 2, 0, -3 })]);
        Assert.Equal(new[] { 2, 3 }, b.Shape);
        Assert.Equal(new float[] { 4, 8, 3, 7, 2, 3 }, b.As<float>());
    }

    [Fact]
    public void GatherND_tuples_and_slices()
    {
        var data = F([2, 2], 0, 1, 2, 3);
        Assert.Equal(new float[] { 0, 3 }, Run1("GatherND", [data, Tensor.Create([2, 2], new long[] { 0, 0, 1, 1 })]).As<float>());
        var rows = Run1("GatherND", [data, Tensor.Create([2, 1], new long[] { 1, 0 })]);
        Assert.Equal(new[] { 2, 2 }, rows.Shape);
        Assert.Equal(new float[] { 2, 3, 0, 1 }, rows.As<float>());
    }

    [Fact]
    public void GatherND_batch_dims_index_within_each_batch()
    {
        var result = Run1("GatherND", [Iota([2, 2, 2]), Tensor.Create([2, 1], new long[] { 1, 0 })], [Int("batch_dims", 1)]);
        Assert.Equal(new[] { 2, 2 }, result.Shape);
        Assert.Equal(new float[] { 2, 3, 4, 5 }, result.As<float>());
    }
}
