using FsCheck;
using FsCheck.Fluent;
using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class ReduceTests
{
    // [[1, 2, 3], [4, 5, 6]]
    private static readonly Tensor X = F([2, 3], 1, 2, 3, 4, 5, 6);

    [Theory]
    [InlineData("ReduceSum", new double[] { 6, 15 })]
    [InlineData("ReduceMean", new double[] { 2, 5 })]
    [InlineData("ReduceMax", new double[] { 3, 6 })]
    [InlineData("ReduceMin", new double[] { 1, 4 })]
    [InlineData("ReduceProd", new double[] { 6, 120 })]
    [InlineData("ReduceL1", new double[] { 6, 15 })]
    [InlineData("ReduceSumSquare", new double[] { 14, 77 })]
    public void Reduces_last_axis_with_attribute_axes_before_opset_18(string op, double[] expected)
    {
        var y = Run1(op, [X], 11, NodeAttribute.Ints("axes", [-1]), NodeAttribute.Int("keepdims", 0));
        Assert.Equal([2], y.Shape);
        Close(expected, y);
    }

    [Fact]
    public void L2_log_sum_and_log_sum_exp_match_hand_values()
    {
        Close([System.Math.Sqrt(14), System.Math.Sqrt(77)], Run1("ReduceL2", [X, L([1], 1)], 18));
        Close([System.Math.Log(6), System.Math.Log(15)], Run1("ReduceLogSum", [X, L([1], 1)], 18));
        double lse = System.Math.Log(System.Math.Exp(1) + System.Math.Exp(2) + System.Math.Exp(3));
        Close([lse, lse + 3], Run1("ReduceLogSumExp", [X, L([1], 1)], 18));
    }

    [Fact]
    public void Log_sum_exp_is_stable_for_large_inputs()
    {
        var y = Run1("ReduceLogSumExp", [F([2], 1000, 1000)], 13);
        Close([1000 + System.Math.Log(2)], y, 1e-3);
    }

    [Fact]
    public void Axes_input_from_opset_18_and_keepdims_default()
    {
        var y = Run1("ReduceMax", [X, L([1], 0)], 18);
        Assert.Equal([1, 3], y.Shape);
        Close([4, 5, 6], y);
    }

    [Fact]
    public void ReduceSum_takes_axes_input_from_opset_13()
    {
        var y = Run1("ReduceSum", [X, L([1], 0)], 13);
        Close([5, 7, 9], y);
    }

    [Fact]
    public void Empty_axes_reduce_everything_unless_noop()
    {
        Close([21], Run1("ReduceSum", [X], 13));
        Assert.Equal([1, 1], Run1("ReduceSum", [X], 13).Shape);
        var noop = Run1("ReduceSum", [X, L([0])], 13, NodeAttribute.Int("noop_with_empty_axes", 1));
        Assert.Same(X, noop);
        // Before opset 13 noop_with_empty_axes does not exist: everything is reduced.
        Close([21], Run1("ReduceSum", [X], 11, NodeAttribute.Int("noop_with_empty_axes", 1)));
    }

    [Fact]
    public void Empty_set_reductions_give_the_identity()
    {
        var empty = F([2, 0]);
        Close([0, 0], Run1("ReduceSum", [empty, L([1], 1)], 18, NodeAttribute.Int("keepdims", 0)));
        Close([1, 1], Run1("ReduceProd", [empty, L([1], 1)], 18, NodeAttribute.Int("keepdims", 0)));
        Close([double.NegativeInfinity, double.NegativeInfinity], Run1("ReduceMax", [empty, L([1], 1)], 18, NodeAttribute.Int("keepdims", 0)));
        Close([double.PositiveInfinity, double.PositiveInfinity], Run1("ReduceMin", [empty, L([1], 1)], 18, NodeAttribute.Int("keepdims", 0)));
        Close([double.NegativeInfinity, double.NegativeInfinity], Run1("ReduceLogSumExp", [empty, L([1], 1)], 18, NodeAttribute.Int("keepdims", 0)));
        Assert.Equal([2, 1], Run1("ReduceSum", [empty, L([1], 1)], 18).Shape);
    }

    [Fact]
    public void Integer_reductions_are_exact_and_empty_max_is_the_type_minimum()
    {
        var big = L([2], long.MaxValue - 1, 1);
        Assert.Equal(long.MaxValue, Run1("ReduceSum", [big], 13, NodeAttribute.Int("keepdims", 0)).As<long>()[0]);
        var bytes = Tensor.Create([2, 2], new sbyte[] { -3, 7, 2, -8 });
        var max = Run1("ReduceMax", [bytes, L([1], 1)], 18, NodeAttribute.Int("keepdims", 0));
        Assert.Equal(new sbyte[] { 7, 2 }, max.As<sbyte>());
        var emptyInts = Tensor.Create([0], Array.Empty<int>());
        Assert.Equal(int.MinValue, Run1("ReduceMax", [emptyInts], 18).As<int>()[0]);
    }

    [Fact]
    public void Max_propagates_nan()
    {
        Assert.True(double.IsNaN(Run1("ReduceMax", [F([3], 1, float.NaN, 2)], 13).GetDouble(0)));
    }

    [Fact]
    public void Duplicate_or_out_of_range_axes_are_rejected()
    {
        Assert.Throws<InvalidInputException>(() => Run1("ReduceSum", [X, L([2], 1, -1)], 13));
        Assert.Throws<InvalidInputException>(() => Run1("ReduceSum", [X, L([1], 2)], 13));
    }

    [Fact]
    public void Type_rule_keeps_symbolic_dims_and_handles_unknown_axes()
    {
        var input = new TensorType(DataType.Float32, new TensorShape([Dim.Symbolic("N"), 3, 4]));
        var kept = (TensorType)Infer("ReduceMean", [input, new TensorType(DataType.Int64, new TensorShape(1))], [null, L([1], 1)], 18)[0]!;
        Assert.Equal(new TensorShape([Dim.Symbolic("N"), 1, 4]), kept.Shape);
        var dropped = (TensorType)Infer("ReduceMean", [input], null, 11, 1, NodeAttribute.Ints("axes", [-1]), NodeAttribute.Int("keepdims", 0))[0]!;
        Assert.Equal(new TensorShape([Dim.Symbolic("N"), 3]), dropped.Shape);
        var unknown = (TensorType)Infer("ReduceMean", [input, new TensorType(DataType.Int64, new TensorShape(1))], null, 18)[0]!;
        Assert.Equal(3, unknown.Shape!.Rank);
    }

    [Fact]
    public void Sum_over_all_axes_equals_sum_of_elements_property()
    {
        Prop.ForAll(Gen.Choose(0, 5).Two().ToArbitrary(), dims =>
        {
            var (a, b) = dims;
            var values = Enumerable.Range(0, a * b).Select(i => (float)(i % 7 - 3)).ToArray();
            var y = Run1("ReduceSum", [F([a, b], values)], 13, NodeAttribute.Int("keepdims", 0));
            return System.Math.Abs(y.GetDouble(0) - values.Sum()) < 1e-4 && y.Rank == 0;
        }).QuickCheckThrowOnFailure();
    }
}
