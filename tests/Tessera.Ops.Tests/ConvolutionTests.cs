using Tessera.Core;
using static Tessera.Ops.Tests.OpRunner;

namespace Tessera.Ops.Tests;

public class ConvolutionTests
{
    private static readonly float[] Ramp9 = [0, 1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void Conv_2x2_ones_kernel_sums_windows()
    {
        var y = Run1("Conv", [F([1, 1, 3, 3], Ramp9), F([1, 1, 2, 2], 1, 1, 1, 1)]);
        Assert.Equal(new[] { 1, 1, 2, 2 }, y.Shape);
        AssertClose([8, 12, 20, 24], y);
    }

    [Fact]
    public void Conv_pads_and_strides_skip_padding()
    {
        var y = Run1("Conv", [F([1, 1, 3, 3], Ramp9), F([1, 1, 2, 2], 1, 1, 1, 1)], attributes:
            [NodeAttribute.Ints("pads", [1, 1, 1, 1]), NodeAttribute.Ints("strides", [2, 2])]);
        Assert.Equal(new[] { 1, 1, 2, 2 }, y.Shape);
        AssertClose([0, 3, 9, 24], y);
    }

    [Fact]
    public void Conv_depthwise_group_applies_bias_per_channel()
    {
        var y = Run1("Conv", [F([1, 2, 1, 2], 1, 2, 3, 4), F([2, 1, 1, 1], 2, 10), F([2], 1, -1)], attributes: [NodeAttribute.Int("group", 2)]);
        AssertClose([3, 5, 29, 39], y);
    }

    [Theory]
    [InlineData("SAME_UPPER", new float[] { 3, 5, 7, 4 })]
    [InlineData("SAME_LOWER", new float[] { 1, 3, 5, 7 })]
    [InlineData("VALID", new float[] { 3, 5, 7 })]
    public void Conv_1d_auto_pad_places_the_odd_pad(string autoPad, float[] expected)
    {
        var y = Run1("Conv", [F([1, 1, 4], 1, 2, 3, 4), F([1, 1, 2], 1, 1)], attributes: [NodeAttribute.String("auto_pad", autoPad)]);
        AssertClose(expected, y);
    }

    [Fact]
    public void Conv_dilation_spreads_the_kernel()
    {
        // Kernel taps at offsets 0 and 2: y[i] = x[i] + x[i + 2].
        var y = Run1("Conv", [F([1, 1, 5], 1, 2, 3, 4, 5), F([1, 1, 2], 1, 1)], attributes: [NodeAttribute.Ints("dilations", [2])]);
        AssertClose([4, 6, 8], y);
    }

    [Fact]
    public void Conv_3d_matches_hand_sum()
    {
        var x = F([1, 1, 2, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        var y = Run1("Conv", [x, F([1, 1, 2, 2, 2], 1, 1, 1, 1, 1, 1, 1, 1)]);
        Assert.Equal(new[] { 1, 1, 1, 1, 1 }, y.Shape);
        AssertClose([36], y);
    }

    [Fact]
    public void Conv_rejects_channel_mismatch() =>
        Assert.Throws<InvalidInputException>(() => Run1("Conv", [F([1, 3, 2, 2], new float[12]), F([1, 2, 1, 1], 1, 1)]));

    /// <summary>The float32 fast path agrees with the generic double loop on odd shapes and settings.</summary>
    [Fact]
    public void Conv_float_fast_path_matches_generic_reference()
    {
        var random = new Random(7);
        int[][] cases = [[1, 1, 7, 7, 1, 3, 3, 1, 1, 0], [2, 4, 5, 9, 2, 3, 2, 2, 1, 1], [1, 6, 17, 3, 6, 1, 3, 1, 2, 2], [1, 2, 1, 255, 1, 1, 5, 3, 1, 2], [1, 3, 5, 4, 1, 1, 1, 1, 1, 0], [1, 4, 6, 6, 2, 3, 3, 1, 1, 1]];
        foreach (var c in cases)
        {
            int n = c[0], ch = c[1], h = c[2], w = c[3], group = c[4], kh = c[5], kw = c[6], stride = c[7], dilation = c[8], pad = c[9];
            int m = group * 2;
            var x = RandomTensor(random, [n, ch, h, w]);
            var weight = RandomTensor(random, [m, ch / group, kh, kw]);
            var bias = RandomTensor(random, [m]);
            NodeAttribute[] attributes = [NodeAttribute.Int("group", group), NodeAttribute.Ints("strides", [stride, stride]),
                NodeAttribute.Ints("dilations", [dilation, dilation]), NodeAttribute.Ints("pads", [pad, pad, pad, pad])];
            var fast = Run1("Conv", [x, weight, bias], attributes: attributes);
            var reference = Run1("Conv", [x.CastTo(DataType.Float64), weight.CastTo(DataType.Float64), bias.CastTo(DataType.Float64)], attributes: attributes);
            Assert.Equal(reference.Shape, fast.Shape);
            AssertClose(reference.ToFloatArray(), fast, 1e-4);
        }
    }

    internal static Tensor RandomTensor(Random random, int[] shape)
    {
        var values = new float[ShapeMath.ElementCount(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return Tensor.Create(shape, values);
    }

    [Fact]
    public void Conv_infers_symbolic_batch_and_strided_size()
    {
        var x = new TensorType(DataType.Float32, new TensorShape(new[] { Dim.Symbolic("N"), Dim.Known(3), Dim.Known(32), Dim.Known(32) }));
        var w = new TensorType(DataType.Float32, new TensorShape(8, 3, 3, 3));
        var types = Infer("Conv", [x, w], attributes: [NodeAttribute.Ints("strides", [2, 2]), NodeAttribute.Ints("pads", [1, 1, 1, 1])]);
        Assert.Equal("float32[N,8,16,16]", types[0]!.ToString());
    }

    [Fact]
    public void Conv_macs_count_window_times_channels_per_group()
    {
        var node = MakeNode("Conv", 2, 1, NodeAttribute.Int("group", 2));
        var cost = new CostContext(node, [[1, 4, 8, 8], [6, 2, 3, 3]], [[1, 6, 6, 6]]);
        Assert.Equal(6L * 36 * 2 * 9, OperatorRegistry.Default.Get(node).Macs(cost));
    }

    [Fact]
    public void ConvTranspose_stride_2_scatters_without_overlap()
    {
        var y = Run1("ConvTranspose", [F([1, 1, 2], 1, 2), F([1, 1, 2], 1, 1)], attributes: [NodeAttribute.Ints("strides", [2])]);
        AssertClose([1, 1, 2, 2], y);
    }

    [Fact]
    public void ConvTranspose_stride_1_overlaps_and_output_padding_extends()
    {
        AssertClose([1, 3, 2], Run1("ConvTranspose", [F([1, 1, 2], 1, 2), F([1, 1, 2], 1, 1)]));
        var padded = Run1("ConvTranspose", [F([1, 1, 2], 1, 2), F([1, 1, 2], 1, 1)], attributes:
            [NodeAttribute.Ints("strides", [2]), NodeAttribute.Ints("output_padding", [1])]);
        AssertClose([1, 1, 2, 2, 0], padded);
    }

    [Fact]
    public void ConvTranspose_output_shape_and_same_upper()
    {
        var shaped = Run1("ConvTranspose", [F([1, 1, 2], 1, 2), F([1, 1, 2], 1, 1)], attributes:
            [NodeAttribute.Ints("strides", [2]), NodeAttribute.Ints("output_shape", [6])]);
        AssertClose([1, 1, 2, 2, 0, 0], shaped);
        var same = Run1("ConvTranspose", [F([1, 1, 2], 1, 2), F([1, 1, 3], 1, 1, 1)], attributes:
            [NodeAttribute.Ints("strides", [2]), NodeAttribute.String("auto_pad", "SAME_UPPER")]);
        // The full output [1,1,3,2,2] is one longer than in*stride; SAME_UPPER drops it at the end.
        AssertClose([1, 1, 3, 2], same);
    }

    [Fact]
    public void ConvTranspose_float_fast_path_matches_generic_reference()
    {
        var random = new Random(3);
        var x = RandomTensor(random, [2, 4, 5, 7]);
        var w = RandomTensor(random, [4, 3, 3, 2]);
        var b = RandomTensor(random, [6]);
        NodeAttribute[] attributes = [NodeAttribute.Int("group", 2), NodeAttribute.Ints("strides", [2, 3]), NodeAttribute.Ints("dilations", [1, 2]),
            NodeAttribute.Ints("pads", [1, 0, 0, 2])];
        var fast = Run1("ConvTranspose", [x, w, b], attributes: attributes);
        var reference = Run1("ConvTranspose", [x.CastTo(DataType.Float64), w.CastTo(DataType.Float64), b.CastTo(DataType.Float64)], attributes: attributes);
        Assert.Equal(new[] { 2, 6, 10, 19 }, fast.Shape);
        AssertClose(reference.ToFloatArray(), fast, 1e-4);
    }
}
