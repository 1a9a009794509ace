using System.Numerics;
using Tessera.Core;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Quantization;

/// <summary>The second-order statistics of a Conv's input patches: per group, H = sum over sampled output positions of
/// x x^T, where x is the im2col patch (input channels of the group x kernel taps, zero where the window meets
/// padding) in the order the weight's inner dimensions are laid out. With it the squared error a weight rounding
/// adds to a channel's output, summed over those positions, is d^T H d (d: quantized minus float weights).</summary>
public sealed class PatchStatistics
{
    internal PatchStatistics(int groups, int patch, double[][] second, long positions)
    {
        Groups = groups;
        Patch = patch;
        Second = second;
        Positions = positions;
    }

    /// <summary>The Conv's group count.</summary>
    public int Groups { get; }

    /// <summary>Patch length: input channels per group times kernel taps (the weight's inner size).</summary>
    public int Patch { get; }

    /// <summary>Per group, the Patch x Patch matrix sum of x x^T (row-major).</summary>
    internal double[][] Second { get; }

    /// <summary>Output positions summed (over all samples).</summary>
    public long Positions { get; }

    /// <summary>The squared output error, summed over the measured positions, that adding <paramref name="change"/>
    /// (one output channel's weights, Patch values in the weight's inner order) to a channel of
    /// <paramref name="group"/> causes: change^T H change.</summary>
    public double OutputError(int group, ReadOnlySpan<double> change)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(change.Length, Patch);
        var h = Second[group];
        double total = 0;
        for (int i = 0; i < Patch; i++)
        {
            if (change[i] == 0) continue;
            double row = 0;
            for (int j = 0; j < Patch; j++) row += h[i * Patch + j] * change[j];
            total += change[i] * row;
        }
        return total;
    }
}

/// <summary>Weight rounding chosen against the layer's output instead of to the nearest level (the objective of
/// Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization", with a greedy binary search in
/// place of their continuous relaxation): each int8 weight may be its float value rounded down or up, and per output
/// channel the choice minimizes the squared error of the channel's output over the calibration data, d^T H d with
/// d = (q - w / s) and H the input patches' second moment (<see cref="PatchStatistics"/>). Starting from nearest
/// rounding, single flips are taken while one lowers the error (coordinate descent; each flip updates H d in
/// O(patch)), so the result is never worse than nearest rounding on the calibration patches. Conv only (1-D and 2-D,
/// explicit or VALID padding); other layers keep nearest rounding.</summary>
public static class AdaptiveRounding
{
    /// <summary>Per Conv node name (the prepared float model's), the patch statistics over <paramref name="samples"/>,
    /// at most <paramref name="positionsPerSample"/> output positions a sample (evenly spaced), from the float
    /// model's own activations.</summary>
    public static Dictionary<string, PatchStatistics> Measure(Calibration calibration, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing, int positionsPerSample = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(positionsPerSample, 1);
        var model = calibration.FloatModel;
        var convs = model.Graph.Nodes.Where(Supported).ToList();
        var sums = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        if (convs.Count == 0) return [];
        var recorder = new QuantizationAnalysis.Recorder(model, preprocessing);
        foreach (var sample in samples)
        {
            var values = recorder.Run(sample, null);
            foreach (var node in convs)
            {
                if (!values.TryGetValue(node.Input(0)!.Name, out var input)) continue;
                var weight = node.Input(1)!.Constant!;
                if (input.Rank != weight.Rank || input.Shape[0] < 1) continue;
                if (!sums.TryGetValue(node.Name, out var sum)) sums[node.Name] = sum = new Accumulator(node, weight);
                sum.Add(input.As<float>(), input.Shape, positionsPerSample);
            }
        }
        return sums.Where(kv => kv.Value.Positions > 0).ToDictionary(kv => kv.Key, kv => kv.Value.Result(), StringComparer.Ordinal);
    }

    private static bool Supported(Node node) =>
        node.OpType == "Conv" && node.Input(1)?.Constant is { DataType: DataType.Float32, Rank: 3 or 4 }
        && node.Attribute("auto_pad")?.Value is null or "NOTSET" or "VALID";

