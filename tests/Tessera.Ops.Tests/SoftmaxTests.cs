using Tessera.Core;
using static Tessera.Ops.Tests.OpRunner;

namespace Tessera.Ops.Tests;

public class SoftmaxTests
{
    [Fact]
    public void Softmax_of_equal_values_is_uniform_and_large_values_do_not_overflow()
    {
        AssertClose([0.5f, 0.5f], Run1("Softmax", [F([2], 1000, 1000)], opset: 13));
        float e = MathF.E;
        AssertClose([1 / (1 + e), e / (1 + e)], Run1("Softmax", [F([2], 0, 1)], opset: 13));
    }

    [Fact]
    public void LogSoftmax_is_log_of_softmax()
    {
        var y = Run1("LogSoftmax", [F([2], 10000, 10000)], opset: 13);
        AssertClose([-MathF.Log(2), -MathF.Log(2)], y);
    }

    [Fact]
    public void Axis_semantics_change_at_opset_13()
    {
        var x = F([1, 2, 2], 0, 0, 0, 0);
        // Opset 13: softmax along axis 1 alone (2 values each). Before: rows of the flattened [1, 4] matrix.
        AssertClose([0.5f, 0.5f, 0.5f, 0.5f], Run1("Softmax", [x], opset: 13, attributes: [NodeAttribute.Int("axis", 1)]));
        AssertClose([0.25f, 0.25f, 0.25f, 0.25f], Run1("Softmax", [x], opset: 11, attributes: [NodeAttribute.Int("axis", 1)]));
        // Default axis: -1 from opset 13, 1 before.
        AssertClose([0.5f, 0.5f, 0.5f, 0.5f], Run1("Softmax", [x], opset: 13));
        AssertClose([0.25f, 0.25f, 0.25f, 0.25f], Run1("Softmax", [x], opset: 11));
    }

    [Fact]
    public void Hardmax_marks_the_first_maximum()
    {
        AssertClose([0, 1, 0, 1, 0, 0], Run1("Hardmax", [F([2, 3], 1, 3, 3, 5, 5, 2)], opset: 13));
        AssertClose([0, 0, 1, 0], Run1("Hardmax", [F([2, 2], 1, 2, 3, 2)], opset: 11, attributes: [NodeAttribute.Int("axis", 0)]));
    }

    [Fact]
    public void Softmax_float16_and_negative_axis()
    {
        var y = Run1("Softmax", [F([2, 2], 0, 0, 1, 1).CastTo(DataType.Float16)], opset: 13, attributes: [NodeAttribute.Int("axis", -2)]);
        Assert.Equal(DataType.Float16, y.DataType);
        float e = MathF.E;
        AssertClose([1 / (1 + e), 1 / (1 + e), e / (1 + e), e / (1 + e)], y, 1e-3);
    }

    [Fact]
    public void Dropout_in_inference_is_identity_with_a_true_mask()
    {
        var x = F([3], 1, 2, 3);
        var outputs = Run("Dropout", [x, F([], 0.5f)], 2, opset: 13);
        AssertClose([1, 2, 3], outputs[0]);
        Assert.Equal(new[] { true, true, true }, outputs[1].As<bool>());
        var old = Run("Dropout", [x], 2, opset: 7);
        Assert.Equal(DataType.Float32, old[1].DataType);
    }

    [Fact]
    public void Dropout_training_with_ratio_is_reported_unsupported()
    {
        Assert.Throws<UnsupportedException>(() => Run("Dropout", [F([1], 1), F([], 0.5f), Tensor.Scalar(true)], 2, opset: 13));
        var zero = Run("Dropout", [F([1], 1), F([], 0f), Tensor.Scalar(true)], 2, opset: 13);
        AssertClose([1], zero[0]);
    }
}
