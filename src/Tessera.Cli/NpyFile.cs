using System.Globalization;
using System.Text;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Cli;

/// <summary>Minimal NumPy .npy reader/writer for the NPU's int8 and int32 tensors (format version 1.0,
/// C order, little-endian).</summary>
internal static class NpyFile
{
    public static byte[] Read(string path, TensorBinding tensor)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < 10 || data[0] != 0x93 || Encoding.ASCII.GetString(data, 1, 5) != "NUMPY")
        {
            throw new InvalidInputException("not a .npy file", path);
        }
        int headerLength = data[6] == 1 ? BitConverter.ToUInt16(data, 8) : BitConverter.ToInt32(data, 8);
        int headerStart = data[6] == 1 ? 10 : 12;
        if (headerLength < 0 || headerStart + headerLength > data.Length) throw new InvalidInputException("truncated .npy header", path);
        string header = Encoding.ASCII.GetString(data, headerStart, headerLength);
        string expected = tensor.Type == NpuDataType.Int32 ? "<i4" : "|i1";
        if (!header.Contains($"'descr': '{expected}'", StringComparison.Ordinal) && !(tensor.Type == NpuDataType.Int8 && header.Contains("'|u1'", StringComparison.Ordinal)))
        {
            throw new InvalidInputException($"input '{tensor.Name}' must be {Disassembler.TypeName(tensor.Type)} ({expected})", path, "convert it with numpy's astype");
        }
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal)) throw new InvalidInputException("Fortran-order arrays are not supported", path);
        var payload = data.AsSpan(headerStart + headerLength);
        if (payload.Length != tensor.ByteLength)
        {
            throw new InvalidInputException($"input '{tensor.Name}' has {payload.Length} bytes, expected {tensor.ByteLength} (shape {string.Join('x', tensor.Shape)})", path);
        }
        return payload.ToArray();
    }

    public static void Write(string path, TensorBinding tensor, byte[] bytes)
    {
        string descr = tensor.Type == NpuDataType.Int32 ? "<i4" : "|i1";
        string shape = tensor.Shape.Length == 1 ? $"({tensor.Shape[0]},)" : $"({string.Join(", ", tensor.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))})";
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        AtomicFile.Write(path, stream =>
        {
            stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            stream.Write(BitConverter.GetBytes((ushort)header.Length));
            stream.Write(Encoding.ASCII.GetBytes(header));
            stream.Write(bytes);
        });
    }
}
