using System.Buffers.Binary;

namespace Tessera.Testing;

/// <summary>Reads 16-bit PCM mono WAV files as floats in [-1, 1).</summary>
public static class WavFile
{
    public static (float[] Samples, int SampleRate) Read(string path)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        int pos = 12, rate = 0, channels = 0, bits = 0;
        while (pos + 8 <= bytes.Length)
        {
            var id = System.Text.Encoding.ASCII.GetString(bytes, pos, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos + 4));
            if (id == "fmt ")
            {
                channels = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(pos + 10));
                rate = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos + 12));
                bits = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(pos + 22));
            }
            else if (id == "data")
            {
                if (channels != 1 || bits != 16) throw new InvalidDataException($"{path}: expected 16-bit mono PCM");
                int count = Math.Min(size, bytes.Length - pos - 8) / 2;
                var samples = new float[count];
                for (int i = 0; i < count; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(pos + 8 + 2 * i)) / 32768f;
                return (samples, rate);
            }
            pos += 8 + size + (size & 1);
        }
        throw new InvalidDataException($"{path}: no data chunk");
    }
}
