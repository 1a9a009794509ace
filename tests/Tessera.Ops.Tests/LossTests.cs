using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class LossTests
{
    // Log-probabilities for N=2, C=3.
    private static readonly Tensor LogProbs = F([2, 3], -1, -2, -3, -0.5f, -1.5f, -2.5f);

    [Fact]
    public void Nll_mean_is_the_average_of_picked_negated_entries()
    {
        var y = Run1("NegativeLogLikelihoodLoss", [LogProbs, L([2], 2, 0)], 13);
        Assert.Equal(0, y.Rank);
        Close([(3 + 0.5) / 2], y);
    }

    [Fact]
    public void Nll_weights_scale_losses_and_the_mean_divides_by_total_weight()
    {
        var weight = F([3], 1, 2, 4);
        var none = Run1("NegativeLogLikelihoodLoss", [LogProbs, L([2], 2, 1), weight], 13, NodeAttribute.String("reduction", "none"));
        Close([12, 3], none);
        var mean = Run1("NegativeLogLikelihoodLoss", [LogProbs, L([2], 2, 1), weight], 13);
        Close([15.0 / 6], mean);
        var sum = Run1("NegativeLogLikelihoodLoss", [LogProbs, L([2], 2, 1), weight], 13, NodeAttribute.String("reduction", "sum"));
        Close([15], sum);
    }

    [Fact]
    public void Ignored_targets_count_neither_loss_nor_weight_even_when_negative()
    {
        var y = Run1("NegativeLogLikelihoodLoss", [LogProbs, L([2], -1, 1)], 13, NodeAttribute.Int("ignore_index", -1));
        Close([1.5], y);
        var none = Run1("NegativeLogLikelihoodLoss", [LogProbs, L([2], -1, 1)], 13, NodeAttribute.Int("ignore_index", -1), NodeAttribute.String("reduction", "none"));
        Close([0, 1.5], none);
    }

    [Fact]
    public void Nll_handles_spatial_dims_and_rejects_bad_targets()
    {
        // N=1, C=2, d1=2: classes along axis 1.
        var x = F([1, 2, 2], -1, -2, -3, -4);
        var y = Run1("NegativeLogLikelihoodLoss", [x, L([1, 2], 1, 0)], 13, NodeAttribute.String("reduction", "none"));
        Assert.Equal([1, 2], y.Shape);
        Close([3, 2], y);
        Assert.Throws<InvalidInputException>(() => Run1("NegativeLogLikelihoodLoss", [x, L([1, 2], 5, 0)], 13));
    }

    [Fact]
    public void Softmax_cross_entropy_applies_log_softmax_and_returns_it()
    {
        var scores = F([1, 2], 0, 0);
        var outputs = Run("SoftmaxCrossEntropyLoss", [scores, L([1], 1)], 13, 2);
        Close([System.Math.Log(2)], (Tensor)outputs[0]!);
        Close([-System.Math.Log(2), -System.Math.Log(2)], (Tensor)outputs[1]!);
    }

    [Fact]
    public void Type_rule_drops_the_class_dim_for_reduction_none()
    {
        var input = new TensorType(DataType.Float32, new TensorShape([Dim.Symbolic("N"), 5, 7]));
        var target = new TensorType(DataType.Int64, new TensorShape([Dim.Symbolic("N"), 7]));
        var none = (TensorType)Infer("NegativeLogLikelihoodLoss", [input, target], attributes: NodeAttribute.String("reduction", "none"))[0]!;
        Assert.Equal(new TensorShape([Dim.Symbolic("N"), 7]), none.Shape);
        var mean = (TensorType)Infer("SoftmaxCrossEntropyLoss", [input, target], outputs: 2)[0]!;
        Assert.Equal(0, mean.Shape!.Rank);
    }
}
