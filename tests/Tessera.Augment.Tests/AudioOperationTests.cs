using Tessera.Augment.Audio;
using Tessera.Media;

namespace Tessera.Augment.Tests;

public class AudioOperationTests
{
    private static readonly WaveAudio Speech = WaveAudio.Read(Testing.TestAssets.Audio("speech_en_16k.wav"));
    private static readonly WaveAudio Keywords = WaveAudio.Read(Testing.TestAssets.Audio("keywords_en_16k.wav"));

    private static double Decibels(double ratio) => 10 * System.Math.Log10(ratio);

    /// <summary>Writes through a real 16-bit WAV file and reads it back, as `tessera augment` outputs are used.</summary>
    private static WaveAudio ThroughWavFile(WaveAudio audio)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tessera-augment-{Guid.NewGuid():N}.wav");
        try
        {
            WaveFileWriter.Write(audio, path);
            return WaveAudio.Read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(0, "white")]
    [InlineData(10, "white")]
    [InlineData(20, "white")]
    [InlineData(5, "pink")]
    [InlineData(10, "pink")]
    [InlineData(30, "pink")]
    public void Noise_reaches_the_requested_SNR_within_half_a_decibel(double snr, string color)
    {
        foreach (var clean in new[] { Speech, Keywords })
        {
            var noisy = ThroughWavFile(AudioOperations.Catalog.Parse($"noise:snr={snr}:color={color}").Apply(clean, new Random(4)).Output);
            var noise = noisy.Samples.Zip(clean.Samples, (n, c) => n - c).ToArray();
            double measured = Decibels(AudioEffects.Power(clean.Samples) / AudioEffects.Power(noise));
            Assert.InRange(measured, snr - 0.5, snr + 0.5);
        }
    }

    /// <summary>Averaged periodogram power between two frequencies (Hz), by a direct DFT of 512-sample frames.</summary>
    private static double BandPower(float[] samples, int rate, double low, double high)
    {
        const int frame = 512;
        double sum = 0;
        for (int start = 0; start + frame <= samples.Length; start += frame)
        {
            for (int bin = (int)System.Math.Ceiling(low * frame / rate); bin <= (int)(high * frame / rate); bin++)
            {
                double re = 0, im = 0;
                for (int n = 0; n < frame; n++)
                {
                    double angle = 2 * System.Math.PI * bin * n / frame;
                    re += samples[start + n] * System.Math.Cos(angle);
                    im -= samples[start + n] * System.Math.Sin(angle);
                }
                sum += re * re + im * im;
            }
        }
        return sum / ((high - low) * frame / rate);
    }

    [Fact]
    public void Pink_noise_falls_three_decibels_per_octave_and_white_is_flat()
    {
        var pink = AudioEffects.PinkNoise(32768, new Random(2));
        var white = AudioEffects.WhiteNoise(32768, new Random(2));
        // 150-300 Hz against 2400-4800 Hz: four octaves apart, so 12 dB for 1/f noise and 0 dB for white.
        double pinkSlope = Decibels(BandPower(pink, 16000, 150, 300) / BandPower(pink, 16000, 2400, 4800));
        double whiteSlope = Decibels(BandPower(white, 16000, 150, 300) / BandPower(white, 16000, 2400, 4800));
        Assert.InRange(pinkSlope, 10.5, 13.5);
        Assert.InRange(whiteSlope, -1, 1);
    }

    [Fact]
    public void Gain_scales_the_level_by_the_decibels_given()
    {
        var louder = AudioEffects.Gain(Speech, 6);
        Assert.Equal(6, Decibels(AudioEffects.Power(louder.Samples) / AudioEffects.Power(Speech.Samples)), 3);
        var sampled = AudioOperations.Catalog.Parse("gain:db=-6..6").Apply(Speech, new Random(1));
        double db = (double)sampled.Applied.Single().Parameters["db"];
        Assert.InRange(db, -6, 6);
        Assert.Equal(db, Decibels(AudioEffects.Power(sampled.Output.Samples) / AudioEffects.Power(Speech.Samples)), 2);
    }

