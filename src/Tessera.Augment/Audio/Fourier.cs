using System.Numerics;

namespace Tessera.Augment.Audio;

/// <summary>In-place iterative radix-2 FFT (Cooley-Tukey, bit-reversed input order). The inverse is unscaled:
/// divide by the length afterwards.</summary>
internal static class Fourier
{
    public static void Transform(Complex[] data, bool inverse)
    {
        int length = data.Length;
        if (!BitOperations.IsPow2(length)) throw new ArgumentException("the FFT length must be a power of two", nameof(data));
        for (int i = 1, j = 0; i < length; i++)
        {
            int bit = length >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j) (data[i], data[j]) = (data[j], data[i]);
        }
        for (int span = 2; span <= length; span <<= 1)
        {
            double angle = (inverse ? 2 : -2) * System.Math.PI / span;
            var step = new Complex(System.Math.Cos(angle), System.Math.Sin(angle));
            for (int start = 0; start < length; start += span)
            {
                var twiddle = Complex.One;
                for (int k = 0; k < span / 2; k++)
                {
                    var even = data[start + k];
                    var odd = data[start + k + span / 2] * twiddle;
                    data[start + k] = even + odd;
                    data[start + k + span / 2] = even - odd;
                    twiddle *= step;
                }
            }
        }
    }
}
