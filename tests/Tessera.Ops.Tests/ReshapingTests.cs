using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class ReshapingTests
{
    [Fact]
    public void Reshape_copies_zero_dims_and_infers_minus_one()
    {
        var x = Iota([2, 3, 4]);
        Assert.Equal(new[] { 2, 12 }, Run1("Reshape", [x, L(0, -1)]).Shape);
        Assert.Equal(new[] { 4, 2, 3 }, Run1("Reshape", [x, L(4, -1, 3)]).Shape);
        Assert.Equal(x.As<float>(), Run1("Reshape", [x, L(24)]).As<float>());
    }

    [Fact]
    public void Reshape_allowzero_keeps_zero_as_a_real_dim()
    {
        var empty = Tensor.Zeros(DataType.Float32, [0, 3]);
        Assert.Equal(new[] { 3, 0 }, Run1("Reshape", [empty, L(3, 0)], [Int("allowzero", 1)]).Shape);
        // Without allowzero, the 0 copies the input's dim 1 (3), giving [3, 3] for 0 elements: an error.
        Assert.Throws<InvalidInputException>(() => Run1("Reshape", [empty, L(3, 0)]));
    }

    [Fact]
    public void Reshape_before_opset_5_reads_the_attribute() =>
        Assert.Equal(new[] { 3, 2 }, Run1("Reshape", [Iota([6])], [Ints("shape", 3, 2)], opset: 4).Shape);

    [Fact]
    public void Reshape_rule_keeps_symbols_and_solves_minus_one()
    {
        var input = Type(DataType.Float32, Dim.Symbolic("N"), 3, 4);
        var inferred = Infer("Reshape", [input, Type(DataType.Int64, 2)], [null, L(0, -1)])[0];
        Assert.Equal(Type(DataType.Float32, Dim.Symbolic("N"), 12), inferred);
    }

    [Theory]
    [InlineData(0, new[] { 1, 24 })]
    [InlineData(1, new[] { 2, 12 })]
    [InlineData(3, new[] { 24, 1 })]
    [InlineData(-1, new[] { 6, 4 })]
    public void Flatten_splits_at_axis(long axis, int[] expected) =>
        Assert.Equal(expected, Run1("Flatten", [Iota([2, 3, 4])], [Int("axis", axis)]).Shape);

    [Fact]
    public void Squeeze_uses_attribute_before_13_and_input_after()
    {
        var x = Iota([1, 3, 1, 2]);
        Assert.Equal(new[] { 3, 2 }, Run1("Squeeze", [x], opset: 13).Shape);
        Assert.Equal(new[] { 3, 1, 2 }, Run1("Squeeze", [x], [Ints("axes", 0)], opset: 11).Shape);
        Assert.Equal(new[] { 1, 3, 2 }, Run1("Squeeze", [x, L(-2)]).Shape);
        Assert.Throws<InvalidInputException>(() => Run1("Squeeze", [x, L(1)]));
    }

    [Fact]
    public void Unsqueeze_axes_refer_to_the_output_rank()
    {
        var x = Iota([3, 4]);
        Assert.Equal(new[] { 1, 3, 4, 1 }, Run1("Unsqueeze", [x, L(0, -1)]).Shape);
        Assert.Equal(new[] { 3, 1, 1, 4 }, Run1("Unsqueeze", [x], [Ints("axes", 2, 1)], opset: 11).Shape);
        Assert.Equal(new[] { 1 }, Run1("Unsqueeze", [Tensor.Scalar(1f), L(0)]).Shape);
        var inferred = Infer("Unsqueeze", [Type(DataType.Float32, Dim.Symbolic("B"), 4), Type(DataType.Int64, 1)], [null, L(1)])[0];
        Assert.Equal(Type(DataType.Float32, Dim.Symbolic("B"), 1, 4), inferred);
    }

    [Fact]
    public void Shape_honours_start_and_end_with_clamping()
    {
        var x = Iota([2, 3, 4, 5]);
        Assert.Equal(new long[] { 2, 3, 4, 5 }, Run1("Shape", [x]).As<long>());
        Assert.Equal(new long[] { 3, 4 }, Run1("Shape", [x], [Int("start", 1), Int("end", -1)]).As<long>());
        Assert.Equal(new long[] { 5 }, Run1("Shape", [x], [Int("start", -1), Int("end", 100)]).As<long>());
        Assert.Empty(Run1("Shape", [x], [Int("start", 3), Int("end", 1)]).As<long>());
    }

    [Fact]
    public void Size_counts_elements_including_empty()
    {
        Assert.Equal(24L, Run1("Size", [Iota([2, 3, 4])]).As<long>()[0]);
        Assert.Equal(0L, Run1("Size", [Tensor.Zeros(DataType.Int8, [3, 0])]).As<long>()[0]);
    }

    [Fact]
    public void Identity_passes_the_same_value()
    {
        var x = Iota([2]);
        Assert.Same(x, Run1("Identity", [x]));
    }

    [Fact]
    public void Squeeze_and_Unsqueeze_rules_know_the_rank_when_axes_are_computed()
    {
        var input = Type(DataType.Float32, 1, 3, 1);
        Assert.Equal(Type(DataType.Float32, Dim.Unknown, Dim.Unknown), Infer("Squeeze", [input, Type(DataType.Int64, 1)])[0]);
        Assert.Equal(Type(DataType.Float32, Dim.Unknown, Dim.Unknown, Dim.Unknown, Dim.Unknown, Dim.Unknown), Infer("Unsqueeze", [input, Type(DataType.Int64, 2)])[0]);
    }

    [Fact]
    public void Flatten_and_Shape_rules()
    {
        Assert.Equal(Type(DataType.Float32, Dim.Symbolic("N"), 12), Infer("Flatten", [Type(DataType.Float32, Dim.Symbolic("N"), 3, 4)])[0]);
        Assert.Equal(Type(DataType.Int64, 2), Infer("Shape", [Type(DataType.Float32, Dim.Symbolic("N"), 3, 4)], attributes: [Int("start", 1)])[0]);
    }
}
