using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class GeneratorsTests
{
    [Fact]
    public void Constant_reads_each_value_attribute_kind()
    {
        var scalar = Run("Constant", [], [NodeAttribute.Float("value_float", 2.5f)])[0];
        Assert.Equal(DataType.Float32, scalar.DataType);
        Assert.Empty(scalar.Shape);
        Assert.Equal(2.5f, scalar.As<float>()[0]);

        var ints = Run("Constant", [], [Ints("value_ints", 3, -4)])[0];
        Assert.Equal(DataType.Int64, ints.DataType);
        Assert.Equal(new long[] { 3, -4 }, ints.As<long>());

        var strings = Run("Constant", [], [NodeAttribute.Strings("value_strings", ["a", "b"])])[0];
        Assert.Equal(new[] { "a", "b" }, strings.As<string>());

        var tensor = F([2], 1, 2);
        Assert.Same(tensor, Run("Constant", [], [new NodeAttribute("value", AttributeKind.Tensor, tensor)])[0]);
    }

    [Fact]
    public void Constant_sparse_value_is_unsupported_not_wrong() =>
        Assert.Throws<UnsupportedException>(() => Run("Constant", [], [new NodeAttribute("sparse_value", AttributeKind.Tensor, F([1], 1))]));

    [Fact]
    public void ConstantOfShape_defaults_to_float_zero_and_fills_the_given_value()
    {
        var zeros = Run1("ConstantOfShape", [L(2, 3)]);
        Assert.Equal(DataType.Float32, zeros.DataType);
        Assert.Equal(new[] { 2, 3 }, zeros.Shape);
        Assert.All(zeros.As<float>(), v => Assert.Equal(0f, v));

        var sevens = Run1("ConstantOfShape", [L(3)], [new NodeAttribute("value", AttributeKind.Tensor, Tensor.Create([1], new[] { 7 }))]);
        Assert.Equal(new[] { 7, 7, 7 }, sevens.As<int>());

        var empty = Run1("ConstantOfShape", [L(0, 4)]);
        Assert.Equal(new[] { 0, 4 }, empty.Shape);
        var scalar = Run1("ConstantOfShape", [Tensor.Create([0], Array.Empty<long>())]);
        Assert.Empty(scalar.Shape);
        Assert.Equal(1, scalar.Length);
    }

    [Theory]
    [InlineData(0, 10, 3, new long[] { 0, 3, 6, 9 })]
    [InlineData(10, 4, -2, new long[] { 10, 8, 6 })]
    [InlineData(5, 5, 1, new long[0])]
    [InlineData(5, 1, 1, new long[0])]
    public void Range_counts_ceil_of_span_over_delta(long start, long limit, long delta, long[] expected)
    {
        var result = Run1("Range", [Tensor.Scalar(start), Tensor.Scalar(limit), Tensor.Scalar(delta)]);
        Assert.Equal(expected, result.As<long>());
    }

    [Fact]
    public void Range_of_floats_includes_partial_last_step()
    {
        var result = Run1("Range", [Tensor.Scalar(1f), Tensor.Scalar(2f), Tensor.Scalar(0.3f)]);
        Assert.Equal(4, result.Length);
        Assert.Equal(1.9f, result.As<float>()[3], 5);
    }

    [Fact]
    public void EyeLike_puts_ones_on_the_shifted_diagonal_with_dtype()
    {
        var result = Run1("EyeLike", [Tensor.Zeros(DataType.Int32, [3, 4])], [Int("k", 1), Int("dtype", (long)DataType.Float64)]);
        Assert.Equal(DataType.Float64, result.DataType);
        Assert.Equal(new double[] { 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 }, result.As<double>());
        var below = Run1("EyeLike", [Tensor.Zeros(DataType.Int32, [3, 2])], [Int("k", -1)]);
        Assert.Equal(new[] { 0, 0, 1, 0, 0, 1 }, below.As<int>());
    }

    [Fact]
    public void Malformed_generator_arguments_are_user_errors()
    {
        Assert.Throws<UnsupportedException>(() => Run1("EyeLike", [Tensor.Zeros(DataType.Int32, [2, 2])], [Int("dtype", (long)DataType.String)]));
        Assert.Throws<InvalidInputException>(() => Run1("Range", [L(0, 1), Tensor.Scalar(3L), Tensor.Scalar(1L)]));
        Assert.Throws<InvalidInputException>(() => Run1("Range", [Tensor.Scalar(0L), Tensor.Scalar(3L), Tensor.Scalar(0L)]));
    }
}
