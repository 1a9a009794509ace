using Tessera.Core;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class ClipWhereTests
{
    [Fact]
    public void Clip_with_input_bounds()
    {
        AssertFloats(Run("Clip", F(-2, 0, 2), Tensor.Scalar(-1f), Tensor.Scalar(1f)), -1, 0, 1);
    }

    [Fact]
    public void Clip_with_only_max_or_no_bounds()
    {
        AssertFloats(Run("Clip", F(-2, 0, 2), null, Tensor.Scalar(1f)), -2, 0, 1);
        AssertFloats(Run("Clip", F(-2, 0, 2)), -2, 0, 2);
    }

    [Fact]
    public void Clip_before_opset11_reads_attributes()
    {
        var y = Run("Clip", 6, [F(-2, 0.25f, 2)], NodeAttribute.Float("min", -0.5f), NodeAttribute.Float("max", 0.5f));
        AssertFloats(y, -0.5, 0.25, 0.5);
        AssertFloats(Run("Clip", 6, [F(-2, 2)], NodeAttribute.Float("min", 0f)), 0, 2);
    }

    [Fact]
    public void Clip_on_integers_and_min_above_max()
    {
        var x = Tensor.Create([3], new sbyte[] { -100, 5, 100 });
        Assert.Equal(new sbyte[] { -10, 5, 10 }, Run("Clip", x, Tensor.Scalar((sbyte)-10), Tensor.Scalar((sbyte)10)).As<sbyte>());
        AssertFloats(Run("Clip", F(-1, 5, 9), Tensor.Scalar(3f), Tensor.Scalar(2f)), 2, 2, 2);
    }

    [Fact]
    public void Clip_rejects_non_scalar_bound()
    {
        Assert.Throws<InvalidInputException>(() => Run("Clip", F(1, 2), F(0, 1)));
    }

    [Fact]
    public void Where_broadcasts_condition_and_values()
    {
        var condition = Tensor.Create([2, 1], new[] { true, false });
        var y = Run("Where", condition, F(1, 2, 3), Tensor.Scalar(-1f));
        AssertTensor(y, DataType.Float32, [2, 3], 1, 2, 3, -1, -1, -1);
    }

    [Fact]
    public void Where_on_strings_and_unsigned_values()
    {
        var strings = Run("Where", B(true, false), Tensor.Create([2], new[] { "a", "b" }), Tensor.Create([2], new[] { "c", "d" }));
        Assert.Equal(new[] { "a", "d" }, strings.As<string>());
        var bytes = Run("Where", B(false, true), Tensor.Create([2], new byte[] { 200, 201 }), Tensor.Create([2], new byte[] { 7, 8 }));
        Assert.Equal(DataType.UInt8, bytes.DataType);
        Assert.Equal(new byte[] { 7, 201 }, bytes.As<byte>());
    }

    [Fact]
    public void Where_inference_uses_value_type_and_broadcast_shape()
    {
        var t = (TensorType)Infer("Where", 16, [Type(DataType.Bool, 2, 1), Type(DataType.Int64, 3), Type(DataType.Int64)])!;
        Assert.Equal(DataType.Int64, t.ElementType);
        Assert.Equal(new TensorShape(2, 3), t.Shape);
    }
}
