using FsCheck;
using FsCheck.Fluent;
using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class PermutationsTests
{
    [Fact]
    public void Transpose_defaults_to_reversed_axes()
    {
        var result = Run1("Transpose", [Iota([2, 3])]);
        Assert.Equal(new[] { 3, 2 }, result.Shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, result.As<float>());
    }

    [Fact]
    public void Transpose_with_perm_moves_axes()
    {
        var result = Run1("Transpose", [Iota([2, 3, 4])], [Ints("perm", 1, 2, 0)]);
        Assert.Equal(new[] { 3, 4, 2 }, result.Shape);
        // out[i, j, k] = in[k, i, j] = 12k + 4i + j; out[1, 2, 1] = 12 + 4 + 2.
        Assert.Equal(18f, result.As<float>()[(1 * 8) + (2 * 2) + 1]);
    }

    [Fact]
    public void Transpose_of_strings_and_empty_tensors()
    {
        var strings = Tensor.Create([2, 2], new[] { "a", "b", "c", "d" });
        Assert.Equal(new[] { "a", "c", "b", "d" }, Run1("Transpose", [strings]).As<string>());
        Assert.Equal(new[] { 3, 0 }, Run1("Transpose", [Tensor.Zeros(DataType.Float32, [0, 3])]).Shape);
    }

    [Fact]
    public void Transpose_twice_with_the_inverse_perm_is_identity() =>
        Prop.ForAll(
            Gen.Choose(1, 4).ArrayOf(3).ToArbitrary(),
            Gen.Shuffle(new long[] { 0, 1, 2 }).ToArbitrary(),
            (dims, perm) =>
            {
                var x = Iota(dims);
                var inverse = new long[3];
                for (int i = 0; i < 3; i++) inverse[perm[i]] = i;
                var back = Run1("Transpose", [Run1("Transpose", [x], [Ints("perm", perm)])], [Ints("perm", inverse)]);
                return back.Shape.SequenceEqual(dims) && back.As<float>().SequenceEqual(x.As<float>());
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void DepthToSpace_DCR_and_CRD_orders()
    {
        var x = Iota([1, 8, 1, 1]);
        var dcr = Run1("DepthToSpace", [x], [Int("blocksize", 2)]);
        Assert.Equal(new[] { 1, 2, 2, 2 }, dcr.Shape);
        Assert.Equal(new float[] { 0, 2, 4, 6, 1, 3, 5, 7 }, dcr.As<float>());
        var crd = Run1("DepthToSpace", [x], [Int("blocksize", 2), Str("mode", "CRD")]);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5, 6, 7 }, crd.As<float>());
    }

    [Fact]
    public void SpaceToDepth_inverts_DepthToSpace_DCR()
    {
        var x = Iota([2, 8, 3, 2]);
        var space = Run1("DepthToSpace", [x], [Int("blocksize", 2)]);
        Assert.Equal(new[] { 2, 2, 6, 4 }, space.Shape);
        var depth = Run1("SpaceToDepth", [space], [Int("blocksize", 2)]);
        Assert.Equal(x.Shape, depth.Shape);
        Assert.Equal(x.As<float>(), depth.As<float>());
    }

    [Fact]
    public void DepthToSpace_rule_scales_spatial_dims() =>
        Assert.Equal(
            Type(DataType.Float32, Dim.Symbolic("N"), 2, 6, Dim.Unknown),
            Infer("DepthToSpace", [Type(DataType.Float32, Dim.Symbolic("N"), 8, 3, Dim.Symbolic("W"))], attributes: [Int("blocksize", 2)])[0]);
}