    [Fact]
    public void Speed_one_half_doubles_the_length_and_two_halves_it()
    {
        Assert.Equal(2 * Keywords.Samples.Length, AudioEffects.Speed(Keywords, 0.5).Samples.Length);
        Assert.Equal(Keywords.Samples.Length / 2, AudioEffects.Speed(Keywords, 2).Samples.Length);
        Assert.Equal(Keywords.SampleRate, AudioEffects.Speed(Keywords, 2).SampleRate);
        // A 300 Hz tone played twice as fast is a 600 Hz tone: twice the zero crossings per second.
        var tone = new WaveAudio(Enumerable.Range(0, 16000).Select(i => (float)System.Math.Sin(2 * System.Math.PI * 300 * i / 16000)).ToArray(), 16000);
        static double CrossingsPerSecond(WaveAudio a) =>
            Enumerable.Range(1, a.Samples.Length - 1).Count(i => (a.Samples[i - 1] < 0) != (a.Samples[i] < 0)) / a.Duration;
        Assert.InRange(CrossingsPerSecond(AudioEffects.Speed(tone, 2)), 1180, 1220);
    }

    [Fact]
    public void Reverb_extends_the_tail_after_speech_ends()
    {
        var result = AudioEffects.Reverb(Speech, 0.4, 0.5, new Random(3));
        Assert.Equal(Speech.Samples.Length + (int)(0.4 * 16000) - 1, result.Samples.Length);
        int end = Array.FindLastIndex(Speech.Samples, s => System.Math.Abs(s) > 0.05);
        // The last word fades out within 50 ms; from 50 to 250 ms after, the dry clip is silent and the reverberant one is not.
        double before = AudioEffects.Power(Speech.Samples.AsSpan(end + 800, 3200)), after = AudioEffects.Power(result.Samples.AsSpan(end + 800, 3200));
        Assert.True(after > 1000 * before, $"tail power {after:E2} vs {before:E2}");
        // The tail decays: 150-250 ms after the speech holds less energy than 50-150 ms.
        Assert.True(AudioEffects.Power(result.Samples.AsSpan(end + 2400, 1600)) < 0.5 * AudioEffects.Power(result.Samples.AsSpan(end + 800, 1600)));
        // mix 0 is the dry signal, padded with the tail's length of silence.
        var dry = AudioEffects.Reverb(Speech, 0.4, 0, new Random(3));
        Assert.Equal(Speech.Samples, dry.Samples[..Speech.Samples.Length]);
    }

    [Fact]
    public void Shifts_move_content_and_circular_shifts_undo()
    {
        var there = AudioEffects.Shift(Keywords, 1234, circular: true);
        Assert.Equal(Keywords.Samples, AudioEffects.Shift(there, -1234, circular: true).Samples);
        var delayed = AudioEffects.Shift(Keywords, 800, circular: false);
        Assert.All(delayed.Samples[..800], s => Assert.Equal(0f, s));
        Assert.Equal(Keywords.Samples[..^800], delayed.Samples[800..]);
        var applied = AudioOperations.Catalog.Parse("shift:seconds=0.1:mode=zero").Apply(Keywords, new Random(6)).Applied.Single();
        Assert.InRange((int)applied.Parameters["samples"], -1600, 1600);
    }

    [Fact]
    public void The_same_seed_gives_the_same_samples_and_another_seed_others()
    {
        const string spec = "gain:db=-6..6, noise:snr=10:color=pink, shift:seconds=0.1, speed:factor=0.9..1.1, reverb:decay=0.4:mix=0.2";
        var pipeline = AudioOperations.Catalog.Parse(spec);
        var first = pipeline.Apply(Keywords, new Random(21)).Output;
        Assert.Equal(WaveFileWriter.Encode(first), WaveFileWriter.Encode(pipeline.Apply(Keywords, new Random(21)).Output));
        Assert.NotEqual(WaveFileWriter.Encode(first), WaveFileWriter.Encode(pipeline.Apply(Keywords, new Random(22)).Output));
    }

    [Fact]
    public void Convolution_matches_the_definition()
    {
        float[] signal = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], kernel = [0.5f, -1, 2, 0.25f, 1, 1, 1, 1, 1, 3];
        var result = AudioEffects.Convolve(signal, kernel);
        Assert.Equal(signal.Length + kernel.Length - 1, result.Length);
        for (int n = 0; n < result.Length; n++)
        {
            double expected = 0;
            for (int k = 0; k < kernel.Length; k++) if (n - k >= 0 && n - k < signal.Length) expected += kernel[k] * signal[n - k];
            Assert.Equal(expected, result[n], 4);
        }
    }
}
