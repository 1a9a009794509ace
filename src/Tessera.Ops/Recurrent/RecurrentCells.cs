using Tessera.Core;

namespace Tessera.Ops.Recurrent;

/// <summary>RNN: H = f(X·Wᵀ + H·Rᵀ + Wb + Rb), f defaults to Tanh.</summary>
[Op("RNN")]
public sealed class Rnn : RecurrentLayer
{
    protected override int Gates => 1;

    protected override string[] DefaultActivations => ["Tanh"];

    protected override void Step(KernelContext context, DirectionWeights weights, ReadOnlySpan<double> x, double[] h, double[] c)
    {
        var gx = weights.InputProjection(x);
        var gh = weights.HiddenProjection(h);
        for (int j = 0; j < h.Length; j++) h[j] = weights.Activate(0, gx[j] + gh[j]);
    }
}

/// <summary>GRU with gates (z, r, h) and activations (f, g) defaulting to (Sigmoid, Tanh). With
/// linear_before_reset the reset gate multiplies (H·Rhᵀ + Rbh); otherwise it multiplies H before Rh.</summary>
[Op("GRU")]
public sealed class Gru : RecurrentLayer
{
    protected override int Gates => 3;

    protected override string[] DefaultActivations => ["Sigmoid", "Tanh"];

    protected override void Step(KernelContext context, DirectionWeights weights, ReadOnlySpan<double> x, double[] h, double[] c)
    {
        int hidden = h.Length;
        bool linearBeforeReset = context.GetInt("linear_before_reset", 0) != 0;
        var gx = weights.InputProjection(x);
        var gh = weights.HiddenProjection(h);
        var z = new double[hidden];
        var r = new double[hidden];
        for (int j = 0; j < hidden; j++)
        {
            z[j] = weights.Activate(0, gx[j] + gh[j]);
            r[j] = weights.Activate(0, gx[hidden + j] + gh[hidden + j]);
        }
        var candidate = new double[hidden];
        if (linearBeforeReset)
        {
            for (int j = 0; j < hidden; j++) candidate[j] = weights.Activate(1, gx[2 * hidden + j] + r[j] * gh[2 * hidden + j]);
        }
        else
        {
            var rh = new double[hidden];
            for (int j = 0; j < hidden; j++) rh[j] = r[j] * h[j];
            for (int j = 0; j < hidden; j++)
            {
                double sum = weights.RBias[2 * hidden + j];
                int row = (2 * hidden + j) * hidden;
                for (int k = 0; k < hidden; k++) sum += weights.R[row + k] * rh[k];
                candidate[j] = weights.Activate(1, gx[2 * hidden + j] + sum);
            }
        }
        for (int j = 0; j < hidden; j++) h[j] = (1 - z[j]) * candidate[j] + z[j] * h[j];
    }
}

/// <summary>LSTM with gates (i, o, f, c), activations (f, g, h) defaulting to (Sigmoid, Tanh, Tanh),
/// optional peepholes P = (Pi, Po, Pf), and input_forget coupling f = 1 - i.</summary>
[Op("LSTM")]
public sealed class Lstm : RecurrentLayer
{
    protected override int Gates => 4;

    protected override string[] DefaultActivations => ["Sigmoid", "Tanh", "Tanh"];

    protected override bool HasCellState => true;

    protected override int InitialCellInput => 6;

    protected override int PeepholeInput => 7;

    protected override void Step(KernelContext context, DirectionWeights weights, ReadOnlySpan<double> x, double[] h, double[] c)
    {
        int hidden = h.Length;
        bool inputForget = context.GetInt("input_forget", 0) != 0;
        var gx = weights.InputProjection(x);
        var gh = weights.HiddenProjection(h);
        var p = weights.Peepholes;
        for (int j = 0; j < hidden; j++)
        {
            double pi = p?[j] ?? 0, po = p?[hidden + j] ?? 0, pf = p?[2 * hidden + j] ?? 0;
            double i = weights.Activate(0, gx[j] + gh[j] + pi * c[j]);
            double f = inputForget ? 1 - i : weights.Activate(0, gx[2 * hidden + j] + gh[2 * hidden + j] + pf * c[j]);
            double g = weights.Activate(1, gx[3 * hidden + j] + gh[3 * hidden + j]);
            double cell = f * c[j] + i * g;
            double o = weights.Activate(0, gx[hidden + j] + gh[hidden + j] + po * cell);
            c[j] = cell;
            h[j] = o * weights.Activate(2, cell);
        }
    }
}
