namespace Tessera.Quantization;

/// <summary>Everything calibration learns about one float tensor: its running minimum and maximum and a
/// histogram of absolute values over [0, <see cref="HistogramRange"/>] with <see cref="Bins"/> bins. The
/// histogram is kept in one pass: when a batch exceeds the current range, the range doubles (as often as
/// needed) and neighbouring bins merge, so no calibration sample has to run twice. The range is a power of two,
/// so it ends as the smallest power of two above the largest |x| whatever order the samples come in, and the
/// merged bins are exactly the bins a direct count would give: the histogram does not depend on sample order.
/// (With the first sample's |x| maximum as the starting range, the ppocr-cls ranges, and with them 3 of 380
/// decisions, depended on the calibration files' names.)</summary>
public sealed class TensorObserver
{
    public const int Bins = 2048;

    private readonly double[] _counts = new double[Bins];

    public double Min { get; private set; } = double.PositiveInfinity;

    public double Max { get; private set; } = double.NegativeInfinity;

    /// <summary>Upper edge of the histogram (the lower edge is 0: the histogram counts |x|).</summary>
    public double HistogramRange { get; private set; }

    public long Count { get; private set; }

    public ReadOnlySpan<double> Histogram => _counts;

    public bool IsEmpty => Count == 0;

    public void Observe(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return;
        double min = Min, max = Max, absMax = 0;
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            if (v < min) min = v;
            if (v > max) max = v;
            double a = System.Math.Abs((double)v);
            if (a > absMax) absMax = a;
        }
        Min = min;
        Max = max;
        Grow(absMax);
        if (HistogramRange == 0)
        {
            // Every value so far is zero: count them in the first bin.
            _counts[0] += values.Length;
            Count += values.Length;
            return;
        }
        double binsPerUnit = Bins / HistogramRange;
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            int bin = (int)(System.Math.Abs((double)v) * binsPerUnit);
            _counts[bin >= Bins ? Bins - 1 : bin]++;
        }
        Count += values.Length;
    }

    private void Grow(double absMax)
    {
        if (absMax <= HistogramRange) return;
        if (HistogramRange == 0)
        {
            // The zeros counted so far stay in bin 0 whatever the new range is.
            HistogramRange = System.Math.Pow(2, System.Math.Ceiling(System.Math.Log2(absMax)));
            if (HistogramRange < absMax) HistogramRange *= 2;
            return;
        }
        int factor = 1;
        while (HistogramRange * factor < absMax) factor *= 2;
        var merged = new double[Bins];
        for (int i = 0; i < Bins; i++) merged[i / factor] += _counts[i];
        merged.CopyTo(_counts, 0);
        HistogramRange *= factor;
    }

    /// <summary>Lower edge of bin <paramref name="bin"/> (bin <see cref="Bins"/> is the upper edge of the range).</summary>
    public double Edge(int bin) => HistogramRange * bin / Bins;
}
