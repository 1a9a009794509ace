namespace Tessera.Apps.Kws;

/// <summary>In-place radix-2 complex FFT of a fixed power-of-two length (forward, no scaling), with the
/// twiddle factors and bit-reversal table computed once: the front end transforms 49 frames per clip and
/// many clips per file.</summary>
public sealed class Fft
{
    private readonly int[] _reversed;
    private readonly double[] _cosines;
    private readonly double[] _sines;

    public Fft(int length)
    {
        if (length < 1 || (length & (length - 1)) != 0) throw new ArgumentException($"FFT length {length} is not a power of two", nameof(length));
        Length = length;
        int bits = System.Numerics.BitOperations.Log2((uint)length);
        _reversed = new int[length];
        for (int i = 0; i < length; i++)
        {
            int r = 0;
            for (int b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
            _reversed[i] = r;
        }
        _cosines = new double[length / 2];
        _sines = new double[length / 2];
        for (int i = 0; i < length / 2; i++)
        {
            _cosines[i] = System.Math.Cos(2 * System.Math.PI * i / length);
            _sines[i] = -System.Math.Sin(2 * System.Math.PI * i / length);
        }
    }

    public int Length { get; }

    /// <summary>X[k] = sum x[n] e^(-2 pi i k n / N), overwriting the inputs.</summary>
    public void Transform(Span<double> real, Span<double> imaginary)
    {
        if (real.Length != Length || imaginary.Length != Length) throw new ArgumentException($"the FFT expects {Length} values");
        for (int i = 0; i < Length; i++)
        {
            int j = _reversed[i];
            if (j > i)
            {
                (real[i], real[j]) = (real[j], real[i]);
                (imaginary[i], imaginary[j]) = (imaginary[j], imaginary[i]);
            }
        }
        for (int size = 2; size <= Length; size *= 2)
        {
            int half = size / 2, step = Length / size;
            for (int start = 0; start < Length; start += size)
            {
                for (int k = 0; k < half; k++)
                {
                    double wr = _cosines[k * step], wi = _sines[k * step];
                    int a = start + k, b = a + half;
                    double tr = real[b] * wr - imaginary[b] * wi;
                    double ti = real[b] * wi + imaginary[b] * wr;
                    real[b] = real[a] - tr;
                    imaginary[b] = imaginary[a] - ti;
                    real[a] += tr;
                    imaginary[a] += ti;
                }
            }
        }
    }
}
