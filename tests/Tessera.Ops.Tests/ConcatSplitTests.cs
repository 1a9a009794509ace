using FsCheck;
using FsCheck.Fluent;
using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class ConcatSplitTests
{
    [Fact]
    public void Concat_on_a_negative_axis_with_an_empty_input()
    {
        var a = F([2, 1], 1, 2);
        var b = Tensor.Zeros(DataType.Float32, [2, 0]);
        var c = F([2, 2], 3, 4, 5, 6);
        var result = Run1("Concat", [a, b, c], [Int("axis", -1)]);
        Assert.Equal(new[] { 2, 3 }, result.Shape);
        Assert.Equal(new float[] { 1, 3, 4, 2, 5, 6 }, result.As<float>());
    }

    [Fact]
    public void Concat_rejects_mismatched_shapes() =>
        Assert.Throws<InvalidInputException>(() => Run1("Concat", [F([2, 1], 1, 2), F([1, 1], 3)], [Int("axis", 1)]));

    [Fact]
    public void Concat_rule_adds_known_dims_and_keeps_symbols()
    {
        var inferred = Infer("Concat", [Type(DataType.Float32, Dim.Symbolic("N"), 3), Type(DataType.Float32, Dim.Symbolic("N"), 5)], attributes: [Int("axis", 1)])[0];
        Assert.Equal(Type(DataType.Float32, Dim.Symbolic("N"), 8), inferred);
    }

    [Fact]
    public void Split_num_outputs_gives_a_smaller_last_chunk()
    {
        var parts = Run("Split", [Iota([7])], [Int("num_outputs", 3)], opset: 18, outputs: 3);
        Assert.Equal(new float[] { 0, 1, 2 }, parts[0].As<float>());
        Assert.Equal(new float[] { 3, 4, 5 }, parts[1].As<float>());
        Assert.Equal(new float[] { 6 }, parts[2].As<float>());
    }

    [Fact]
    public void Split_sizes_from_attribute_before_13_and_input_after()
    {
        var x = Iota([2, 5]);
        var old = Run("Split", [x], [Int("axis", 1), Ints("split", 2, 3)], opset: 11, outputs: 2);
        Assert.Equal(new float[] { 0, 1, 5, 6 }, old[0].As<float>());
        Assert.Equal(new float[] { 2, 3, 4, 7, 8, 9 }, old[1].As<float>());
        var now = Run("Split", [x, L(4, 0, 1)], [Int("axis", -1)], opset: 13, outputs: 3);
        Assert.Equal(new[] { 2, 0 }, now[1].Shape);
        Assert.Equal(new float[] { 4, 9 }, now[2].As<float>());
    }

    [Fact]
    public void Split_without_sizes_divides_equally() =>
        Assert.Equal(new float[] { 2, 3 }, Run("Split", [Iota([6])], opset: 13, outputs: 3)[1].As<float>());

    [Fact]
    public void Concat_of_split_parts_is_the_input() =>
        Prop.ForAll(Gen.Choose(0, 9).ToArbitrary(), Gen.Choose(1, 4).ToArbitrary(), (length, parts) =>
        {
            var x = Iota([2, length]);
            var pieces = Run("Split", [x], [Int("axis", 1), Int("num_outputs", parts)], opset: 18, outputs: parts);
            var joined = Run1("Concat", pieces, [Int("axis", 1)]);
            return joined.As<float>().SequenceEqual(x.As<float>());
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Split_rule_uses_constant_sizes() =>
        Assert.Equal(
            Type(DataType.Float32, Dim.Symbolic("N"), 3),
            Infer("Split", [Type(DataType.Float32, Dim.Symbolic("N"), 5), Type(DataType.Int64, 2)], [null, L(2, 3)], [Int("axis", 1)], outputs: 2)[1]);
}
