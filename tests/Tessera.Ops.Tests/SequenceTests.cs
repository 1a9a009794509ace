using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class SequenceTests
{
    private static SequenceValue Seq(params Tensor[] items) => new(DataType.Float32, items);

    [Fact]
    public void Construct_at_insert_erase_and_length()
    {
        var a = F([1], 1);
        var b = F([2], 2, 3);
        var c = F([1], 4);
        var seq = (SequenceValue)Run("SequenceConstruct", [a, b])[0]!;
        Assert.Equal(2, seq.Items.Count);
        Assert.Same(b, Run("SequenceAt", [seq, L([], -1)])[0]);
        var inserted = (SequenceValue)Run("SequenceInsert", [seq, c, L([], 0)])[0]!;
        Assert.Same(c, inserted.Items[0]);
        var appended = (SequenceValue)Run("SequenceInsert", [seq, c])[0]!;
        Assert.Same(c, appended.Items[^1]);
        var erased = (SequenceValue)Run("SequenceErase", [appended])[0]!;
        Assert.Equal(2, erased.Items.Count);
        var erasedFirst = (SequenceValue)Run("SequenceErase", [appended, L([], -3)])[0]!;
        Assert.Same(b, erasedFirst.Items[0]);
        Assert.Equal(3L, ((Tensor)Run("SequenceLength", [appended])[0]!).As<long>()[0]);
        Assert.Throws<InvalidInputException>(() => Run("SequenceAt", [seq, L([], 2)]));
    }

    [Fact]
    public void Empty_sequence_has_the_requested_type()
    {
        var seq = (SequenceValue)Run("SequenceEmpty", [], attributes: NodeAttribute.Int("dtype", (long)DataType.Int32))[0]!;
        Assert.Equal(DataType.Int32, seq.ElementType);
        Assert.Empty(seq.Items);
    }

    [Fact]
    public void Split_to_sequence_by_size_sizes_and_ones()
    {
        var x = F([5, 2], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        var bySize = (SequenceValue)Run("SplitToSequence", [x, L([], 2)])[0]!;
        Assert.Equal([2, 2], bySize.Items[0].Shape);
        Assert.Equal([1, 2], bySize.Items[2].Shape);
        Close([8, 9], bySize.Items[2]);
        var bySizes = (SequenceValue)Run("SplitToSequence", [x, L([2], 1, 1)], attributes: NodeAttribute.Int("axis", -1))[0]!;
        Close([1, 3, 5, 7, 9], bySizes.Items[1]);
        var ones = (SequenceValue)Run("SplitToSequence", [x], attributes: NodeAttribute.Int("keepdims", 0))[0]!;
        Assert.Equal(5, ones.Items.Count);
        Assert.Equal([2], ones.Items[4].Shape);
        Assert.Throws<InvalidInputException>(() => Run("SplitToSequence", [x, L([2], 1, 1)]));
    }

    [Fact]
    public void Concat_from_sequence_along_existing_and_new_axis()
    {
        var seq = Seq(F([1, 2], 1, 2), F([1, 2], 3, 4));
        var concat = (Tensor)Run("ConcatFromSequence", [seq], attributes: NodeAttribute.Int("axis", 1))[0]!;
        Assert.Equal([1, 4], concat.Shape);
        Close([1, 2, 3, 4], concat);
        var stacked = (Tensor)Run("ConcatFromSequence", [seq], attributes: [NodeAttribute.Int("axis", -1), NodeAttribute.Int("new_axis", 1)])[0]!;
        Assert.Equal([1, 2, 2], stacked.Shape);
        Close([1, 3, 2, 4], stacked);
    }

    [Fact]
    public void Optional_wraps_reports_and_unwraps()
    {
        var t = F([1], 5);
        var wrapped = (OptionalValue)Run("Optional", [t])[0]!;
        Assert.True(wrapped.HasValue);
        Assert.True(((Tensor)Run("OptionalHasElement", [wrapped])[0]!).As<bool>()[0]);
        Assert.Same(t, Run("OptionalGetElement", [wrapped])[0]);
        var empty = (OptionalValue)Run("Optional", [], attributes: new NodeAttribute("type", AttributeKind.Type, new TensorType(DataType.Float32, null)))[0]!;
        Assert.False(empty.HasValue);
        Assert.False(((Tensor)Run("OptionalHasElement", [empty])[0]!).As<bool>()[0]);
        Assert.False(((Tensor)Run("OptionalHasElement", [null])[0]!).As<bool>()[0]);
        Assert.Throws<InvalidInputException>(() => Run("OptionalGetElement", [empty]));
    }

    [Fact]
    public void Construct_type_rule_keeps_only_dims_the_items_share()
    {
        var a = new TensorType(DataType.Float32, new TensorShape(2, 3));
        var b = new TensorType(DataType.Float32, new TensorShape(2, 5));
        var seq = (SequenceType)Infer("SequenceConstruct", [a, b])[0]!;
        Assert.Equal(new TensorShape([2, Dim.Unknown]), ((TensorType)seq.ElementType).Shape);
        Assert.Null(Infer("SequenceConstruct", [a, null])[0]);
    }
}
