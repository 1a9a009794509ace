using Tessera.Compiler.Layers;
using Tessera.Core;

namespace Tessera.Compiler.Tests;

/// <summary>The layer kinds the real models add (broadcast Add/Mul, activation x activation MatMul, nearest Resize,
/// sub-pixel ConvTranspose) compiled alone for tiny, small and large: simulator == oracle bit for bit.</summary>
public class ModelLayerTests
{
    public static TheoryData<string> Configs() => new(Make.Configs);

    [Theory]
    [MemberData(nameof(Configs))]
    public void Squeeze_excitation_mul_per_channel(string config)
    {
        var random = new Random(101);
        var x = Make.Tensor("x", 9, 11, 40, random);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("se", x, Make.Tensor("gate", 1, 1, 40, random), true, random), 102);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("se-add", x, Make.Tensor("bias", 1, 1, 40, random), false, random), 103);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Scalar_row_and_spatial_broadcast(string config)
    {
        var random = new Random(104);
        var x = Make.Tensor("x", 7, 13, 19, random);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("scalar", x, Make.Tensor("s", 1, 1, 1, random), false, random), 105);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("row", Make.Tensor("r", 1, 13, 1, random), x, true, random), 106);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("spatial", x, Make.Tensor("m", 7, 13, 1, random), true, random), 107);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("column", Make.Tensor("col", 7, 1, 19, random), Make.Tensor("w", 1, 13, 1, random), false, random), 108);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("rows", x, Make.Tensor("h", 1, 13, 19, random), false, random), 109);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Broadcast_over_many_bands(string config)
    {
        var random = new Random(110);
        var x = Make.Tensor("x", 60, 45, 24, random);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("se", x, Make.Tensor("gate", 1, 1, 24, random), true, random), 111);
        LayerTests.AssertBitExact(config, ModelLayerMake.Broadcast("spatial", x, Make.Tensor("m", 60, 45, 1, random), false, random), 112);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Attention_products(string config)
    {
        var random = new Random(113);
        // Q x K^T: 4 heads of 40 tokens x 15 dims, K read transposed; then softmax(...) x V with the probabilities
        // at zero point -128 (uint8 with zero point 0) so both zero-point corrections run, split into 64 + 64.
        var q = Make.Tensor("q", 4, 40, 15, random);
        var k = Make.Tensor("k", 4, 40, 15, random);
        LayerTests.AssertBitExact(config, ModelLayerMake.MatMul("qk", q, k, true, random), 114);
        var p = new NpuTensor("p", 4, 40, 40, -128);
        var v = new NpuTensor("v", 4, 40, 15, -128);
        // Both operands are non-negative reals here, so the bias re-centres the sums (about 40 x 127.5^2).
        var pv = ModelLayerMake.MatMul("pv", p, v, false, random, perColumn: true);
        LayerTests.AssertBitExact(config, pv with { Bias = Enumerable.Repeat(-650250, 15).ToArray() }, 115);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void MatMul_wide_deep_and_shared_right(string config)
    {
        var random = new Random(116);
        var a = Make.Tensor("a", 3, 37, 70, random); // K = 70 > 64 array rows on large: k slices
        var b = Make.Tensor("b", 1, 70, 81, random); // one right matrix for all batches; N = 81 > array columns
        LayerTests.AssertBitExact(config, ModelLayerMake.MatMul("mm", a, b, false, random, perColumn: true, minimum: -20, maximum: 90), 117);
        var zeroPoints = new NpuTensor("c", 2, 5, 9, 0);
        LayerTests.AssertBitExact(config, ModelLayerMake.MatMul("mm0", zeroPoints, new NpuTensor("d", 2, 9, 6, 0), false, random), 118);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Resize_nearest(string config)
    {
        var random = new Random(119);
        var x = Make.Tensor("x", 7, 9, 24, random);
        LayerTests.AssertBitExact(config, ResizeNearestLayer.Upsample("up2", x, x with { Name = "y", Height = 14, Width = 18 }), 120);
        LayerTests.AssertBitExact(config, ResizeNearestLayer.Upsample("up32", x, x with { Name = "y", Height = 21, Width = 18 }), 121);
        // Any index map: shrinking, repeating irregularly, non-monotonic.
        var map = new ResizeNearestLayer("map", x, x with { Name = "y", Height = 6, Width = 7 }, [0, 0, 2, 3, 3, 6], [8, 0, 1, 1, 1, 4, 6]);
        LayerTests.AssertBitExact(config, map, 122);
        var big = Make.Tensor("big", 40, 40, 32, random);
        LayerTests.AssertBitExact(config, ResizeNearestLayer.Upsample("fpn", big, big with { Name = "y", Height = 80, Width = 80 }), 123);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void ConvTranspose_2x2_stride_2(string config)
    {
        var random = new Random(124);
        LayerTests.AssertBitExact(config, ModelLayerMake.ConvTranspose("up", Make.Tensor("x", 9, 7, 24, random), 16, new Window(2, 2, 2, 2), 1, random), 125);
        // 37 -> 3x3x45 = 405 sub-pixel channels: several array chunks whose slices straddle kernel positions.
        LayerTests.AssertBitExact(config, ModelLayerMake.ConvTranspose("up3", Make.Tensor("x", 5, 6, 37, random), 45, new Window(3, 3, 3, 3), 1, random), 126);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Transpose_every_permutation(string config)
    {
        var random = new Random(129);
        var x = Make.Tensor("x", 7, 13, 19, random);
        foreach (int[] p in new[] { new[] { 0, 1, 2 }, [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0] })
        {
            int[] sizes = [x.Height, x.Width, x.Channels];
            var layer = new TransposeLayer("t", x, x with { Name = "y", Height = sizes[p[0]], Width = sizes[p[1]], Channels = sizes[p[2]] }, p);
            LayerTests.AssertBitExact(config, layer, 130);
        }
        var heads = Make.Tensor("heads", 40, 8, 15, random); // [T, heads, d] -> [heads, T, d]
        LayerTests.AssertBitExact(config, new TransposeLayer("t", heads, heads with { Name = "y", Height = 8, Width = 40 }, [1, 0, 2]), 131);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void ConvTranspose_general_by_phases(string config)
    {
        var random = new Random(127);
        // 3x3 stride 2 pad 1 with output padding (the usual x2 decoder), dilated grouped, stride 3 kernel 2
        // (a phase with no tap: only the bias), asymmetric strides and padding.
        LayerTests.AssertBitExact(config, ModelLayerMake.ConvTranspose("ct", Make.Tensor("x", 6, 7, 12, random), 10, new Window(3, 3, 2, 2, Padding: Padding.Same(1)), 1, random, 1, 1), 132);
        LayerTests.AssertBitExact(config, ModelLayerMake.ConvTranspose("ct", Make.Tensor("x", 5, 6, 8, random), 12, new Window(3, 3, 2, 2, 2, 2, Padding.Same(2)), 4, random, 1, 0), 133);
        LayerTests.AssertBitExact(config, ModelLayerMake.ConvTranspose("ct", Make.Tensor("x", 4, 5, 9, random), 7, new Window(2, 2, 3, 3), 1, random, 2, 1), 134);
        LayerTests.AssertBitExact(config, ModelLayerMake.ConvTranspose("ct", Make.Tensor("x", 7, 4, 40, random), 33, new Window(4, 3, 2, 1, Padding: new Padding(1, 0, 2, 1)), 1, random), 135);
    }

    [Fact]
    public void Broadcast_with_mismatched_shapes_is_rejected()
    {
        var random = new Random(128);
        var x = Make.Tensor("x", 4, 4, 8, random);
        var layer = new BroadcastLayer("bad", x, Make.Tensor("b", 1, 1, 3, random), x with { Name = "y" }, true, new int[7]);
        Assert.Throws<InvalidInputException>(layer.Validate);
    }
}
