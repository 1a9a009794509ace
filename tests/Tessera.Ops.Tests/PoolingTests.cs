using Tessera.Core;
using static Tessera.Ops.Tests.OpRunner;

namespace Tessera.Ops.Tests;

public class PoolingTests
{
    private static readonly float[] Ramp16 = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();

    [Fact]
    public void MaxPool_returns_values_and_row_major_indices()
    {
        var outputs = Run("MaxPool", [F([1, 1, 4, 4], Ramp16)], 2, attributes: [NodeAttribute.Ints("kernel_shape", [2, 2]), NodeAttribute.Ints("strides", [2, 2])]);
        AssertClose([5, 7, 13, 15], outputs[0]);
        Assert.Equal(new long[] { 5, 7, 13, 15 }, outputs[1].As<long>());
    }

    [Fact]
    public void MaxPool_storage_order_1_gives_column_major_indices()
    {
        var outputs = Run("MaxPool", [F([1, 1, 4, 4], Ramp16)], 2, attributes:
            [NodeAttribute.Ints("kernel_shape", [2, 2]), NodeAttribute.Ints("strides", [2, 2]), NodeAttribute.Int("storage_order", 1)]);
        // (row 1, col 1) -> 1*4+1 = 5 column-major too; (row 1, col 3) -> 3*4+1 = 13.
        Assert.Equal(new long[] { 5, 13, 7, 15 }, outputs[1].As<long>());
    }

    [Fact]
    public void MaxPool_uint8_keeps_values_above_127()
    {
        var x = Tensor.Create([1, 1, 1, 4], new byte[] { 200, 10, 129, 255 });
        var y = Run1("MaxPool", [x], attributes: [NodeAttribute.Ints("kernel_shape", [1, 2]), NodeAttribute.Ints("strides", [1, 2])]);
        Assert.Equal(new byte[] { 200, 255 }, y.As<byte>());
    }

    [Fact]
    public void MaxPool_ceil_mode_adds_a_partial_window()
    {
        var floor = Run1("MaxPool", [F([1, 1, 5], 1, 2, 3, 4, 5)], attributes: [NodeAttribute.Ints("kernel_shape", [2]), NodeAttribute.Ints("strides", [2])]);
        AssertClose([2, 4], floor);
        var ceil = Run1("MaxPool", [F([1, 1, 5], 1, 2, 3, 4, 5)], attributes:
            [NodeAttribute.Ints("kernel_shape", [2]), NodeAttribute.Ints("strides", [2]), NodeAttribute.Int("ceil_mode", 1)]);
        AssertClose([2, 4, 5], ceil);
    }

    [Fact]
    public void AveragePool_count_include_pad_changes_the_divisor()
    {
        NodeAttribute[] common = [NodeAttribute.Ints("kernel_shape", [2]), NodeAttribute.Ints("pads", [1, 1])];
        var excluded = Run1("AveragePool", [F([1, 1, 2], 2, 4)], attributes: common);
        AssertClose([2, 3, 4], excluded);
        var included = Run1("AveragePool", [F([1, 1, 2], 2, 4)], attributes: [.. common, NodeAttribute.Int("count_include_pad", 1)]);
        AssertClose([1, 3, 2], included);
    }

    [Fact]
    public void LpPool_p1_sums_absolute_values()
    {
        var y = Run1("LpPool", [F([1, 1, 3], -1, 2, -3)], attributes: [NodeAttribute.Ints("kernel_shape", [2]), NodeAttribute.Int("p", 1)]);
        AssertClose([3, 5], y);
    }

    [Fact]
    public void Global_pools_reduce_all_spatial_axes()
    {
        var x = F([1, 2, 2, 1], 1, 2, -3, 4);
        var avg = Run1("GlobalAveragePool", [x]);
        Assert.Equal(new[] { 1, 2, 1, 1 }, avg.Shape);
        AssertClose([1.5f, 0.5f], avg);
        AssertClose([2, 4], Run1("GlobalMaxPool", [x]));
        AssertClose([MathF.Sqrt(5), 5], Run1("GlobalLpPool", [x]));
        AssertClose([1.5f, 0.5f], Run1("GlobalAveragePool", [x.CastTo(DataType.Float16)]), 1e-3);
    }

    [Fact]
    public void MaxUnpool_inverts_maxpool_positions()
    {
        var pooled = Run("MaxPool", [F([1, 1, 4, 4], Ramp16)], 2, attributes: [NodeAttribute.Ints("kernel_shape", [2, 2]), NodeAttribute.Ints("strides", [2, 2])]);
        var y = Run1("MaxUnpool", [pooled[0], pooled[1]], attributes: [NodeAttribute.Ints("kernel_shape", [2, 2]), NodeAttribute.Ints("strides", [2, 2])]);
        Assert.Equal(new[] { 1, 1, 4, 4 }, y.Shape);
        var expected = new float[16];
        foreach (var i in new[] { 5, 7, 13, 15 }) expected[i] = i;
        AssertClose(expected, y);
    }

    [Fact]
    public void MaxRoiPool_takes_bin_maxima()
    {
        var y = Run1("MaxRoiPool", [F([1, 1, 4, 4], Ramp16), F([1, 5], 0, 0, 0, 3, 3)], attributes: [NodeAttribute.Ints("pooled_shape", [2, 2])]);
        Assert.Equal(new[] { 1, 1, 2, 2 }, y.Shape);
        AssertClose([5, 7, 13, 15], y);
    }

    [Fact]
    public void Pool_shape_inference_keeps_symbolic_batch()
    {
        var x = new TensorType(DataType.Float32, new TensorShape(new[] { Dim.Symbolic("N"), Dim.Known(3), Dim.Known(7), Dim.Known(7) }));
        var types = Infer("MaxPool", [x], outputs: 2, attributes: [NodeAttribute.Ints("kernel_shape", [3, 3]), NodeAttribute.Ints("strides", [2, 2]), NodeAttribute.String("auto_pad", "SAME_UPPER")]);
        Assert.Equal("float32[N,3,4,4]", types[0]!.ToString());
        Assert.Equal("int64[N,3,4,4]", types[1]!.ToString());
    }
}
