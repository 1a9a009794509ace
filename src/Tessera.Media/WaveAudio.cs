using System.Buffers.Binary;
using System.Text;
using Tessera.Core;

namespace Tessera.Media;

/// <summary>Mono audio as floats in [-1, 1) with its sample rate.</summary>
public sealed record WaveAudio(float[] Samples, int SampleRate)
{
    public double Duration => (double)Samples.Length / SampleRate;

    /// <summary>Reads a 16-bit PCM WAV file (RIFF chunks; several channels are averaged to mono).</summary>
    public static WaveAudio Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"audio file '{path}' does not exist", path, "give a 16-bit PCM WAV file");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || Encoding.ASCII.GetString(bytes, 0, 4) != "RIFF" || Encoding.ASCII.GetString(bytes, 8, 4) != "WAVE")
        {
            throw new InvalidInputException($"'{path}' is not a RIFF/WAVE file", path, "give a 16-bit PCM WAV file");
        }
        int position = 12, rate = 0, channels = 0, bits = 0, format = 0;
        while (position + 8 <= bytes.Length)
        {
            var id = Encoding.ASCII.GetString(bytes, position, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 4));
            if (id == "fmt " && position + 24 <= bytes.Length)
            {
                format = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(position + 8));
                channels = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(position + 10));
                rate = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position + 12));
                bits = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(position + 22));
            }
            else if (id == "data")
            {
                // WAVE_FORMAT_EXTENSIBLE (0xFFFE) carries PCM too; anything else is compressed.
                if ((format != 1 && format != 0xFFFE) || bits != 16 || channels < 1 || rate <= 0)
                {
                    throw new UnsupportedException($"'{path}' is format {format}, {bits}-bit, {channels} channels; only 16-bit PCM is supported",
                        path, "convert it, e.g. ffmpeg -i IN -acodec pcm_s16le OUT.wav");
                }
                long available = Math.Min(size, bytes.Length - position - 8);
                int frames = (int)(available / (2 * channels));
                var samples = new float[frames];
                for (int i = 0; i < frames; i++)
                {
                    float sum = 0;
                    for (int c = 0; c < channels; c++)
                    {
                        sum += BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(position + 8 + 2 * (i * channels + c))) / 32768f;
                    }
                    samples[i] = sum / channels;
                }
                return new WaveAudio(samples, rate);
            }
            position += 8 + (int)Math.Min(size + (size & 1), int.MaxValue - position - 8);
        }
        throw new InvalidInputException($"'{path}' has no fmt/data chunk", path, "give a 16-bit PCM WAV file");
    }

    /// <summary>Resamples with a windowed-sinc (Hann, 16 zero crossings) low-pass at the lower Nyquist rate,
    /// so downsampling does not alias speech energy into the band the model hears.</summary>
    public WaveAudio Resample(int targetRate)
    {
        if (targetRate == SampleRate) return this;
        return new WaveAudio(Resample(Samples, (double)targetRate / SampleRate), targetRate);
    }

    /// <summary>The samples resampled by <paramref name="ratio"/> (output rate / input rate, any positive real),
    /// floor(length * ratio) samples; augmentation's speed change uses non-integer ratios.</summary>
    public static float[] Resample(float[] samples, double ratio)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (!(ratio > 0) || double.IsInfinity(ratio)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "the ratio must be positive");
        double cutoff = Math.Min(1.0, ratio);
        const int zeroCrossings = 16;
        double halfWidth = zeroCrossings / cutoff;
        int count = (int)Math.Floor(samples.Length * ratio);
        var result = new float[count];
        for (int i = 0; i < count; i++)
        {
            double center = i / ratio;
            int first = (int)Math.Ceiling(center - halfWidth), last = (int)Math.Floor(center + halfWidth);
            double sum = 0;
            for (int j = Math.Max(0, first); j <= Math.Min(samples.Length - 1, last); j++)
            {
                double t = j - center;
                double argument = Math.PI * t * cutoff;
                double sinc = Math.Abs(t) < 1e-9 ? 1 : Math.Sin(argument) / argument;
                double window = 0.5 + 0.5 * Math.Cos(Math.PI * t / halfWidth);
                sum += samples[j] * cutoff * sinc * window;
            }
            result[i] = (float)sum;
        }
        return result;
    }
}
