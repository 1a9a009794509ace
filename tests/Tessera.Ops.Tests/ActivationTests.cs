using Tessera.Core;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class ActivationTests
{
    private static readonly float[] Inputs = [-2, -0.5f, 0, 0.5f, 2];

    [Fact]
    public void Relu_on_floats_and_integers()
    {
        AssertFloats(Run("Relu", F(Inputs)), 0, 0, 0, 0.5, 2);
        Assert.Equal(new[] { 0, 0, 7 }, Run("Relu", I32(-7, 0, 7)).As<int>());
    }

    [Fact]
    public void LeakyRelu_default_and_custom_alpha()
    {
        AssertFloats(Run("LeakyRelu", F(-2, 3)), -0.02f, 3);
        AssertFloats(Run("LeakyRelu", 16, [F(-2, 3)], NodeAttribute.Float("alpha", 0.5f)), -1, 3);
    }

    [Fact]
    public void Elu_selu_celu()
    {
        AssertFloats(Run("Elu", D(-1, 2)), System.Math.Exp(-1) - 1, 2);
        AssertFloats(Run("Elu", 6, [D(-1)], NodeAttribute.Float("alpha", 2f)), 2 * (System.Math.Exp(-1) - 1));
        const double alpha = 1.67326319217681884765625, gamma = 1.05070102710723876953125;
        AssertFloats(Run("Selu", D(-1, 2)), gamma * alpha * (System.Math.Exp(-1) - 1), gamma * 2);
        AssertFloats(Run("Celu", 12, [D(-1, 2)], NodeAttribute.Float("alpha", 2f)), 2 * (System.Math.Exp(-0.5) - 1), 2);
    }

    [Fact]
    public void ThresholdedRelu_and_shrink()
    {
        AssertFloats(Run("ThresholdedRelu", F(Inputs)), 0, 0, 0, 0, 2);
        AssertFloats(Run("ThresholdedRelu", 10, [F(Inputs)], NodeAttribute.Float("alpha", 0.25f)), 0, 0, 0, 0.5, 2);
        AssertFloats(Run("Shrink", F(Inputs)), -2, 0, 0, 0, 2);
        AssertFloats(Run("Shrink", 9, [F(Inputs)], NodeAttribute.Float("lambd", 1f), NodeAttribute.Float("bias", 1f)), -1, 0, 0, 0, 1);
        Assert.Equal(new[] { -4, 0, 0, 4 }, Run("Shrink", 9, [I32(-5, -1, 1, 5)], NodeAttribute.Float("lambd", 1.5f), NodeAttribute.Float("bias", 1f)).As<int>());
    }

    [Fact]
    public void PRelu_broadcasts_slope_to_x()
    {
        var x = F([2, 2], -1, 1, -2, 2);
        AssertTensor(Run("PRelu", x, F(0.5f, 0.25f)), DataType.Float32, [2, 2], -0.5, 1, -1, 2);
        Assert.Throws<InvalidInputException>(() => Run("PRelu", F(-1), F(1, 2)));
    }

    [Fact]
    public void PRelu_before_opset7_applies_one_slope_per_channel()
    {
        var x = F([1, 2, 2], -1, -2, -3, 4);
        AssertTensor(Run("PRelu", 6, [x, F(0.5f, 2)]), DataType.Float32, [1, 2, 2], -0.5, -1, -6, 4);
    }

    [Fact]
    public void Sigmoid_is_stable_for_large_magnitudes()
    {
        AssertFloats(Run("Sigmoid", F(0, 1, -100, 100)), 0.5, 1 / (1 + System.Math.Exp(-1)), 3.7200759760208356e-44, 1);
    }

    [Fact]
    public void HardSigmoid_and_HardSwish()
    {
        AssertFloats(Run("HardSigmoid", F(-3, 0, 1, 3)), 0, 0.5, 0.7, 1);
        AssertFloats(Run("HardSigmoid", 6, [F(1)], NodeAttribute.Float("alpha", 0.5f), NodeAttribute.Float("beta", 0.25f)), 0.75);
        AssertFloats(Run("HardSwish", F(-4, -1, 0, 1, 4)), 0, -1.0 / 3, 0, 2.0 / 3, 4);
    }

    [Fact]
    public void Tanh_softplus_softsign_mish()
    {
        AssertFloats(Run("Tanh", D(0.5)), System.Math.Tanh(0.5));
        AssertFloats(Run("Softplus", D(0, 1, 1000, -1000)), System.Math.Log(2), System.Math.Log(1 + System.Math.E), 1000, 0);
        AssertFloats(Run("Softsign", F(-3, 1)), -0.75, 0.5);
        AssertFloats(Run("Mish", D(1, -1)), System.Math.Tanh(System.Math.Log(1 + System.Math.E)), -System.Math.Tanh(System.Math.Log(1 + System.Math.Exp(-1))));
    }

    [Fact]
    public void Gelu_exact_and_tanh_approximation()
    {
        AssertFloats(Run("Gelu", D(1, -1)), 0.8413447460685429, -0.15865525393145707);
        var tanh = Run("Gelu", 20, [D(1)], NodeAttribute.String("approximate", "tanh"));
        AssertFloats(tanh, 0.5 * (1 + System.Math.Tanh(System.Math.Sqrt(2 / System.Math.PI) * 1.044715)));
        Assert.Throws<UnsupportedException>(() => Run("Gelu", 20, [D(1)], NodeAttribute.String("approximate", "erf")));
    }

    [Fact]
    public void Float_activations_reject_integers_and_keep_float16()
    {
        Assert.Throws<UnsupportedException>(() => Run("Sigmoid", I32(1)));
        var y = Run("Sigmoid", Tensor.Create([1], new[] { (Half)0f }));
        Assert.Equal(DataType.Float16, y.DataType);
        Assert.Equal((Half)0.5f, y.As<Half>()[0]);
    }

    [Fact]
    public void Activation_inference_keeps_type_and_shape()
    {
        var t = new TensorType(DataType.Float32, new TensorShape([Dim.Symbolic("N"), Dim.Known(8)]));
        Assert.Equal(t, Infer("HardSwish", 14, [t]));
        Assert.Equal(t, Infer("PRelu", 16, [t, Type(DataType.Float32, 8)]));
    }
}
