using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class TrainingTests
{
    private const string Domain = "ai.onnx.preview.training";

    [Fact]
    public void Momentum_standard_and_nesterov()
    {
        DataValue?[] inputs = [F([], 0.1f), L([], 1), F([1], 1), F([1], 2), F([1], 3)];
        var standard = Run("Momentum", inputs, 1, 2, Domain, NodeAttribute.Float("alpha", 0.9f), NodeAttribute.Float("beta", 0.5f), NodeAttribute.String("mode", "standard"));
        Close([3.7], (Tensor)standard[1]!);
        Close([1 - 0.37], (Tensor)standard[0]!);
        var nesterov = Run("Momentum", inputs, 1, 2, Domain, NodeAttribute.Float("alpha", 0.9f), NodeAttribute.Float("beta", 0.5f), NodeAttribute.String("mode", "nesterov"));
        Close([1 - 0.1 * (2 + 0.9 * 3.7)], (Tensor)nesterov[0]!);
        // At T = 0 the gradient is not scaled by beta.
        DataValue?[] first = [F([], 0.1f), L([], 0), F([1], 1), F([1], 2), F([1], 3)];
        var start = Run("Momentum", first, 1, 2, Domain, NodeAttribute.Float("alpha", 0.9f), NodeAttribute.Float("beta", 0.5f), NodeAttribute.String("mode", "standard"));
        Close([4.7], (Tensor)start[1]!);
        Assert.Throws<ModelFormatException>(() => Run("Momentum", inputs, 1, 2, Domain, NodeAttribute.Float("beta", 0.5f)));
    }

    [Fact]
    public void Adagrad_accumulates_squares_with_decay()
    {
        DataValue?[] inputs = [F([], 0.1f), L([], 1), F([1], 1), F([1], 2), F([1], 0)];
        var y = Run("Adagrad", inputs, 1, 2, Domain, NodeAttribute.Float("decay_factor", 1), NodeAttribute.Float("epsilon", 0));
        Close([4], (Tensor)y[1]!);
        Close([1 - 0.05 * 2 / 2], (Tensor)y[0]!);
    }

    [Fact]
    public void Adam_updates_several_tensors_with_bias_correction()
    {
        DataValue?[] inputs = [F([], 0.1f), L([], 1), F([1], 1), F([2], 2, 3), F([1], 1), F([2], 0, 1), F([1], 0), F([2], 0, 0), F([1], 0), F([2], 0, 0)];
        var y = Run("Adam", inputs, 1, 6, Domain);
        // G=1, V=0, H=0: V'=0.1, H'=0.001, r=0.1*sqrt(0.001)/0.1 -> X' = 1 - sqrt(0.001) * 0.1/sqrt(0.001) = 0.9.
        Close([0.9], (Tensor)y[0]!);
        Close([0.1], (Tensor)y[2]!);
        Close([0.001], (Tensor)y[4]!);
        Close([2, 3 - 0.1], (Tensor)y[1]!, 1e-5); // zero gradient and state leave the first element alone (epsilon avoids 0/0)
    }
}
