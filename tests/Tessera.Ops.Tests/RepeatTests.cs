using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class RepeatTests
{
    [Fact]
    public void Expand_broadcasts_in_both_directions()
    {
        var result = Run1("Expand", [F([3, 1], 0, 1, 2), L(2, 1, 4)]);
        Assert.Equal(new[] { 2, 3, 4 }, result.Shape);
        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, result.As<float>()[..12]);
        Assert.Equal(new[] { 3 }, Run1("Expand", [F([3], 1, 2, 3), L(1)]).Shape);
        Assert.Throws<InvalidInputException>(() => Run1("Expand", [F([3], 1, 2, 3), L(2)]));
    }

    [Fact]
    public void Expand_rule_broadcasts_symbolic_shapes() =>
        Assert.Equal(
            Type(DataType.Float32, 2, Dim.Symbolic("N"), 4),
            Infer("Expand", [Type(DataType.Float32, Dim.Symbolic("N"), 1), Type(DataType.Int64, 3)], [null, L(2, 1, 4)])[0]);

    [Fact]
    public void Tile_repeats_each_axis()
    {
        var result = Run1("Tile", [F([1, 2], 1, 2), L(2, 2)]);
        Assert.Equal(new[] { 2, 4 }, result.Shape);
        Assert.Equal(new float[] { 1, 2, 1, 2, 1, 2, 1, 2 }, result.As<float>());
        Assert.Equal(new[] { 0, 2 }, Run1("Tile", [F([1, 2], 1, 2), L(0, 1)]).Shape);
    }

    [Fact]
    public void Tile_works_on_int64_and_bool()
    {
        Assert.Equal(new long[] { 5, 6, 5, 6 }, Run1("Tile", [L(5, 6), L(2)]).As<long>());
        Assert.Equal(new[] { true, false, true, false }, Run1("Tile", [Tensor.Create([2], new[] { true, false }), L(2)]).As<bool>());
    }

    [Fact]
    public void Tile_rule_multiplies_known_dims() =>
        Assert.Equal(
            Type(DataType.Int64, Dim.Symbolic("N"), 6),
            Infer("Tile", [Type(DataType.Int64, Dim.Symbolic("N"), 2), Type(DataType.Int64, 2)], [null, L(1, 3)])[0]);

    [Fact]
    public void Huge_outputs_are_rejected_before_allocating()
    {
        Assert.Throws<InvalidInputException>(() => Run1("Tile", [F([2], 1, 2), L(long.MaxValue / 2)]));
        Assert.Throws<InvalidInputException>(() => Run1("Expand", [F([1, 1], 1), L(1 << 30, 1 << 30)]));
    }
}
