using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class GridSampleTests
{
    /// <summary>X = [[1, 2], [3, 4]] as [1,1,2,2].</summary>
    private static readonly Tensor Image = F([1, 1, 2, 2], 1, 2, 3, 4);

    private static Tensor Grid(params float[] xy) => F([1, 1, xy.Length / 2, 2], xy);

    private static float[] Sample(Tensor grid, string mode, string padding, int alignCorners) =>
        Run1("GridSample", [Image, grid], [NodeAttribute.String("mode", mode), NodeAttribute.String("padding_mode", padding), NodeAttribute.Int("align_corners", alignCorners)], opset: 16).As<float>();

    [Fact]
    public void Bilinear_with_aligned_corners_hits_pixel_centres_and_blends_between()
    {
        // Corners map to pixel centres; the grid origin is the mean of the four pixels.
        Assert.Equal(new float[] { 1, 4, 2.5f, 1.5f }, Sample(Grid(-1, -1, 1, 1, 0, 0, 0, -1), "bilinear", "zeros", 1));
    }

    [Fact]
    public void Nearest_rounds_half_to_even()
    {
        // align_corners=1: x = (g + 1) / 2; g = 0 gives 0.5, which rounds to 0.
        Assert.Equal(new float[] { 1, 4 }, Sample(Grid(0, 0, 0.2f, 0.2f), "nearest", "zeros", 1));
    }

    [Fact]
    public void Padding_modes_differ_outside_the_image()
    {
        // align_corners=0: g = 1.5 maps to x = 2, beyond the last pixel centre (1).
        var outside = Grid(1.5f, -0.5f);
        Assert.Equal(0f, Sample(outside, "bilinear", "zeros", 0)[0]);
        Assert.Equal(2f, Sample(outside, "bilinear", "border", 0)[0]);
        // Reflection about x = 1.5 puts x = 2 at x = 1.
        Assert.Equal(2f, Sample(outside, "bilinear", "reflection", 0)[0]);
    }

    [Fact]
    public void Bicubic_reproduces_pixels_at_their_centres()
    {
        var values = Sample(Grid(-1, -1, 1, -1, -1, 1, 1, 1), "bicubic", "border", 1);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, values);
    }

    [Fact]
    public void Output_shape_comes_from_the_grid()
    {
        var types = Infer("GridSample", [new TensorType(DataType.Float32, new TensorShape(2, 3, 8, 8)), new TensorType(DataType.Float32, new TensorShape(2, 5, 7, 2))], opset: 16);
        Assert.Equal("float32[2,3,5,7]", types[0]!.ToString());
    }
}
