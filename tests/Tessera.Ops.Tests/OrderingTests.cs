using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class OrderingTests
{
    [Fact]
    public void TopK_largest_and_smallest_along_the_last_axis()
    {
        var x = F([2, 4], 0, 1, 2, 3, 7, 6, 5, 4);
        var largest = Run("TopK", [x, L(2)], outputs: 2);
        Assert.Equal(new float[] { 3, 2, 7, 6 }, largest[0].As<float>());
        Assert.Equal(new long[] { 3, 2, 0, 1 }, largest[1].As<long>());
        var smallest = Run("TopK", [x, L(2)], [Int("largest", 0)], outputs: 2);
        Assert.Equal(new float[] { 0, 1, 4, 5 }, smallest[0].As<float>());
        Assert.Equal(new long[] { 0, 1, 3, 2 }, smallest[1].As<long>());
    }

    [Fact]
    public void TopK_ties_prefer_the_smaller_index()
    {
        Assert.Equal(new long[] { 1, 2 }, Run("TopK", [F([4], 1, 3, 3, 2), L(2)], outputs: 2)[1].As<long>());
        Assert.Equal(new long[] { 1, 2 }, Run("TopK", [F([3], 2, 1, 1), L(2)], [Int("largest", 0)], outputs: 2)[1].As<long>());
    }

    [Fact]
    public void TopK_k_attribute_before_opset_10_and_axis_0()
    {
        var result = Run("TopK", [F([3, 1], 5, 9, 1)], [Int("k", 1), Int("axis", 0)], opset: 1, outputs: 2);
        Assert.Equal(new[] { 1, 1 }, result[0].Shape);
        Assert.Equal(9f, result[0].As<float>()[0]);
        Assert.Equal(1L, result[1].As<long>()[0]);
    }

    [Fact]
    public void ArgMax_keepdims_and_axis()
    {
        var x = F([2, 2], 2, 1, 3, 10);
        var kept = Run1("ArgMax", [x]);
        Assert.Equal(new[] { 1, 2 }, kept.Shape);
        Assert.Equal(new long[] { 1, 1 }, kept.As<long>());
        var dropped = Run1("ArgMax", [x], [Int("axis", 1), Int("keepdims", 0)]);
        Assert.Equal(new[] { 2 }, dropped.Shape);
        Assert.Equal(new long[] { 0, 1 }, dropped.As<long>());
    }

    [Fact]
    public void ArgMin_and_select_last_index()
    {
        Assert.Equal(new long[] { 1, 0 }, Run1("ArgMin", [F([2, 2], 2, 1, 3, 10)], [Int("axis", -1)]).As<long>());
        Assert.Equal(new long[] { 1 }, Run1("ArgMax", [F([3], 1, 3, 3)]).As<long>());
        Assert.Equal(new long[] { 2 }, Run1("ArgMax", [F([3], 1, 3, 3)], [Int("select_last_index", 1)]).As<long>());
        Assert.Equal(new long[] { 2 }, Run1("ArgMin", [L(0, 5, 0)], [Int("select_last_index", 1)]).As<long>());
    }

    [Fact]
    public void TopK_and_ArgMax_rules()
    {
        var topk = Infer("TopK", [Type(DataType.Float16, Dim.Symbolic("N"), 10), Type(DataType.Int64, 1)], [null, L(3)], outputs: 2);
        Assert.Equal(Type(DataType.Float16, Dim.Symbolic("N"), 3), topk[0]);
        Assert.Equal(Type(DataType.Int64, Dim.Symbolic("N"), 3), topk[1]);
        Assert.Equal(Type(DataType.Int64, Dim.Symbolic("N")), Infer("ArgMax", [Type(DataType.Float32, Dim.Symbolic("N"), 10)], attributes: [Int("axis", -1), Int("keepdims", 0)])[0]);
    }

    [Fact]
    public void NaN_sorts_above_every_number()
    {
        var largest = Run("TopK", [F([3], 1, float.NaN, 5), L(2)], outputs: 2);
        Assert.True(float.IsNaN(largest[0].As<float>()[0]));
        Assert.Equal(new long[] { 1, 2 }, largest[1].As<long>());
        Assert.Equal(new long[] { 0, 2 }, Run("TopK", [F([3], 1, float.NaN, 5), L(2)], [Int("largest", 0)], outputs: 2)[1].As<long>());
    }

    [Fact]
    public void Malformed_arguments_are_user_errors_not_crashes()
    {
        Assert.Throws<InvalidInputException>(() => Run("TopK", [F([3], 1, 2, 3), Tensor.Zeros(DataType.Int64, [0])], outputs: 2));
        Assert.Throws<InvalidInputException>(() => Run("TopK", [F([3], 1, 2, 3), L(4)], outputs: 2));
        Assert.Equal(Type(DataType.Int64, Array.Empty<long>()), Infer("ArgMax", [Type(DataType.Float32, Array.Empty<long>())])[0]);
    }
}
