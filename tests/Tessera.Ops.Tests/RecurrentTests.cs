using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class RecurrentTests
{
    private static double Sigmoid(double v) => 1 / (1 + System.Math.Exp(-v));

    [Fact]
    public void Rnn_forward_and_reverse_follow_the_recurrence()
    {
        // seq=2, batch=1, input=1, hidden=1; W=2, R=0.5, no bias.
        var x = F([2, 1, 1], 1, -1);
        var w = F([1, 1, 1], 2);
        var r = F([1, 1, 1], 0.5f);
        var forward = Run("RNN", [x, w, r], 14, 2, attributes: NodeAttribute.Int("hidden_size", 1));
        double h1 = System.Math.Tanh(2), h2 = System.Math.Tanh(-2 + 0.5 * h1);
        Close([h1, h2], (Tensor)forward[0]!);
        Assert.Equal([2, 1, 1, 1], ((Tensor)forward[0]!).Shape);
        Close([h2], (Tensor)forward[1]!);

        var reverse = Run("RNN", [x, w, r], 14, 2, attributes: [NodeAttribute.Int("hidden_size", 1), NodeAttribute.String("direction", "reverse")]);
        double g1 = System.Math.Tanh(-2), g0 = System.Math.Tanh(2 + 0.5 * g1);
        Close([g0, g1], (Tensor)reverse[0]!);
        Close([g0], (Tensor)reverse[1]!);
    }

    [Fact]
    public void Sequence_lengths_zero_the_tail_and_keep_the_last_valid_state()
    {
        var x = F([2, 2, 1], 1, 1, 1, 1);
        var w = F([1, 1, 1], 1);
        var r = F([1, 1, 1], 0);
        var outputs = Run("RNN", [x, w, r, null, Tensor.Create([2], new[] { 2, 1 })], 14, 2, attributes: NodeAttribute.Int("hidden_size", 1));
        double t = System.Math.Tanh(1);
        Close([t, t, t, 0], (Tensor)outputs[0]!);
        Close([t, t], (Tensor)outputs[1]!);
    }

    [Fact]
    public void Bidirectional_layout_1_puts_batch_first()
    {
        var x = F([1, 2, 1], 1, 2); // layout 1: [batch=1, seq=2, input=1]
        var w = F([2, 1, 1], 1, 1);
        var r = F([2, 1, 1], 0, 0);
        var outputs = Run("RNN", [x, w, r], 14, 2, attributes: [NodeAttribute.Int("hidden_size", 1), NodeAttribute.String("direction", "bidirectional"), NodeAttribute.Int("layout", 1)]);
        var y = (Tensor)outputs[0]!;
        Assert.Equal([1, 2, 2, 1], y.Shape);
        double a = System.Math.Tanh(1), b = System.Math.Tanh(2);
        Close([a, a, b, b], y);
        Assert.Equal([1, 2, 1], ((Tensor)outputs[1]!).Shape);
        Close([b, a], (Tensor)outputs[1]!); // forward ends at t=1, reverse ends at t=0
    }

    [Fact]
    public void Lstm_with_peepholes_and_initial_cell_state()
    {
        var x = F([1, 1, 1], 1);
        var w = F([1, 4, 1], 1, 2, 3, 4); // gates i, o, f, c
        var r = F([1, 4, 1], 0, 0, 0, 0);
        var c0 = F([1, 1, 1], 1);
        var h0 = F([1, 1, 1], 0);
        var p = F([1, 3], 0.1f, 0.2f, 0.3f); // i, o, f
        var outputs = Run("LSTM", [x, w, r, null, null, h0, c0, p], 14, 3, attributes: NodeAttribute.Int("hidden_size", 1));
        double i = Sigmoid(1 + 0.1), f = Sigmoid(3 + 0.3), g = System.Math.Tanh(4);
        double c = f + i * g;
        double o = Sigmoid(2 + 0.2 * c);
        Close([o * System.Math.Tanh(c)], (Tensor)outputs[1]!);
        Close([c], (Tensor)outputs[2]!);

        var coupled = Run("LSTM", [x, w, r, null, null, h0, c0], 14, 3, attributes: [NodeAttribute.Int("hidden_size", 1), NodeAttribute.Int("input_forget", 1)]);
        double ic = Sigmoid(1);
        Close([(1 - ic) + ic * g], (Tensor)coupled[2]!);
    }

    [Fact]
    public void Gru_linear_before_reset_changes_where_the_reset_gate_applies()
    {
        var x = F([1, 1, 1], 1);
        var w = F([1, 3, 1], 1, 2, 3); // z, r, h
        var r = F([1, 3, 1], 0.5f, 0.5f, 0.5f);
        var b = F([1, 6], 0, 0, 0, 0, 0, 1); // Rbh = 1
        var h0 = F([1, 1, 1], 1);
        double z = Sigmoid(1.5), rr = Sigmoid(2.5);
        double before = System.Math.Tanh(3 + 0.5 * rr + 1);
        double after = System.Math.Tanh(3 + rr * (0.5 + 1));
        var plain = Run("GRU", [x, w, r, b, null, h0], 14, 2, attributes: NodeAttribute.Int("hidden_size", 1));
        Close([(1 - z) * before + z], (Tensor)plain[1]!);
        var linear = Run("GRU", [x, w, r, b, null, h0], 14, 2, attributes: [NodeAttribute.Int("hidden_size", 1), NodeAttribute.Int("linear_before_reset", 1)]);
        Close([(1 - z) * after + z], (Tensor)linear[1]!);
    }

    [Fact]
    public void Custom_activations_with_alpha_and_clip()
    {
        var x = F([1, 1, 1], 3);
        var w = F([1, 1, 1], 1);
        var r = F([1, 1, 1], 0);
        var y = Run("RNN", [x, w, r], 14, 2, attributes: [NodeAttribute.Int("hidden_size", 1), NodeAttribute.Strings("activations", ["Affine"]),
            NodeAttribute.Floats("activation_alpha", [2]), NodeAttribute.Floats("activation_beta", [1]), NodeAttribute.Float("clip", 2)]);
        Close([2 * 2 + 1], (Tensor)y[1]!);
        Assert.Throws<UnsupportedException>(() => Run("RNN", [x, w, r], 14, 2, attributes: [NodeAttribute.Int("hidden_size", 1), NodeAttribute.Strings("activations", ["Gelu"])]));
    }

    [Fact]
    public void Type_rule_gives_symbolic_output_shapes()
    {
        var x = new TensorType(DataType.Float32, new TensorShape([Dim.Symbolic("T"), Dim.Symbolic("B"), 8]));
        var types = Infer("LSTM", [x], outputs: 3, attributes: [NodeAttribute.Int("hidden_size", 16), NodeAttribute.String("direction", "bidirectional")]);
        Assert.Equal(new TensorShape([Dim.Symbolic("T"), 2, Dim.Symbolic("B"), 16]), ((TensorType)types[0]!).Shape);
        Assert.Equal(new TensorShape([2, Dim.Symbolic("B"), 16]), ((TensorType)types[2]!).Shape);
    }
}
