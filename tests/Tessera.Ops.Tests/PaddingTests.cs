using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class PaddingTests
{
    private static float[] Pad1D(string mode, long before, long after) =>
        Run1("Pad", [F([3], 1, 2, 3), L(before, after)], [Str("mode", mode)]).As<float>();

    [Fact]
    public void Constant_pad_with_value_input()
    {
        var result = Run1("Pad", [F([2, 2], 1, 2, 3, 4), L(1, 0, 0, 1), Tensor.Scalar(9f)]);
        Assert.Equal(new[] { 3, 3 }, result.Shape);
        Assert.Equal(new float[] { 9, 9, 9, 1, 2, 9, 3, 4, 9 }, result.As<float>());
    }

    [Theory]
    [InlineData("reflect", new float[] { 3, 2, 1, 2, 3, 2, 1 })]
    [InlineData("edge", new float[] { 1, 1, 1, 2, 3, 3, 3 })]
    [InlineData("wrap", new float[] { 2, 3, 1, 2, 3, 1, 2 })]
    [InlineData("constant", new float[] { 0, 0, 1, 2, 3, 0, 0 })]
    public void Modes_fill_borders(string mode, float[] expected) => Assert.Equal(expected, Pad1D(mode, 2, 2));

    [Fact]
    public void Negative_pads_crop() => Assert.Equal(new float[] { 2, 3, 0 }, Pad1D("constant", -1, 1));

    [Fact]
    public void Attribute_form_before_opset_11()
    {
        var result = Run1("Pad", [F([2], 1, 2)], [Ints("pads", 1, 0), NodeAttribute.Float("value", 5)], opset: 2);
        Assert.Equal(new float[] { 5, 1, 2 }, result.As<float>());
    }

    [Fact]
    public void Axes_input_of_opset_18_pads_only_those_axes()
    {
        var result = Run1("Pad", [Iota([2, 3]), L(1, 1), null, L(-1)], [Str("mode", "edge")], opset: 18);
        Assert.Equal(new[] { 2, 5 }, result.Shape);
        Assert.Equal(new float[] { 0, 0, 1, 2, 2, 3, 3, 4, 5, 5 }, result.As<float>());
    }

    [Fact]
    public void Int_pad_keeps_the_element_type()
    {
        var result = Run1("Pad", [Tensor.Create([2], new[] { 7, 8 }), L(0, 1), Tensor.Scalar(-1)]);
        Assert.Equal(new[] { 7, 8, -1 }, result.As<int>());
    }

    [Fact]
    public void CenterCropPad_crops_and_pads_around_the_center()
    {
        var result = Run1("CenterCropPad", [Iota([2, 5]), L(4, 3)]);
        Assert.Equal(new[] { 4, 3 }, result.Shape);
        Assert.Equal(new float[] { 0, 0, 0, 1, 2, 3, 6, 7, 8, 0, 0, 0 }, result.As<float>());
        var axis = Run1("CenterCropPad", [Iota([2, 5]), L(2)], [Ints("axes", -1)]);
        Assert.Equal(new float[] { 1, 2, 6, 7 }, axis.As<float>());
    }

    [Fact]
    public void Pad_rule_adds_constant_pads_and_keeps_unpadded_symbols()
    {
        var inferred = Infer("Pad", [Type(DataType.Float32, Dim.Symbolic("N"), 3, 4), Type(DataType.Int64, 6)], [null, L(0, 1, -1, 0, 1, 2)])[0];
        Assert.Equal(Type(DataType.Float32, Dim.Symbolic("N"), 5, 5), inferred);
    }

    [Fact]
    public void Huge_pads_are_rejected() =>
        Assert.Throws<InvalidInputException>(() => Run1("Pad", [F([2], 1, 2), L(0, long.MaxValue)]));
}
