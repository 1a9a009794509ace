using System.Numerics;
using Tessera.Media;

namespace Tessera.Augment.Audio;

/// <summary>Audio transforms on float samples. Pure functions of their arguments (the noisy ones take the
/// <see cref="Random"/> they draw from). Samples are not clipped here; writing a WAV file clips to 16 bits.</summary>
public static class AudioEffects
{
    public static WaveAudio Gain(WaveAudio audio, double decibels)
    {
        float factor = (float)System.Math.Pow(10, decibels / 20);
        return audio with { Samples = audio.Samples.Select(s => s * factor).ToArray() };
    }

    /// <summary>Mean square of the samples (0 for an empty clip).</summary>
    public static double Power(ReadOnlySpan<float> samples)
    {
        double sum = 0;
        foreach (var s in samples) sum += (double)s * s;
        return samples.Length == 0 ? 0 : sum / samples.Length;
    }

    /// <summary>Adds white or pink noise scaled so that the clip's power over the noise's power, measured on
    /// the noise actually drawn, is <paramref name="snrDecibels"/>. A silent clip has no defined SNR and is returned unchanged.</summary>
    public static WaveAudio AddNoise(WaveAudio audio, double snrDecibels, NoiseColor color, Random random)
    {
        var noise = color == NoiseColor.Pink ? PinkNoise(audio.Samples.Length, random) : WhiteNoise(audio.Samples.Length, random);
        double signalPower = Power(audio.Samples), noisePower = Power(noise);
        if (signalPower == 0 || noisePower == 0) return audio with { Samples = (float[])audio.Samples.Clone() };
        double scale = System.Math.Sqrt(signalPower / (noisePower * System.Math.Pow(10, snrDecibels / 10)));
        var result = new float[audio.Samples.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)(audio.Samples[i] + scale * noise[i]);
        return audio with { Samples = result };
    }

    public static float[] WhiteNoise(int count, Random random)
    {
        var noise = new float[count];
        for (int i = 0; i < count; i++) noise[i] = (float)Gaussian.Next(random);
        return noise;
    }

    /// <summary>Pink (1/f) noise: white Gaussian noise through Paul Kellet's "refined" filter, a sum of seven
    /// one-pole low-passes whose poles are spread so the sum falls 3 dB per octave (within about 0.05 dB from
    /// 9.2 Hz to the Nyquist frequency at 44.1 kHz; the shape scales with the sample rate).</summary>
    public static float[] PinkNoise(int count, Random random)
    {
        var noise = new float[count];
        double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
        for (int i = 0; i < count; i++)
        {
            double white = Gaussian.Next(random);
            b0 = 0.99886 * b0 + white * 0.0555179;
            b1 = 0.99332 * b1 + white * 0.0750759;
            b2 = 0.96900 * b2 + white * 0.1538520;
            b3 = 0.86650 * b3 + white * 0.3104856;
            b4 = 0.55000 * b4 + white * 0.5329522;
            b5 = -0.7616 * b5 - white * 0.0168980;
            noise[i] = (float)(b0 + b1 + b2 + b3 + b4 + b5 + b6 + white * 0.5362);
            b6 = white * 0.115926;
        }
        return noise;
    }

    /// <summary>Moves the content later by <paramref name="samples"/> (earlier when negative). Circular wraps
    /// what falls off one end round to the other; otherwise the gap is silence.</summary>
    public static WaveAudio Shift(WaveAudio audio, int samples, bool circular)
    {
        int length = audio.Samples.Length;
        var result = new float[length];
        for (int i = 0; i < length; i++)
        {
            int source = i - samples;
            if (circular) source = ((source % length) + length) % length;
            if (source >= 0 && source < length) result[i] = audio.Samples[source];
        }
        return audio with { Samples = result };
    }

    /// <summary>Plays the clip <paramref name="factor"/> times faster (length / factor, pitch up by the same
    /// factor, like a tape) by windowed-sinc resampling at the same sample rate.</summary>
    public static WaveAudio Speed(WaveAudio audio, double factor) =>
        audio with { Samples = WaveAudio.Resample(audio.Samples, 1 / factor) };

    /// <summary>Convolution reverb with a synthetic room: an impulse response of Gaussian noise under an
    /// exponential envelope that falls 60 dB in <paramref name="decaySeconds"/> (RT60), normalized to unit
    /// energy. Output = (1 - mix) dry + mix wet; it is longer than the input by the response's tail.</summary>
    public static WaveAudio Reverb(WaveAudio audio, double decaySeconds, double mix, Random random)
    {
        int length = System.Math.Max(1, (int)System.Math.Round(decaySeconds * audio.SampleRate));
        var response = new float[length];
        double energy = 0, rate = System.Math.Log(1000) / System.Math.Max(decaySeconds * audio.SampleRate, 1);
        for (int i = 0; i < length; i++)
        {
            response[i] = (float)(Gaussian.Next(random) * System.Math.Exp(-rate * i));
            energy += (double)response[i] * response[i];
        }
        float norm = (float)(1 / System.Math.Sqrt(energy));
        for (int i = 0; i < length; i++) response[i] *= norm;
        var wet = Convolve(audio.Samples, response);
        for (int i = 0; i < wet.Length; i++)
        {
            float dry = i < audio.Samples.Length ? audio.Samples[i] : 0;
            wet[i] = (float)((1 - mix) * dry + mix * wet[i]);
        }
        return audio with { Samples = wet };
    }

    /// <summary>Full linear convolution (length n + m - 1) through the FFT: a room response of a few tenths
    /// of a second is thousands of taps, too many for a direct sum over a clip of seconds.</summary>
    public static float[] Convolve(float[] signal, float[] kernel)
    {
        if (signal.Length == 0 || kernel.Length == 0) return [];
        int outputLength = signal.Length + kernel.Length - 1;
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)outputLength);
        var first = new Complex[size];
        var second = new Complex[size];
        for (int i = 0; i < signal.Length; i++) first[i] = signal[i];
        for (int i = 0; i < kernel.Length; i++) second[i] = kernel[i];
        Fourier.Transform(first, inverse: false);
        Fourier.Transform(second, inverse: false);
        for (int i = 0; i < size; i++) first[i] *= second[i];
        Fourier.Transform(first, inverse: true);
        var result = new float[outputLength];
        for (int i = 0; i < outputLength; i++) result[i] = (float)(first[i].Real / size);
        return result;
    }
}

public enum NoiseColor
{
    White,
    Pink,
}
