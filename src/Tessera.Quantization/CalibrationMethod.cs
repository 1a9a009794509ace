using Tessera.Core;

namespace Tessera.Quantization;

/// <summary>How an observed tensor's clipping range is chosen.</summary>
public enum CalibrationMethod
{
    /// <summary>The observed minimum and maximum: nothing clips, outliers cost resolution.</summary>
    MinMax,

    /// <summary>Clip |x| at a percentile of the observed absolute values (99.99 by default).</summary>
    Percentile,

    /// <summary>TensorRT's entropy calibration: the threshold whose 128-level quantized histogram has the
    /// smallest KL divergence from the observed one.</summary>
    Entropy,

    /// <summary>The threshold that minimizes the expected squared error (rounding inside, clipping outside).</summary>
    Mse,
}

/// <summary>Turns a <see cref="TensorObserver"/> into a clipping range with one of the <see cref="CalibrationMethod"/>s.</summary>
public static class RangeSelection
{
    /// <summary>Levels of the quantized |x| histogram in the entropy search: int8 has 128 magnitudes.</summary>
    public const int QuantizedBins = 128;

    public static CalibrationMethod Parse(string text) => text.ToLowerInvariant() switch
    {
        "minmax" => CalibrationMethod.MinMax,
        "percentile" => CalibrationMethod.Percentile,
        "entropy" => CalibrationMethod.Entropy,
        "mse" => CalibrationMethod.Mse,
        _ => throw new InvalidInputException($"unknown calibration method '{text}'", "--method", "use minmax, percentile, entropy or mse"),
    };

    /// <summary>The range [min, max] to quantize: the observed range clipped at the method's |x| threshold.</summary>
    public static (double Min, double Max) Select(TensorObserver observer, CalibrationMethod method, double percentile = 99.99)
    {
        if (observer.IsEmpty) return (0, 0);
        double threshold = method switch
        {
            CalibrationMethod.MinMax => double.PositiveInfinity,
            CalibrationMethod.Percentile => PercentileThreshold(observer, percentile),
            CalibrationMethod.Entropy => EntropyThreshold(observer),
            CalibrationMethod.Mse => MseThreshold(observer),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
        return (System.Math.Max(observer.Min, -threshold), System.Math.Min(observer.Max, threshold));
    }

    public static double PercentileThreshold(TensorObserver observer, double percentile)
    {
        if (percentile is <= 0 or > 100) throw new InvalidInputException($"percentile {percentile} is outside (0, 100]", "--percentile");
        var histogram = observer.Histogram;
        double total = 0;
        foreach (var c in histogram) total += c;
        double target = total * percentile / 100, cumulative = 0;
        for (int i = 0; i < histogram.Length; i++)
        {
            cumulative += histogram[i];
            if (cumulative >= target) return observer.Edge(i + 1);
        }
        return observer.HistogramRange;
    }

    /// <summary>For each candidate end bin i: P is the histogram cut at i with the outliers added to its last
    /// bin, Q is the cut histogram merged into 128 levels and spread back over the bins that were non-zero;
    /// the threshold is the edge of the i with the smallest KL(P || Q).</summary>
    public static double EntropyThreshold(TensorObserver observer)
    {
        var histogram = observer.Histogram;
        int bins = histogram.Length;
        var suffix = new double[bins + 1];
        for (int i = bins - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + histogram[i];
        double bestDivergence = double.PositiveInfinity;
        int bestEnd = bins;
        var reference = new double[bins];
        var candidate = new double[bins];
        for (int end = QuantizedBins; end <= bins; end += 4)
        {
            for (int i = 0; i < end; i++) reference[i] = histogram[i];
            reference[end - 1] += suffix[end];
            for (int level = 0; level < QuantizedBins; level++)
            {
                int start = level * end / QuantizedBins, stop = (level + 1) * end / QuantizedBins;
                double sum = 0;
                int nonZero = 0;
                for (int i = start; i < stop; i++)
                {
                    sum += histogram[i];
                    if (histogram[i] != 0) nonZero++;
                }
                for (int i = start; i < stop; i++) candidate[i] = histogram[i] != 0 ? sum / nonZero : 0;
            }
            // The outliers folded into P's last bin have no counterpart in Q unless that bin is non-zero.
            if (candidate[end - 1] == 0 && reference[end - 1] != 0) candidate[end - 1] = reference[end - 1] * 1e-4;
            double divergence = Divergence(reference.AsSpan(0, end), candidate.AsSpan(0, end));
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                bestEnd = end;
            }
        }
        return observer.Edge(bestEnd);
    }

    private static double Divergence(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double sumP = 0, sumQ = 0;
        foreach (var v in p) sumP += v;
        foreach (var v in q) sumQ += v;
        if (sumP == 0 || sumQ == 0) return double.PositiveInfinity;
        double result = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == 0) continue;
            double pi = p[i] / sumP;
            // A bin P has and Q lost costs as much as a very unlikely one (smoothing as in TensorRT's tools).
            double qi = q[i] == 0 ? 1e-10 : q[i] / sumQ;
            result += pi * System.Math.Log(pi / qi);
        }
        return result;
    }

    /// <summary>Expected squared error per candidate threshold t over the |x| histogram: values below t round
    /// to a step of t/127 (error step^2/12), values above clip to t (error (|x| - t)^2).</summary>
    public static double MseThreshold(TensorObserver observer)
    {
        var histogram = observer.Histogram;
        int bins = histogram.Length;
        double bestError = double.PositiveInfinity, best = observer.HistogramRange;
        for (int end = 8; end <= bins; end += 4)
        {
            double threshold = observer.Edge(end);
            double step = threshold / 127;
            double inside = 0, clipped = 0;
            for (int i = 0; i < bins; i++)
            {
                if (histogram[i] == 0) continue;
                if (i < end) inside += histogram[i];
                else
                {
                    double center = (observer.Edge(i) + observer.Edge(i + 1)) / 2 - threshold;
                    clipped += histogram[i] * center * center;
                }
            }
            double error = inside * step * step / 12 + clipped;
            if (error < bestError)
            {
                bestError = error;
                best = threshold;
            }
        }
        return best;
    }
}