    /// <summary>The int8 levels for one output channel of <paramref name="group"/>: <paramref name="scaled"/> = w / s
    /// (Patch values), each result the floor or the ceiling of its value within [-127, 127], chosen greedily from
    /// nearest rounding to lower the output error (<see cref="PatchStatistics.OutputError"/> of q - w / s).</summary>
    public static sbyte[] Round(ReadOnlySpan<float> scaled, PatchStatistics statistics, int group)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentOutOfRangeException.ThrowIfNotEqual(scaled.Length, statistics.Patch);
        var h = statistics.Second[group];
        int n = scaled.Length;
        var q = new sbyte[n];
        for (int k = 0; k < n; k++) q[k] = (sbyte)System.Math.Clamp(System.Math.Round(scaled[k], MidpointRounding.ToEven), -127, 127);
        // g = H d for d = q - w/s, kept up to date as single levels flip.
        var g = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < n; j++) s += h[i * n + j] * (q[j] - (double)scaled[j]);
            g[i] = s;
        }
        for (int pass = 0; pass < 50; pass++)
        {
            bool changed = false;
            for (int k = 0; k < n; k++)
            {
                double w = scaled[k];
                int other = q[k] > w ? (int)System.Math.Floor(w) : (int)System.Math.Ceiling(w);
                if (other == q[k] || other is < -127 or > 127) continue;
                int delta = other - q[k];
                double hkk = h[k * n + k];
                double change = 2 * delta * g[k] + hkk;
                if (change >= -1e-12 * (hkk + 1e-30)) continue;
                q[k] = (sbyte)other;
                for (int i = 0; i < n; i++) g[i] += delta * h[i * n + k];
                changed = true;
            }
            if (!changed) break;
        }
        return q;
    }

    private sealed class Accumulator
    {
        private readonly int _groups, _channelsPerGroup, _patch;
        private readonly int[] _kernel;
        private readonly KernelContext _attributes;
        private readonly double[][] _upper;
        private readonly double[] _x;

        public Accumulator(Node node, Tensor weight)
        {
            _attributes = new KernelContext(node, 0, []);
            _groups = (int)_attributes.GetInt("group", 1);
            _channelsPerGroup = weight.Shape[1];
            _kernel = weight.Shape.Skip(2).ToArray();
            _patch = _channelsPerGroup * _kernel.Aggregate(1, (a, b) => a * b);
            _upper = Enumerable.Range(0, _groups).Select(_ => new double[_patch * _patch]).ToArray();
            _x = new double[_patch];
        }

        public long Positions { get; private set; }

        public void Add(float[] input, int[] shape, int positionsPerSample)
        {
            int channels = shape[1];
            if (channels != _groups * _channelsPerGroup) return;
            var size = shape[2..];
            var g = WindowGeometry.Resolve(_attributes, size.Select(v => (long)v).ToArray(), _kernel);
            if (g.Output.Any(o => o <= 0)) return;
            // A 1-D Conv is a 2-D one with one row.
            static int Row(int[] values, int oneRow) => values.Length == 2 ? values[0] : oneRow;
            int kh = Row(g.Kernel, 1), kw = g.Kernel[^1];
            int inH = Row(size, 1), inW = size[^1], outW = g.Output[^1];
            int strideH = Row(g.Strides, 1), strideW = g.Strides[^1];
            int dilH = Row(g.Dilations, 1), dilW = g.Dilations[^1];
            int padH = Row(g.PadBegin, 0), padW = g.PadBegin[^1];
            int plane = inH * inW, taps = kh * kw;
            long perImage = (long)Row(g.Output, 1) * outW;
            long total = perImage * shape[0];
            long step = System.Math.Max(1, (total + positionsPerSample - 1) / positionsPerSample);
            for (long p = step / 2; p < total; p += step)
            {
                int image = (int)(p / perImage);
                int position = (int)(p % perImage);
                int oy = position / outW, ox = position % outW;
                for (int group = 0; group < _groups; group++)
                {
                    for (int c = 0; c < _channelsPerGroup; c++)
                    {
                        int channelBase = (image * channels + group * _channelsPerGroup + c) * plane;
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int y = oy * strideH - padH + ky * dilH;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int x = ox * strideW - padW + kx * dilW;
                                _x[c * taps + ky * kw + kx] = y >= 0 && y < inH && x >= 0 && x < inW ? input[channelBase + y * inW + x] : 0;
                            }
                        }
                    }
                    AddOuter(_upper[group]);
                }
                Positions++;
            }
        }

        /// <summary>Upper triangle of H += x x^T.</summary>
        private void AddOuter(double[] h)
        {
            int n = _patch;
            for (int i = 0; i < n; i++)
            {
                double xi = _x[i];
                if (xi == 0) continue;
                var row = h.AsSpan(i * n + i, n - i);
                var x = _x.AsSpan(i, n - i);
                int j = 0;
                if (Vector.IsHardwareAccelerated)
                {
                    var scale = new Vector<double>(xi);
                    for (; j <= row.Length - Vector<double>.Count; j += Vector<double>.Count)
                        (new Vector<double>(row[j..]) + scale * new Vector<double>(x[j..])).CopyTo(row[j..]);
                }
                for (; j < row.Length; j++) row[j] += xi * x[j];
            }
        }

        public PatchStatistics Result()
        {
            int n = _patch;
            foreach (var h in _upper)
            {
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < i; j++) h[i * n + j] = h[j * n + i];
                }
            }
            return new PatchStatistics(_groups, _patch, _upper, Positions);
        }
    }
}
