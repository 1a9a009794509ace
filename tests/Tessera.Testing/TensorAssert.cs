using Tessera.Core;

namespace Tessera.Testing;

/// <summary>Comparison against a reference output: max |actual - expected| must not exceed
/// relative x max(1, max |expected|).</summary>
public static class TensorAssert
{
    public static (double MaxDifference, double Bound) Difference(Tensor expected, Tensor actual, double relative)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape))
        {
            throw new Xunit.Sdk.XunitException($"shape {ShapeMath.Format(actual.Shape)} differs from expected {ShapeMath.Format(expected.Shape)}");
        }
        double maxAbs = 0, maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected.GetDouble(i), a = actual.GetDouble(i);
            maxAbs = Math.Max(maxAbs, Math.Abs(e));
            double d = Math.Abs(a - e);
            if (double.IsNaN(d)) d = double.IsNaN(a) && double.IsNaN(e) ? 0 : double.PositiveInfinity;
            maxDiff = Math.Max(maxDiff, d);
        }
        return (maxDiff, relative * Math.Max(1, maxAbs));
    }

    public static void Close(Tensor expected, Tensor actual, double relative, string what)
    {
        var (diff, bound) = Difference(expected, actual, relative);
        if (!(diff <= bound)) throw new Xunit.Sdk.XunitException($"{what}: max abs difference {diff:G4} exceeds {bound:G4}");
    }
}
