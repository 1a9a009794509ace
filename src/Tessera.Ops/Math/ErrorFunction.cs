namespace Tessera.Ops.Math;

/// <summary>The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt in double precision
/// (.NET has no Math.Erf). Maclaurin series near zero, Laplace continued fraction for erfc in the tails.</summary>
public static class ErrorFunction
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double OneOverSqrtPi = 0.5641895835477563;

    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = System.Math.Abs(x);
        if (ax > 6) return System.Math.Sign(x);
        if (ax <= 2.5) return Series(x);
        double r = 1 - Complement(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)); terms shrink fast for |x| &lt;= 2.5.</summary>
    private static double Series(double x)
    {
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 100; n++)
        {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (System.Math.Abs(add) < 1e-17 * System.Math.Abs(sum)) break;
        }
        return TwoOverSqrtPi * sum;
    }

    /// <summary>erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))) for x &gt; 0,
    /// evaluated from the tail backwards.</summary>
    private static double Complement(double x)
    {
        double tail = x;
        for (int k = 80; k >= 1; k--) tail = x + k / 2.0 / tail;
        return System.Math.Exp(-x * x) * OneOverSqrtPi / tail;
    }
}
