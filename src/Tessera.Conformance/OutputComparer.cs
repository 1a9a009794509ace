using System.Globalization;
using Tessera.Core;

namespace Tessera.Conformance;

/// <summary>Relative and absolute tolerance, as numpy.testing.assert_allclose applies them:
/// |actual - expected| &lt;= atol + rtol * |expected|.</summary>
public readonly record struct Tolerance(double Relative, double Absolute)
{
    /// <summary>The ONNX backend test defaults (rtol 1e-3, atol 1e-7), widened for the few cases
    /// whose reference outputs were produced with looser arithmetic, as the ONNX test runner does.</summary>
    public static Tolerance For(string caseName) => caseName switch
    {
        _ when caseName.Contains("gridsample", StringComparison.Ordinal) => new(1e-3, 1e-5),
        _ when caseName.StartsWith("test_dft", StringComparison.Ordinal) || caseName.StartsWith("test_stft", StringComparison.Ordinal) => new(1e-3, 1e-4),
        // The expected values of test_adam_multiple were computed with epsilon = 1e-2 while its node leaves
        // epsilon at the schema default 1e-6; ONNX's own reference runner compares it to 2 decimals.
        "test_adam_multiple" => new(1e-2, 1e-2),
        _ => new(1e-3, 1e-7),
    };
}

/// <summary>Compares a backend's output with the expected value; returns null when equal, else why not.</summary>
public static class OutputComparer
{
    public static string? Compare(DataValue expected, DataValue? actual, Tolerance tolerance)
    {
        switch (expected)
        {
            case Tensor e:
                if (actual is OptionalValue { Value: Tensor inner }) actual = inner;
                return actual is Tensor a ? CompareTensors(e, a, tolerance) : $"expected a tensor, got {Describe(actual)}";
            case SequenceValue es:
                if (actual is OptionalValue { Value: SequenceValue innerSeq }) actual = innerSeq;
                if (actual is not SequenceValue s) return $"expected a sequence, got {Describe(actual)}";
                if (s.Items.Count != es.Items.Count) return $"sequence length {s.Items.Count}, expected {es.Items.Count}";
                for (int i = 0; i < es.Items.Count; i++)
                {
                    var m = CompareTensors(es.Items[i], s.Items[i], tolerance);
                    if (m is not null) return $"item {i}: {m}";
                }
                return null;
            case OptionalValue eo:
                var value = actual is OptionalValue ao ? ao.Value : actual;
                if (eo.Value is null) return value is null ? null : $"expected an empty optional, got {Describe(value)}";
                return value is null ? "expected a value, got an empty optional" : Compare(eo.Value, value, tolerance);
            default:
                return $"cannot compare {expected}";
        }
    }

    private static string Describe(DataValue? v) => v?.ToString() ?? "nothing";

    public static string? CompareTensors(Tensor expected, Tensor actual, Tolerance tolerance)
    {
        if (expected.DataType != actual.DataType)
        {
            return $"type {DataTypes.Name(actual.DataType)}, expected {DataTypes.Name(expected.DataType)}";
        }
        if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
        {
            return $"shape {ShapeMath.Format(actual.Shape)}, expected {ShapeMath.Format(expected.Shape)}";
        }
        if (expected.DataType == DataType.String)
        {
            var es = expected.As<string>();
            var a = actual.As<string>();
            for (int i = 0; i < es.Length; i++)
            {
                if (es[i] != a[i]) return $"element {i} is \"{a[i]}\", expected \"{es[i]}\"";
            }
            return null;
        }
        bool isFloat = DataTypes.IsFloat(expected.DataType);
        int mismatches = 0;
        int first = -1;
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (isFloat)
            {
                double e = expected.GetDouble(i), x = actual.GetDouble(i);
                if (double.IsNaN(e) && double.IsNaN(x)) continue;
                if (double.IsInfinity(e) && e == x) continue;
                double diff = Math.Abs(e - x);
                if (!(diff <= tolerance.Absolute + tolerance.Relative * Math.Abs(e)))
                {
                    mismatches++;
                    if (first < 0) first = i;
                    if (!(diff <= worst)) worst = diff;
                }
            }
            else if (expected.GetInt64(i) != actual.GetInt64(i) || (expected.DataType == DataType.UInt64 && expected.As<ulong>()[i] != actual.As<ulong>()[i]))
            {
                mismatches++;
                if (first < 0) first = i;
            }
        }
        if (mismatches == 0) return null;
        string Format(Tensor t, int i) => t.Data.GetValue(i) is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : $"{t.Data.GetValue(i)}";
        return $"{mismatches} of {expected.Length} elements differ (first at {first}: {Format(actual, first)} vs expected {Format(expected, first)}"
            + (isFloat ? $"; max abs diff {worst.ToString("G4", CultureInfo.InvariantCulture)})" : ")");
    }
}
