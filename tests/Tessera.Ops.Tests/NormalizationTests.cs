using Tessera.Core;
using static Tessera.Ops.Tests.OpRunner;

namespace Tessera.Ops.Tests;

public class NormalizationTests
{
    [Fact]
    public void BatchNormalization_inference_uses_running_statistics()
    {
        var x = F([1, 2, 2], 1, 3, 10, 20);
        var y = Run1("BatchNormalization", [x, F([2], 2, 1), F([2], 1, 0), F([2], 2, 10), F([2], 4, 100)], opset: 15,
            attributes: [NodeAttribute.Float("epsilon", 0)]);
        // Channel 0: (x - 2) / 2 * 2 + 1; channel 1: (x - 10) / 10.
        AssertClose([0, 2, 0, 1], y);
    }

    [Fact]
    public void BatchNormalization_training_mode_normalizes_with_batch_statistics()
    {
        var x = F([2, 1, 1], 1, 3);
        var outputs = Run("BatchNormalization", [x, F([1], 1), F([1], 0), F([1], 0), F([1], 1)], 3, opset: 15,
            attributes: [NodeAttribute.Int("training_mode", 1), NodeAttribute.Float("epsilon", 0), NodeAttribute.Float("momentum", 0.5f)]);
        AssertClose([-1, 1], outputs[0]);
        AssertClose([1], outputs[1]);
        AssertClose([1], outputs[2]);
    }

    [Fact]
    public void InstanceNormalization_normalizes_each_plane()
    {
        var y = Run1("InstanceNormalization", [F([1, 2, 2], 1, 3, 5, 7), F([2], 1, 3), F([2], 0, 7)], attributes: [NodeAttribute.Float("epsilon", 0)]);
        AssertClose([-1, 1, 4, 10], y);
    }

    [Fact]
    public void LayerNormalization_returns_mean_and_inverse_std()
    {
        var outputs = Run("LayerNormalization", [F([2, 2], 1, 3, 2, 6), F([2], 1, 2), F([2], 0, 1)], 3, opset: 17,
            attributes: [NodeAttribute.Float("epsilon", 0)]);
        AssertClose([-1, 3, -1, 3], outputs[0]);
        Assert.Equal(new[] { 2, 1 }, outputs[1].Shape);
        AssertClose([2, 4], outputs[1]);
        AssertClose([1, 0.5f], outputs[2]);
    }

    [Fact]
    public void LayerNormalization_negative_axis_covers_trailing_dims()
    {
        var x = F([1, 2, 2], 1, 2, 3, 4);
        var y = Run1("LayerNormalization", [x, F([2, 2], 1, 1, 1, 1)], opset: 17, attributes: [NodeAttribute.Int("axis", -2), NodeAttribute.Float("epsilon", 0)]);
        float s = 1 / MathF.Sqrt(1.25f);
        AssertClose([-1.5f * s, -0.5f * s, 0.5f * s, 1.5f * s], y);
    }

    [Fact]
    public void GroupNormalization_scale_is_per_group_in_opset_18_and_per_channel_in_21()
    {
        var x = F([1, 2, 2], 1, 3, 5, 9);
        var g18 = Run1("GroupNormalization", [x, F([1], 2), F([1], 1)], opset: 18, attributes: [NodeAttribute.Int("num_groups", 1), NodeAttribute.Float("epsilon", 0)]);
        var g21 = Run1("GroupNormalization", [x, F([2], 2, 2), F([2], 1, 1)], opset: 21, attributes: [NodeAttribute.Int("num_groups", 1), NodeAttribute.Float("epsilon", 0)]);
        // mean 4.5, variance 8.75.
        float s = 1 / MathF.Sqrt(8.75f);
        float[] expected = [1 + 2 * -3.5f * s, 1 + 2 * -1.5f * s, 1 + 2 * 0.5f * s, 1 + 2 * 4.5f * s];
        AssertClose(expected, g18);
        AssertClose(expected, g21);
    }

    [Fact]
    public void LpNormalization_l1_and_l2()
    {
        AssertClose([0.6f, 0.8f], Run1("LpNormalization", [F([1, 2], 3, 4)]));
        AssertClose([-0.25f, 0.75f], Run1("LpNormalization", [F([1, 2], -1, 3)], attributes: [NodeAttribute.Int("p", 1)]));
        // Along axis 0: column [3,4] has norm 5, column [4,0] norm 4.
        AssertClose([0.6f, 1, 0.8f, 0], Run1("LpNormalization", [F([2, 2], 3, 4, 4, 0)], attributes: [NodeAttribute.Int("axis", 0)]));
    }

    [Fact]
    public void MeanVarianceNormalization_over_given_axes()
    {
        var y = Run1("MeanVarianceNormalization", [F([1, 2], 1, 3)], attributes: [NodeAttribute.Ints("axes", [1])]);
        AssertClose([-1, 1], y);
    }

    [Fact]
    public void LRN_divides_by_neighbouring_channel_energy()
    {
        var x = F([1, 3, 1, 1], 1, 2, 3);
        var y = Run1("LRN", [x], attributes: [NodeAttribute.Int("size", 3), NodeAttribute.Float("alpha", 3), NodeAttribute.Float("beta", 1), NodeAttribute.Float("bias", 1)]);
        // size 3: channel 0 sees channels 0..1 (1+4), channel 1 sees 0..2 (14), channel 2 sees 1..2 (13); alpha/size = 1.
        AssertClose([1f / 6, 2f / 15, 3f / 14], y);
    }

    [Fact]
    public void LayerNormalization_infers_statistic_shapes()
    {
        var x = new TensorType(DataType.Float32, new TensorShape(new[] { Dim.Symbolic("B"), Dim.Known(4), Dim.Known(8) }));
        var types = Infer("LayerNormalization", [x, null], opset: 17, outputs: 3);
        Assert.Equal("float32[B,4,8]", types[0]!.ToString());
        Assert.Equal("float32[B,4,1]", types[1]!.ToString());
    }
}
