namespace Tessera.Quantization;

/// <summary>Running agreement between a reference tensor and an approximation of it, summed over samples:
/// cosine similarity, signal-to-noise ratio in dB (reference energy over error energy) and the largest
/// absolute difference.</summary>
public sealed class ErrorMetrics
{
    private double _dot, _reference, _approximation, _error;

    public double MaxAbsError { get; private set; }

    public long Count { get; private set; }

    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> approximation)
    {
        if (reference.Length != approximation.Length) throw new ArgumentException($"lengths differ: {reference.Length} and {approximation.Length}");
        for (int i = 0; i < reference.Length; i++)
        {
            double r = reference[i], a = approximation[i], d = r - a;
            if (!double.IsFinite(r) || !double.IsFinite(a)) continue;
            _dot += r * a;
            _reference += r * r;
            _approximation += a * a;
            _error += d * d;
            if (System.Math.Abs(d) > MaxAbsError) MaxAbsError = System.Math.Abs(d);
        }
        Count += reference.Length;
    }

    /// <summary>1 when both are zero (nothing to disagree on), 0 when only one is.</summary>
    public double Cosine => _reference == 0 && _approximation == 0 ? 1
        : _reference == 0 || _approximation == 0 ? 0
        : _dot / System.Math.Sqrt(_reference * _approximation);

    /// <summary>+infinity for an exact match.</summary>
    public double SnrDb => _error == 0 ? double.PositiveInfinity : _reference == 0 ? double.NegativeInfinity : 10 * System.Math.Log10(_reference / _error);
}
