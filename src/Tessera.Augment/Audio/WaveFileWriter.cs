using System.Buffers.Binary;
using System.Text;
using Tessera.Core;
using Tessera.Media;

namespace Tessera.Augment.Audio;

/// <summary>Writes mono 16-bit PCM WAV files atomically (samples clipped to [-1, 1)).</summary>
public static class WaveFileWriter
{
    public static byte[] Encode(WaveAudio audio)
    {
        int dataBytes = audio.Samples.Length * 2;
        var bytes = new byte[44 + dataBytes];
        Encoding.ASCII.GetBytes("RIFF").CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 36 + dataBytes);
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(bytes, 8);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), audio.SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(28), audio.SampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(34), 16);
        Encoding.ASCII.GetBytes("data").CopyTo(bytes, 36);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(40), dataBytes);
        for (int i = 0; i < audio.Samples.Length; i++)
        {
            var value = (short)System.Math.Clamp(System.Math.Round(audio.Samples[i] * 32768.0), short.MinValue, short.MaxValue);
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(44 + 2 * i), value);
        }
        return bytes;
    }

    public static void Write(WaveAudio audio, string path) => AtomicFile.WriteAllBytes(path, Encode(audio));
}
