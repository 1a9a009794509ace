using FsCheck;
using FsCheck.Fluent;
using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class SignalTests
{
    [Fact]
    public void Dft_of_a_real_signal_and_its_one_sided_form()
    {
        var x = F([1, 4, 1], 1, 2, 3, 4);
        var full = Run1("DFT", [x], 17);
        Assert.Equal([1, 4, 2], full.Shape);
        Close([10, 0, -2, 2, -2, 0, -2, -2], full, 1e-5);
        var half = Run1("DFT", [x], 17, NodeAttribute.Int("onesided", 1));
        Assert.Equal([1, 3, 2], half.Shape);
        Close([10, 0, -2, 2, -2, 0], half, 1e-5);
    }

    [Fact]
    public void Inverse_dft_round_trips_and_dft_length_pads()
    {
        var spectrum = F([1, 4, 2], 10, 0, -2, 2, -2, 0, -2, -2);
        var back = Run1("DFT", [spectrum], 17, NodeAttribute.Int("inverse", 1));
        Close([1, 0, 2, 0, 3, 0, 4, 0], back, 1e-5);
        var padded = Run1("DFT", [F([1, 2, 1], 1, 1), L([], 4)], 17);
        Assert.Equal([1, 4, 2], padded.Shape);
        Close([2, 0, 1, -1, 0, 0, 1, 1], padded, 1e-5);
    }

    [Fact]
    public void Dft_axis_is_an_input_from_opset_20()
    {
        var x = F([2, 2, 1], 1, 2, 3, 4); // transform along axis 0 (pairs (1,3) and (2,4))
        var y = Run1("DFT", [x, null, L([], 0)], 20);
        Close([4, 0, 6, 0, -2, 0, -2, 0], y, 1e-5);
    }

    [Fact]
    public void Stft_frames_with_a_window()
    {
        var signal = F([1, 4, 1], 1, 2, 3, 4);
        var y = Run1("STFT", [signal, L([], 2), F([2], 1, 1)], 17);
        Assert.Equal([1, 2, 2, 2], y.Shape); // 2 frames, 2 one-sided bins
        Close([3, 0, -1, 0, 7, 0, -1, 0], y, 1e-5);
    }

    [Fact]
    public void Windows_periodic_and_symmetric()
    {
        Close([0, 0.5, 1, 0.5], Run1("HannWindow", [L([], 4)], 17));
        Close([0, 0.5, 1, 0.5, 0], Run1("HannWindow", [L([], 5)], 17, NodeAttribute.Int("periodic", 0)));
        double a0 = 25.0 / 46.0;
        Close([a0 - (1 - a0), a0, a0 + (1 - a0), a0], Run1("HammingWindow", [L([], 4)], 17));
        Close([0, 0.34, 1, 0.34, 0], Run1("BlackmanWindow", [L([], 5)], 17, NodeAttribute.Int("periodic", 0)), 1e-6);
        Assert.Equal(DataType.Float64, Run1("HannWindow", [L([], 3)], 17, NodeAttribute.Int("output_datatype", (long)DataType.Float64)).DataType);
    }

    [Fact]
    public void Mel_weight_matrix_has_the_expected_shape_and_triangles()
    {
        var y = Run1("MelWeightMatrix", [L([], 2), L([], 8), L([], 8000), F([], 0), F([], 4000)], 17);
        Assert.Equal([5, 2], y.Shape);
        foreach (var v in y.As<float>()) Assert.InRange(v, 0, 1);
        Assert.Contains(1f, y.As<float>());
    }

    [Fact]
    public void Inverse_of_forward_dft_is_the_identity_property()
    {
        Prop.ForAll(Gen.Choose(1, 17).ToArbitrary(), n =>
        {
            var values = Enumerable.Range(0, n).Select(i => (float)((i * 37 % 11) - 5)).ToArray();
            var spectrum = Run1("DFT", [F([1, n, 1], values)], 17);
            var back = Run1("DFT", [spectrum], 17, NodeAttribute.Int("inverse", 1));
            return Enumerable.Range(0, n).All(i => System.Math.Abs(back.GetDouble(2 * i) - values[i]) < 1e-3 && System.Math.Abs(back.GetDouble(2 * i + 1)) < 1e-3);
        }).QuickCheckThrowOnFailure();
    }
}
