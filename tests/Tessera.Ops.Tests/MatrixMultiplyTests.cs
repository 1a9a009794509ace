using Tessera.Core;
using static Tessera.Ops.Tests.OpRunner;

namespace Tessera.Ops.Tests;

public class MatrixMultiplyTests
{
    [Fact]
    public void MatMul_2d_by_hand()
    {
        var y = Run1("MatMul", [F([2, 3], 1, 2, 3, 4, 5, 6), F([3, 2], 1, 0, 0, 1, 1, 1)]);
        Assert.Equal(new[] { 2, 2 }, y.Shape);
        AssertClose([4, 5, 10, 11], y);
    }

    [Fact]
    public void MatMul_1d_operands_drop_their_axis()
    {
        var v = F([2], 1, 2);
        var m = F([2, 2], 1, 2, 3, 4);
        var left = Run1("MatMul", [v, m]);
        Assert.Equal(new[] { 2 }, left.Shape);
        AssertClose([7, 10], left);
        var right = Run1("MatMul", [m, v]);
        AssertClose([5, 11], right);
        var dot = Run1("MatMul", [v, v]);
        Assert.Empty(dot.Shape);
        AssertClose([5], dot);
    }

    [Fact]
    public void MatMul_broadcasts_batch_dims()
    {
        // A is [2,1,1,2] (two batches), B is [3,2,1] (three batches): output [2,3,1,1].
        var a = F([2, 1, 1, 2], 1, 1, 2, 2);
        var b = F([3, 2, 1], 1, 0, 0, 1, 1, 1);
        var y = Run1("MatMul", [a, b]);
        Assert.Equal(new[] { 2, 3, 1, 1 }, y.Shape);
        AssertClose([1, 1, 2, 2, 2, 4], y);
    }

    [Fact]
    public void MatMul_int32_is_exact_and_empty_inner_gives_zeros()
    {
        var y = Run1("MatMul", [Tensor.Create([1, 2], new[] { 1000, 3 }), Tensor.Create([2, 1], new[] { 3000, -1 })]);
        Assert.Equal(DataType.Int32, y.DataType);
        Assert.Equal(2999997, y.As<int>()[0]);
        var empty = Run1("MatMul", [F([2, 0]), F([0, 3])]);
        Assert.Equal(new float[6], empty.As<float>());
    }

    [Fact]
    public void MatMul_rejects_inner_mismatch() =>
        Assert.Throws<InvalidInputException>(() => Run1("MatMul", [F([2, 3], new float[6]), F([2, 2], new float[4])]));

    [Fact]
    public void MatMul_infers_broadcast_symbolic_shape()
    {
        var a = new TensorType(DataType.Float32, new TensorShape(new[] { Dim.Symbolic("B"), Dim.Known(5), Dim.Known(3) }));
        var b = new TensorType(DataType.Float32, new TensorShape(3, 7));
        Assert.Equal("float32[B,5,7]", Infer("MatMul", [a, b])[0]!.ToString());
    }

    [Fact]
    public void Gemm_transposes_scales_and_broadcasts_c()
    {
        // A' = [[1,2],[3,4]] given as its transpose; B' = identity given transposed.
        var a = F([2, 2], 1, 3, 2, 4);
        var b = F([2, 2], 1, 0, 0, 1);
        var c = F([2], 10, 20);
        var y = Run1("Gemm", [a, b, c], attributes:
            [NodeAttribute.Int("transA", 1), NodeAttribute.Int("transB", 1), NodeAttribute.Float("alpha", 2), NodeAttribute.Float("beta", 0.5f)]);
        AssertClose([7, 14, 11, 18], y);
    }

    [Fact]
    public void Gemm_without_c_and_with_scalar_c()
    {
        var a = F([1, 2], 1, 2);
        var b = F([2, 3], 1, 2, 3, 4, 5, 6);
        AssertClose([9, 12, 15], Run1("Gemm", [a, b]));
        AssertClose([10, 13, 16], Run1("Gemm", [a, b, F([], 1)]));
        AssertClose([9, 12, 15], Run1("Gemm", [a, b, null]));
    }

    [Fact]
    public void Gemm_float64_and_int_paths_agree_with_float()
    {
        var a = F([2, 3], 1, -2, 3, 0, 5, 1);
        var b = F([3, 2], 2, 1, 0, -1, 4, 3);
        var f = Run1("Gemm", [a, b]);
        var d = Run1("Gemm", [a.CastTo(DataType.Float64), b.CastTo(DataType.Float64)]);
        var i = Run1("Gemm", [a.CastTo(DataType.Int32), b.CastTo(DataType.Int32)]);
        AssertClose(f.ToFloatArray(), d);
        AssertClose(f.ToFloatArray(), i);
        Assert.Equal(DataType.Int32, i.DataType);
    }

    [Fact]
    public void Gemm_macs_are_m_n_k()
    {
        var node = MakeNode("Gemm", 2, 1);
        Assert.Equal(4L * 5 * 3, OperatorRegistry.Default.Get(node).Macs(new CostContext(node, [[4, 3], [3, 5]], [[4, 5]])));
    }
}
