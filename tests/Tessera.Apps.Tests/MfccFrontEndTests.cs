using Tessera.Apps.Kws;

namespace Tessera.Apps.Tests;

public sealed class MfccFrontEndTests
{
    private static float[] Tone(double hertz, int samples = 16000, double amplitude = 0.5)
    {
        var tone = new float[samples];
        for (int i = 0; i < samples; i++) tone[i] = (float)(amplitude * Math.Sin(2 * Math.PI * hertz * i / 16000));
        return tone;
    }

    [Fact]
    public void Defaults_give_49_frames_of_10_coefficients_from_a_512_point_fft()
    {
        var front = new MfccFrontEnd();
        Assert.Equal(49, front.Settings.Frames);
        Assert.Equal(512, front.Settings.FftLength);
        Assert.Equal(49 * 10, front.Compute(Tone(1000)).Length);
        // A short clip is zero-padded to 1 s, a long one cut: the shape never changes.
        Assert.Equal(49 * 10, front.Compute(Tone(1000, 3000)).Length);
        Assert.Equal(49 * 10, front.Compute(Tone(1000, 40000)).Length);
    }

    [Theory]
    [InlineData(300.0)]
    [InlineData(1000.0)]
    [InlineData(2500.0)]
    public void A_pure_tone_peaks_in_the_mel_band_whose_centre_is_nearest(double hertz)
    {
        var front = new MfccFrontEnd();
        var s = front.Settings;
        var logMel = front.LogMel(Tone(hertz));
        double lower = MfccFrontEnd.HertzToMel(s.LowerHertz), upper = MfccFrontEnd.HertzToMel(s.UpperHertz);
        double toneMel = MfccFrontEnd.HertzToMel(hertz);
        int expected = (int)Math.Round((toneMel - lower) / (upper - lower) * (s.MelBands + 1)) - 1;
        for (int frame = 0; frame < s.Frames; frame++)
        {
            int best = 0;
            for (int band = 1; band < s.MelBands; band++) if (logMel[frame, band] > logMel[frame, best]) best = band;
            Assert.InRange(best, expected - 1, expected + 1);
        }
    }

    [Fact]
    public void Mel_triangles_rise_to_one_and_leave_the_dc_bin_out()
    {
        var settings = new MfccSettings();
        var weights = MfccFrontEnd.MelWeights(settings);
        for (int band = 0; band < settings.MelBands; band++)
        {
            double peak = 0;
            for (int bin = 0; bin < settings.SpectrumBins; bin++) peak = Math.Max(peak, weights[bin, band]);
            Assert.InRange(peak, 0.5, 1.0);
            Assert.Equal(0.0, weights[0, band]);
        }
        // Nothing above 4 kHz (bin 128 of 257 at 16 kHz) reaches the bands.
        for (int bin = 129; bin < settings.SpectrumBins; bin++) for (int band = 0; band < settings.MelBands; band++) Assert.Equal(0.0, weights[bin, band]);
    }

    [Fact]
    public void Dct_row_zero_is_the_scaled_sum_and_rows_are_orthogonal()
    {
        var dct = MfccFrontEnd.DctMatrix(40, 10);
        for (int n = 0; n < 40; n++) Assert.Equal(2 / Math.Sqrt(80), dct[0, n], 12);
        for (int a = 0; a < 10; a++)
        {
            for (int b = 0; b < 10; b++)
            {
                double dot = 0;
                for (int n = 0; n < 40; n++) dot += dct[a, n] * dct[b, n];
                // HTK's scaling: sqrt(2/N) for every row, so row 0 has norm 2 and the others norm 1.
                Assert.Equal(a != b ? 0 : a == 0 ? 2 : 1, dot, 9);
            }
        }
    }

    [Fact]
    public void Fft_matches_the_direct_dft()
    {
        var random = new Random(7);
        const int length = 64;
        var real = new double[length];
        var imaginary = new double[length];
        for (int i = 0; i < length; i++) { real[i] = random.NextDouble() - 0.5; imaginary[i] = random.NextDouble() - 0.5; }
        var (inputReal, inputImaginary) = ((double[])real.Clone(), (double[])imaginary.Clone());
        new Fft(length).Transform(real, imaginary);
        for (int k = 0; k < length; k++)
        {
            double sumReal = 0, sumImaginary = 0;
            for (int n = 0; n < length; n++)
            {
                double angle = -2 * Math.PI * k * n / length;
                sumReal += inputReal[n] * Math.Cos(angle) - inputImaginary[n] * Math.Sin(angle);
                sumImaginary += inputReal[n] * Math.Sin(angle) + inputImaginary[n] * Math.Cos(angle);
            }
            Assert.Equal(sumReal, real[k], 10);
            Assert.Equal(sumImaginary, imaginary[k], 10);
        }
    }

    [Fact]
    public void Loudness_does_not_change_the_features()
    {
        var front = new MfccFrontEnd();
        var quiet = front.Compute(Tone(700, amplitude: 0.05));
        var loud = front.Compute(Tone(700, amplitude: 0.9));
        for (int i = 0; i < quiet.Length; i++) Assert.Equal(loud[i], quiet[i], 3);
    }
}
