using Tessera.Core;
using static Tessera.Ops.Tests.OpRunner;

namespace Tessera.Ops.Tests;

public class EinsumTests
{
    private static Tensor Einsum(string equation, params Tensor[] inputs) =>
        Run1("Einsum", inputs, opset: 12, attributes: [NodeAttribute.String("equation", equation)]);

    [Fact]
    public void Transpose_trace_and_matmul()
    {
        var m = F([2, 3], 1, 2, 3, 4, 5, 6);
        var t = Einsum("ij->ji", m);
        Assert.Equal(new[] { 3, 2 }, t.Shape);
        AssertClose([1, 4, 2, 5, 3, 6], t);
        AssertClose([5], Einsum("ii", F([2, 2], 1, 2, 3, 4)));
        AssertClose([22, 28, 49, 64], Einsum("ij,jk", m, F([3, 2], 1, 2, 3, 4, 5, 6)));
    }

    [Fact]
    public void Ellipsis_broadcasts_and_diagonal_extracts()
    {
        var x = F([2, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        var d = Einsum("...ii->...i", x);
        Assert.Equal(new[] { 2, 2 }, d.Shape);
        AssertClose([1, 4, 5, 8], d);
        AssertClose([36], Einsum("...->", x).Reshape([1]));
    }

    [Fact]
    public void Integer_einsum_is_exact()
    {
        var v = Tensor.Create([3], new long[] { 1L << 30, 2, 3 });
        Assert.Equal(new[] { (1L << 60) + 13 }, Einsum("i,i", v, v).As<long>());
    }

    [Fact]
    public void Det_of_2x2_and_batched_singular()
    {
        AssertClose([-2], Det(F([2, 2], 1, 2, 3, 4)));
        var batch = Det(F([2, 2, 2], 2, 0, 0, 3, 1, 2, 2, 4));
        Assert.Equal(new[] { 2 }, batch.Shape);
        AssertClose([6, 0], batch);
        AssertClose([-1], Det(F([3, 3], 0, 1, 0, 1, 0, 0, 0, 0, 1)));
    }

    private static Tensor Det(Tensor x) => Run1("Det", [x], opset: 11);

    [Fact]
    public void Einsum_infers_output_shape_with_symbols()
    {
        var a = new TensorType(DataType.Float32, new TensorShape(new[] { Dim.Symbolic("B"), Dim.Known(2), Dim.Known(3) }));
        var b = new TensorType(DataType.Float32, new TensorShape(new[] { Dim.Known(1), Dim.Known(3), Dim.Known(5) }));
        var types = Infer("Einsum", [a, b], opset: 12, attributes: [NodeAttribute.String("equation", "...ij,...jk->...ik")]);
        Assert.Equal("float32[B,2,5]", types[0]!.ToString());
    }
}
