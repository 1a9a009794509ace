using Tessera.Core;

namespace Tessera.Ops.Recurrent;

/// <summary>Weights and activation functions of one direction of a recurrent layer. Gate rows are
/// stored row-major: W is [gates*hidden, input], R is [gates*hidden, hidden].</summary>
public sealed class DirectionWeights
{
    public required double[] W { get; init; }
    public required double[] R { get; init; }
    public required double[] WBias { get; init; }
    public required double[] RBias { get; init; }
    public double[]? Peepholes { get; init; }
    public required Func<double, double>[] Activations { get; init; }
    public required int Input { get; init; }
    public required int Hidden { get; init; }
    public double? Clip { get; init; }

    /// <summary>out[j] = sum_k W[(gate*hidden + j), k] * x[k] + WBias[gate*hidden + j] for every gate row.</summary>
    public double[] InputProjection(ReadOnlySpan<double> x) => Project(W, WBias, x, Input);

    /// <summary>out[j] = sum_k R[j, k] * h[k] + RBias[j] for every gate row.</summary>
    public double[] HiddenProjection(ReadOnlySpan<double> h) => Project(R, RBias, h, Hidden);

    private static double[] Project(double[] m, double[] bias, ReadOnlySpan<double> v, int columns)
    {
        int rows = bias.Length;
        var result = new double[rows];
        for (int j = 0; j < rows; j++)
        {
            double sum = bias[j];
            int row = j * columns;
            for (int k = 0; k < columns; k++) sum += m[row + k] * v[k];
            result[j] = sum;
        }
        return result;
    }

    /// <summary>Applies activation <paramref name="index"/> after clipping to [-clip, clip] when set.</summary>
    public double Activate(int index, double value)
    {
        if (Clip is { } c) value = System.Math.Clamp(value, -c, c);
        return Activations[index](value);
    }
}

/// <summary>Shared driver of RNN, GRU and LSTM: reads the inputs and attributes common to all three
/// (X, W, R, B, sequence_lens, initial_h, direction, layout, activations, clip), runs each direction
/// over time for each batch entry, and writes Y / Y_h (and Y_c for LSTM). Steps past an entry's
/// sequence length produce zeros in Y and leave the state unchanged.</summary>
public abstract class RecurrentLayer : Operator
{
    /// <summary>Number of gate blocks in W and R (1 for RNN, 3 for GRU, 4 for LSTM).</summary>
    protected abstract int Gates { get; }

    /// <summary>Default activation function names for one direction.</summary>
    protected abstract string[] DefaultActivations { get; }

    protected virtual bool HasCellState => false;

    /// <summary>One time step for one batch entry: updates <paramref name="h"/> (and <paramref name="c"/>) in place.</summary>
    protected abstract void Step(KernelContext context, DirectionWeights weights, ReadOnlySpan<double> x, double[] h, double[] c);

    /// <summary>Index of the input holding the initial cell state (LSTM), or -1.</summary>
    protected virtual int InitialCellInput => -1;

