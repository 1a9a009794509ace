using FsCheck;
using FsCheck.Fluent;
using Tessera.Core;
using static Tessera.Ops.Tests.OpHarness;

namespace Tessera.Ops.Tests;

public class SliceTests
{
    private static float[] Slice1D(int length, long start, long end, long step) =>
        Run1("Slice", [Iota([length]), L(start), L(end), L(0), L(step)]).As<float>();

    [Fact]
    public void Negative_starts_count_from_the_end_and_ends_clamp() =>
        Assert.Equal(new float[] { 7, 8, 9 }, Slice1D(10, -3, 100, 1));

    [Fact]
    public void Negative_steps_walk_backwards() =>
        Assert.Equal(new float[] { 8, 5, 2 }, Slice1D(10, 8, 1, -3));

    [Fact]
    public void Negative_step_from_past_the_end_to_before_the_start_reverses_everything() =>
        Assert.Equal(new float[] { 4, 3, 2, 1, 0 }, Slice1D(5, long.MaxValue, long.MinValue, -1));

    [Fact]
    public void Empty_ranges_give_empty_results()
    {
        Assert.Empty(Slice1D(5, 3, 3, 1));
        Assert.Empty(Slice1D(5, 1, 3, -1));
        Assert.Empty(Slice1D(0, 0, 10, -1));
    }

    [Fact]
    public void Axes_select_which_dims_are_sliced()
    {
        var result = Run1("Slice", [Iota([3, 4]), L(1), L(3), L(-1)]);
        Assert.Equal(new[] { 3, 2 }, result.Shape);
        Assert.Equal(new float[] { 1, 2, 5, 6, 9, 10 }, result.As<float>());
    }

    [Fact]
    public void Attribute_form_before_opset_10()
    {
        var result = Run1("Slice", [Iota([3, 4])], [Ints("starts", 1, 0), Ints("ends", 2, -1)], opset: 9);
        Assert.Equal(new float[] { 4, 5, 6 }, result.As<float>());
    }

    [Fact]
    public void Rule_computes_sliced_dims_from_constants()
    {
        var inferred = Infer("Slice", [Type(DataType.Float32, Dim.Symbolic("N"), 10), Type(DataType.Int64, 1), Type(DataType.Int64, 1), Type(DataType.Int64, 1)], [null, L(2), L(-1), L(1)])[0];
        Assert.Equal(Type(DataType.Float32, Dim.Symbolic("N"), 7), inferred);
    }

    [Fact]
    public void Slice_matches_a_naive_index_walk() =>
        Prop.ForAll(
            (from length in Gen.Choose(0, 8)
             from start in Gen.Choose(-12, 12)
             from end in Gen.Choose(-12, 12)
             from step in Gen.Choose(-3, 3)
             select (length, start, end, step)).ToArbitrary(),
            c =>
            {
                var (length, start, end, step) = c;
                if (step == 0) return true;
                var expected = new List<float>();
                long s = start < 0 ? start + length : start, e = end < 0 ? end + length : end;
                if (step > 0)
                {
                    for (long i = System.Math.Max(s, 0); i < System.Math.Min(e, length); i += step) expected.Add(i);
                }
                else if (length > 0)
                {
                    // The ONNX spec (and ONNX Runtime) clamp a negative-step start into [0, dim - 1], unlike numpy.
                    for (long i = System.Math.Clamp(s, 0, length - 1); i > System.Math.Max(e, -1); i += step) expected.Add(i);
                }
                return Slice1D(length, start, end, step).SequenceEqual(expected);
            }).QuickCheckThrowOnFailure();
}
