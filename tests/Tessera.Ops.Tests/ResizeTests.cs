using Tessera.Core;
using static Tessera.Ops.Tests.OpRunner;

namespace Tessera.Ops.Tests;

public class ResizeTests
{
    private static readonly Tensor NoRoi = Tensor.Create([0], Array.Empty<float>());

    [Fact]
    public void Resize_nearest_upsample_by_two()
    {
        var y = Run1("Resize", [F([1, 1, 1, 2], 1, 2), NoRoi, F([4], 1, 1, 2, 2)], opset: 13);
        Assert.Equal(new[] { 1, 1, 2, 4 }, y.Shape);
        AssertClose([1, 1, 2, 2, 1, 1, 2, 2], y);
    }

    [Fact]
    public void Resize_linear_half_pixel_clamps_at_edges()
    {
        var y = Run1("Resize", [F([1, 2], 1, 2), NoRoi, F([2], 1, 2)], opset: 13, attributes: [NodeAttribute.String("mode", "linear")]);
        AssertClose([1, 1.25f, 1.75f, 2], y);
    }

    [Fact]
    public void Resize_align_corners_with_sizes()
    {
        var y = Run1("Resize", [F([1, 2], 1, 2), NoRoi, null, Tensor.Create([2], new long[] { 1, 3 })], opset: 13,
            attributes: [NodeAttribute.String("mode", "linear"), NodeAttribute.String("coordinate_transformation_mode", "align_corners")]);
        AssertClose([1, 1.5f, 2], y);
    }

    [Fact]
    public void Resize_cubic_keeps_constant_signal()
    {
        var y = Run1("Resize", [F([1, 3], 5, 5, 5), NoRoi, F([2], 1, 2.5f)], opset: 13, attributes: [NodeAttribute.String("mode", "cubic")]);
        Assert.Equal(new[] { 1, 7 }, y.Shape);
        AssertClose(Enumerable.Repeat(5f, 7).ToArray(), y);
    }

    [Fact]
    public void Resize_tf_crop_and_resize_extrapolates_outside_the_crop()
    {
        var y = Run1("Resize", [F([1, 2], 1, 2), F([4], 0, 0, 1, 2), null, Tensor.Create([2], new long[] { 1, 3 })], opset: 13,
            attributes: [NodeAttribute.String("mode", "linear"), NodeAttribute.String("coordinate_transformation_mode", "tf_crop_and_resize"),
                NodeAttribute.Float("extrapolation_value", -9)]);
        // Axis 1 samples at 0, 1, 2: the last lies past the input.
        AssertClose([1, 2, -9], y);
    }

    [Fact]
    public void Resize_nearest_modes_differ_on_ties()
    {
        NodeAttribute[] Mode(string m) => [NodeAttribute.String("nearest_mode", m)];
        var x = F([6], 1, 2, 3, 4, 5, 6);
        var scales = F([1], 0.5f);
        // half_pixel: output 3 samples 0.5, 2.5, 4.5, all ties.
        AssertClose([1, 3, 5], Run1("Resize", [x, NoRoi, scales], opset: 13, attributes: Mode("round_prefer_floor")));
        AssertClose([2, 4, 6], Run1("Resize", [x, NoRoi, scales], opset: 13, attributes: Mode("round_prefer_ceil")));
        AssertClose([1, 3, 5], Run1("Resize", [x, NoRoi, scales], opset: 13, attributes: Mode("floor")));
        AssertClose([2, 4, 6], Run1("Resize", [x, NoRoi, scales], opset: 13, attributes: Mode("ceil")));
        // asymmetric at scale 0.75: samples 0, 1.33, 2.67 (no ties): round vs floor.
        NodeAttribute[] Asym(string m) => [NodeAttribute.String("coordinate_transformation_mode", "asymmetric"), NodeAttribute.String("nearest_mode", m)];
        var four = F([4], 1, 2, 3, 4);
        AssertClose([1, 2, 4], Run1("Resize", [four, NoRoi, F([1], 0.75f)], opset: 13, attributes: Asym("round_prefer_floor")));
        AssertClose([1, 2, 3], Run1("Resize", [four, NoRoi, F([1], 0.75f)], opset: 13, attributes: Asym("floor")));
    }

    [Fact]
    public void Resize_axes_and_not_larger_policy()
    {
        var x = F([1, 2, 2], 1, 2, 3, 4);
        var y = Run1("Resize", [x, NoRoi, null, Tensor.Create([2], new long[] { 4, 8 })], opset: 18,
            attributes: [NodeAttribute.Ints("axes", [1, 2]), NodeAttribute.String("keep_aspect_ratio_policy", "not_larger")]);
        Assert.Equal(new[] { 1, 4, 4 }, y.Shape);
    }

    [Fact]
    public void Resize_uint8_nearest_keeps_type()
    {
        var y = Run1("Resize", [Tensor.Create([2], new byte[] { 200, 7 }), NoRoi, F([1], 2)], opset: 13);
        Assert.Equal(new byte[] { 200, 200, 7, 7 }, y.As<byte>());
    }

    [Fact]
    public void Upsample_opset_7_reads_scales_attribute()
    {
        var y = Run1("Upsample", [F([1, 2], 1, 2)], opset: 7, attributes: [NodeAttribute.Floats("scales", [1, 3])]);
        AssertClose([1, 1, 1, 2, 2, 2], y);
        var linear = Run1("Upsample", [F([1, 2], 1, 3), F([2], 1, 2)], opset: 9, attributes: [NodeAttribute.String("mode", "linear")]);
        AssertClose([1, 2, 3, 3], linear);
    }

    [Fact]
    public void Resize_infers_shape_from_constant_scales()
    {
        var x = new TensorType(DataType.Float32, new TensorShape(1, 3, 10, 10));
        var scales = F([4], 1, 1, 2, 0.5f);
        var types = Infer("Resize", [x, null, new TensorType(DataType.Float32, new TensorShape(4))], opset: 13, constants: [null, NoRoi, scales]);
        Assert.Equal("float32[1,3,20,5]", types[0]!.ToString());
    }
}