    /// <summary>Index of the peephole input (LSTM), or -1.</summary>
    protected virtual int PeepholeInput => -1;

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(x.DataType)}");
        var w = context.Input(1);
        var r = context.Input(2);
        var b = context.OptionalInput(3);
        var lengths = context.OptionalInput(4);
        var initialH = context.OptionalInput(5);
        var initialC = InitialCellInput >= 0 ? context.OptionalInput(InitialCellInput) : null;
        var peepholes = PeepholeInput >= 0 ? context.OptionalInput(PeepholeInput) : null;

        int layout = (int)context.GetInt("layout", 0);
        string direction = context.GetString("direction", "forward");
        int dirs = direction == "bidirectional" ? 2 : 1;
        if (direction is not ("forward" or "reverse" or "bidirectional")) throw context.Invalid($"direction '{direction}'");
        if (x.Rank != 3) throw context.Invalid($"X must have rank 3, got {ShapeMath.Format(x.Shape)}");
        int seq = layout == 0 ? x.Shape[0] : x.Shape[1];
        int batch = layout == 0 ? x.Shape[1] : x.Shape[0];
        int input = x.Shape[2];
        int hidden = context.Has("hidden_size") ? (int)context.GetInt("hidden_size") : r.Shape[^1];
        if (w.Shape[0] != dirs || w.Shape[1] != Gates * hidden || w.Shape[2] != input)
        {
            throw context.Invalid($"W shape {ShapeMath.Format(w.Shape)} does not match [{dirs},{Gates * hidden},{input}]");
        }

        var xs = x.ToDoubleArray();
        var seqLens = lengths?.ToInt64Array() ?? Enumerable.Repeat((long)seq, batch).ToArray();
        var y = new double[seq * dirs * batch * hidden];
        var yh = new double[dirs * batch * hidden];
        var yc = new double[dirs * batch * hidden];
        var all = ReadActivations(context, dirs);
        var initH = initialH?.ToDoubleArray();
        var initC = initialC?.ToDoubleArray();
        for (int d = 0; d < dirs; d++)
        {
            var weights = Weights(context, w, r, b, peepholes, d, hidden, input, all[d]);
            bool reverse = direction == "reverse" || d == 1;
            for (int n = 0; n < batch; n++)
            {
                var h = new double[hidden];
                var c = new double[hidden];
                if (initH is not null) Array.Copy(initH, StateOffset(layout, d, n, dirs, batch, hidden), h, 0, hidden);
                if (initC is not null) Array.Copy(initC, StateOffset(layout, d, n, dirs, batch, hidden), c, 0, hidden);
                int len = (int)System.Math.Clamp(seqLens[n], 0, seq);
                for (int s = 0; s < len; s++)
                {
                    int t = reverse ? len - 1 - s : s;
                    int xOffset = (layout == 0 ? t * batch + n : n * seq + t) * input;
                    Step(context, weights, xs.AsSpan(xOffset, input), h, c);
                    int yOffset = layout == 0 ? ((t * dirs + d) * batch + n) * hidden : ((n * seq + t) * dirs + d) * hidden;
                    Array.Copy(h, 0, y, yOffset, hidden);
                }
                Array.Copy(h, 0, yh, StateOffset(layout, d, n, dirs, batch, hidden), hidden);
                Array.Copy(c, 0, yc, StateOffset(layout, d, n, dirs, batch, hidden), hidden);
            }
        }
        int[] yShape = layout == 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden];
        int[] stateShape = layout == 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, yShape, y));
        context.SetOutput(1, Tensor.FromDoubles(x.DataType, stateShape, yh));
        if (HasCellState) context.SetOutput(2, Tensor.FromDoubles(x.DataType, stateShape, yc));
    }

    private static int StateOffset(int layout, int d, int n, int dirs, int batch, int hidden) =>
        (layout == 0 ? d * batch + n : n * dirs + d) * hidden;

    private DirectionWeights Weights(KernelContext context, Tensor w, Tensor r, Tensor? b, Tensor? p, int d, int hidden, int input, Func<double, double>[] activations)
    {
        int rows = Gates * hidden;
        var wd = Slice(w, d, rows * input);
        var rd = Slice(r, d, rows * hidden);
        var bd = b is null ? new double[2 * rows] : Slice(b, d, 2 * rows);
        float clip = context.GetFloat("clip", float.NaN);
        return new DirectionWeights
        {
            W = wd,
            R = rd,
            WBias = bd[..rows],
            RBias = bd[rows..],
            Peepholes = p is null ? null : Slice(p, d, 3 * hidden),
            Activations = activations,
            Input = input,
            Hidden = hidden,
            Clip = float.IsNaN(clip) ? null : clip,
        };
    }

    private static double[] Slice(Tensor t, int d, int size)
    {
        if (t.Length < (d + 1) * size) throw new InvalidInputException($"tensor {ShapeMath.Format(t.Shape)} is too small for direction {d}");
        var result = new double[size];
        for (int i = 0; i < size; i++) result[i] = t.GetDouble(d * size + i);
        return result;
    }

    private Func<double, double>[][] ReadActivations(KernelContext context, int dirs)
    {
        var names = context.GetStrings("activations");
        int per = DefaultActivations.Length;
        if (names is null)
        {
            names = Enumerable.Range(0, dirs).SelectMany(_ => DefaultActivations).ToArray();
        }
        else if (names.Length == per && dirs == 2)
        {
            names = [.. names, .. names];
        }
        if (names.Length != per * dirs) throw context.Invalid($"expected {per * dirs} activations, got {names.Length}");
        var alphas = context.GetFloats("activation_alpha") ?? [];
        var betas = context.GetFloats("activation_beta") ?? [];
        int ai = 0, bi = 0;
        var result = new Func<double, double>[dirs][];
        for (int d = 0; d < dirs; d++)
        {
            result[d] = new Func<double, double>[per];
            for (int k = 0; k < per; k++)
            {
                result[d][k] = Activation(context, names[d * per + k], alphas, betas, ref ai, ref bi);
            }
        }
        return result;
    }

    private static Func<double, double> Activation(KernelContext context, string name, float[] alphas, float[] betas, ref int ai, ref int bi)
    {
        static double Take(float[] list, ref int index, double fallback) => index < list.Length ? list[index++] : fallback;
        switch (name.ToLowerInvariant())
        {
            case "sigmoid": return v => 1 / (1 + System.Math.Exp(-v));
            case "tanh": return System.Math.Tanh;
            case "relu": return v => System.Math.Max(0, v);
            case "softsign": return v => v / (1 + System.Math.Abs(v));
            case "softplus": return v => System.Math.Log(1 + System.Math.Exp(v));
            case "leakyrelu": { double a = Take(alphas, ref ai, 0.01); return v => v >= 0 ? v : a * v; }
            case "thresholdedrelu": { double a = Take(alphas, ref ai, 1.0); return v => v > a ? v : 0; }
            case "elu": { double a = Take(alphas, ref ai, 1.0); return v => v >= 0 ? v : a * (System.Math.Exp(v) - 1); }
            case "affine": { double a = Take(alphas, ref ai, 1.0), b = Take(betas, ref bi, 0.0); return v => a * v + b; }
            case "scaledtanh": { double a = Take(alphas, ref ai, 1.0), b = Take(betas, ref bi, 1.0); return v => a * System.Math.Tanh(b * v); }
            case "hardsigmoid": { double a = Take(alphas, ref ai, 0.2), b = Take(betas, ref bi, 0.5); return v => System.Math.Clamp(a * v + b, 0, 1); }
            default: throw context.Unsupported($"activation '{name}'");
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        int layout = (int)context.GetInt("layout", 0);
        Dim dirs = context.GetString("direction", "forward") == "bidirectional" ? 2 : 1;
        Dim hidden = context.Has("hidden_size") ? Dim.Known(context.GetInt("hidden_size")) : Dim.Unknown;
        if (x.Shape is not { Rank: 3 } s)
        {
            for (int i = 0; i < context.Node.Outputs.Count; i++) context.SetOutput(i, x.ElementType, null);
            return;
        }
        Dim seq = layout == 0 ? s[0] : s[1], batch = layout == 0 ? s[1] : s[0];
        var y = layout == 0 ? new TensorShape([seq, dirs, batch, hidden]) : new TensorShape([batch, seq, dirs, hidden]);
        var state = layout == 0 ? new TensorShape([dirs, batch, hidden]) : new TensorShape([batch, dirs, hidden]);
        context.SetOutput(0, x.ElementType, y);
        context.SetOutput(1, x.ElementType, state);
        if (HasCellState) context.SetOutput(2, x.ElementType, state);
    }

    public override long Macs(CostContext context)
    {
        if (context.InputShapes[0] is not { } x || context.InputShapes[1] is not { } w || context.InputShapes[2] is not { } r) return 0;
        long steps = (long)x[0] * x[1];
        return steps * w[0] * w[1] * (w[2] + r[2]);
    }
}
