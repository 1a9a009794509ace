namespace Tessera.Quantization.Tests;

public sealed class ObserverTests
{
    /// <summary>N(0, 1) samples (Box-Muller with a fixed seed) plus a few outliers at 50.</summary>
    private static TensorObserver GaussianWithOutliers()
    {
        var random = new Random(7);
        var values = new float[200_000];
        for (int i = 0; i < values.Length; i++)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            values[i] = (float)(System.Math.Sqrt(-2 * System.Math.Log(u)) * System.Math.Cos(2 * System.Math.PI * v));
        }
        for (int i = 0; i < 10; i++) values[i * 1000] = 50;
        var observer = new TensorObserver();
        observer.Observe(values.AsSpan(0, 100_000));
        observer.Observe(values.AsSpan(100_000));
        return observer;
    }

    [Fact]
    public void MinMaxKeepsTheOutliers()
    {
        var (min, max) = RangeSelection.Select(GaussianWithOutliers(), CalibrationMethod.MinMax);
        Assert.Equal(50, max);
        Assert.True(min < -3.5, $"min {min}");
    }

    [Theory]
    [InlineData(CalibrationMethod.Entropy)]
    [InlineData(CalibrationMethod.Percentile)]
    public void ClippingMethodsIgnoreRareOutliers(CalibrationMethod method)
    {
        var (min, max) = RangeSelection.Select(GaussianWithOutliers(), method);
        // The Gaussian's bulk lies within 4.5 sigma; the 10 outliers at 50 must not stretch the range.
        Assert.InRange(max, 2.0, 10.0);
        Assert.InRange(min, -10.0, -2.0);
    }

    [Fact]
    public void MseWeighsOutliersByTheirSquaredError()
    {
        // Ten values at 50 among 200,000 cost more clipped (10 * 45^2) than the coarser step costs
        // everyone, so MSE keeps most of the range; it still clips a little below the maximum.
        var observer = GaussianWithOutliers();
        double threshold = RangeSelection.MseThreshold(observer);
        Assert.InRange(threshold, 20, 49.99);
        Assert.True(RangeSelection.EntropyThreshold(observer) < threshold);
    }

    [Fact]
    public void PercentileThresholdMatchesTheGaussianQuantile()
    {
        // P(|x| < 2.576) = 0.99 for N(0, 1).
        double threshold = RangeSelection.PercentileThreshold(GaussianWithOutliers(), 99);
        Assert.InRange(threshold, 2.5, 2.7);
    }

    [Fact]
    public void HistogramGrowthKeepsEveryCount()
    {
        var observer = new TensorObserver();
        observer.Observe([0.5f, -0.25f, 1f]);
        observer.Observe([10f, -7f]);
        observer.Observe([0f, 100f]);
        double total = 0;
        foreach (var c in observer.Histogram) total += c;
        Assert.Equal(7, total);
        Assert.Equal(7, observer.Count);
        Assert.True(observer.HistogramRange >= 100);
        Assert.Equal(-7, observer.Min);
        Assert.Equal(100, observer.Max);
    }

    /// <summary>The histogram, and so every range chosen from it, is the same whatever order the batches come in
    /// (ppocr-cls's percentile ranges once depended on the calibration files' names: 376 or 379 of 380 decisions).</summary>
    [Fact]
    public void HistogramDoesNotDependOnBatchOrder()
    {
        var random = new Random(5);
        var batches = Enumerable.Range(0, 6).Select(b => Enumerable.Range(0, 500)
            .Select(_ => (float)((random.NextDouble() * 2 - 1) * System.Math.Pow(3, b))).ToArray()).ToList();
        TensorObserver Observe(IEnumerable<float[]> order)
        {
            var observer = new TensorObserver();
            foreach (var batch in order) observer.Observe(batch);
            return observer;
        }
        var ascending = Observe(batches);
        foreach (var order in new[] { Enumerable.Reverse(batches), batches.OrderBy(b => b[0]), batches.Skip(3).Concat(batches.Take(3)) })
        {
            var other = Observe(order);
            Assert.Equal(ascending.HistogramRange, other.HistogramRange);
            Assert.Equal(ascending.Histogram.ToArray(), other.Histogram.ToArray());
            foreach (var method in new[] { CalibrationMethod.Percentile, CalibrationMethod.Entropy, CalibrationMethod.Mse })
                Assert.Equal(RangeSelection.Select(ascending, method), RangeSelection.Select(other, method));
        }
        Assert.Equal(System.Math.Pow(2, System.Math.Ceiling(System.Math.Log2(batches[5].Max(v => System.Math.Abs(v))))), ascending.HistogramRange);
    }

    [Fact]
    public void AsymmetricParametersRepresentZeroExactly()
    {
        var p = QuantizationParameters.FromRange(-1, 3, symmetric: false);
        Assert.Equal(4f / 255, p.Scale, 6);
        Assert.Equal(-64, p.ZeroPoint);
        Assert.Equal(0f, p.Dequantize(p.Quantize(0f)));
        Assert.Equal(127, p.Quantize(10f));
    }

    [Fact]
    public void SymmetricParametersHaveZeroPointZero()
    {
        var p = QuantizationParameters.FromRange(-1, 3, symmetric: true);
        Assert.Equal(0, p.ZeroPoint);
        Assert.Equal(3f / 127, p.Scale, 6);
    }

    [Fact]
    public void RangeAlwaysIncludesZero()
    {
        var p = QuantizationParameters.FromRange(2, 6, symmetric: false);
        Assert.Equal(-128, p.ZeroPoint);
        Assert.Equal(6f / 255, p.Scale, 6);
    }
}
