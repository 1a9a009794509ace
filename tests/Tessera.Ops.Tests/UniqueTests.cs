using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class UniqueTests
{
    [Fact]
    public void Sorted_unique_of_a_flattened_tensor()
    {
        var r = Run("Unique", [F([6], 2, 1, 1, 3, 4, 3)], outputs: 4);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, r[0].As<float>());
        Assert.Equal(new long[] { 1, 0, 3, 4 }, r[1].As<long>());
        Assert.Equal(new long[] { 1, 0, 0, 2, 3, 2 }, r[2].As<long>());
        Assert.Equal(new long[] { 2, 1, 2, 1 }, r[3].As<long>());
    }

    [Fact]
    public void Unsorted_unique_keeps_first_occurrence_order()
    {
        var r = Run("Unique", [F([6], 2, 1, 1, 3, 4, 3)], [Int("sorted", 0)], outputs: 4);
        Assert.Equal(new float[] { 2, 1, 3, 4 }, r[0].As<float>());
        Assert.Equal(new long[] { 0, 1, 3, 4 }, r[1].As<long>());
        Assert.Equal(new long[] { 0, 1, 1, 2, 3, 2 }, r[2].As<long>());
        Assert.Equal(new long[] { 1, 2, 2, 1 }, r[3].As<long>());
    }

    [Fact]
    public void Unique_slices_along_an_axis()
    {
        var r = Run("Unique", [F([3, 3], 1, 0, 0, 1, 0, 0, 2, 3, 4)], [Int("axis", 0)], outputs: 4);
        Assert.Equal(new[] { 2, 3 }, r[0].Shape);
        Assert.Equal(new float[] { 1, 0, 0, 2, 3, 4 }, r[0].As<float>());
        Assert.Equal(new long[] { 0, 2 }, r[1].As<long>());
        Assert.Equal(new long[] { 0, 0, 1 }, r[2].As<long>());
        Assert.Equal(new long[] { 2, 1 }, r[3].As<long>());
    }

    [Fact]
    public void Unique_of_an_empty_tensor_is_empty() =>
        Assert.Empty(Run("Unique", [Tensor.Zeros(DataType.Int64, [0])], outputs: 4)[0].As<long>());
}
