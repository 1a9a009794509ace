namespace Tessera.Augment;

/// <summary>Standard normal samples by the Box-Muller transform from a caller's <see cref="Random"/>.</summary>
public static class Gaussian
{
    public static double Next(Random random)
    {
        double uniform1 = 1 - random.NextDouble(), uniform2 = random.NextDouble();
        return System.Math.Sqrt(-2 * System.Math.Log(uniform1)) * System.Math.Cos(2 * System.Math.PI * uniform2);
    }
}
