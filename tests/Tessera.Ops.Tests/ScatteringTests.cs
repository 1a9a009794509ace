using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class ScatteringTests
{
    [Fact]
    public void ScatterElements_axis_0_example()
    {
        var data = Tensor.Zeros(DataType.Float32, [3, 3]);
        var indices = Tensor.Create([2, 3], new long[] { 1, 0, 2, 0, 2, 1 });
        var updates = F([2, 3], 1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f);
        var result = Run1("ScatterElements", [data, indices, updates]);
        Assert.Equal(new float[] { 2.0f, 1.1f, 0, 1.0f, 0, 2.2f, 0, 2.1f, 1.2f }, result.As<float>());
        Assert.All(data.As<float>(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("add", 1 + 1.5f + 2.5f)]
    [InlineData("mul", 1 * 1.5f * 2.5f)]
    [InlineData("max", 2.5f)]
    [InlineData("min", 1f)]
    public void ScatterElements_reductions_combine_duplicates(string reduction, float expected)
    {
        var result = Run1("ScatterElements", [F([1, 3], 7, 1, 3), Tensor.Create([1, 2], new long[] { 1, -2 }), F([1, 2], 1.5f, 2.5f)], [Int("axis", 1), Str("reduction", reduction)]);
        Assert.Equal(new float[] { 7, expected, 3 }, result.As<float>());
    }

    [Fact]
    public void Scatter_of_opset_9_is_scatter_elements_without_reduction()
    {
        var result = Run1("Scatter", [F([1, 5], 1, 2, 3, 4, 5), Tensor.Create([1, 2], new long[] { 1, 3 }), F([1, 2], 1.1f, 2.1f)], [Int("axis", 1)], opset: 9);
        Assert.Equal(new float[] { 1, 1.1f, 3, 2.1f, 5 }, result.As<float>());
    }

    [Fact]
    public void ScatterND_replaces_elements_and_slices()
    {
        var result = Run1("ScatterND", [F([8], 1, 2, 3, 4, 5, 6, 7, 8), Tensor.Create([4, 1], new long[] { 4, 3, 1, 7 }), F([4], 9, 10, 11, 12)]);
        Assert.Equal(new float[] { 1, 11, 3, 10, 9, 6, 7, 12 }, result.As<float>());
        var rows = Run1("ScatterND", [Iota([2, 2]), Tensor.Create([1, 1], new long[] { -1 }), F([1, 2], 8, 9)]);
        Assert.Equal(new float[] { 0, 1, 8, 9 }, rows.As<float>());
    }

    [Fact]
    public void ScatterND_add_accumulates_duplicate_indices_on_integers()
    {
        var result = Run1("ScatterND", [L(1, 2), Tensor.Create([2, 1], new long[] { 0, 0 }), L(5, 6)], [Str("reduction", "add")]);
        Assert.Equal(new long[] { 12, 2 }, result.As<long>());
    }

    [Fact]
    public void Unknown_reduction_is_unsupported() =>
        Assert.Throws<UnsupportedException>(() => Run1("ScatterND", [L(1), Tensor.Create([1, 1], new long[] { 0 }), L(5)], [Str("reduction", "xor")]));
}
