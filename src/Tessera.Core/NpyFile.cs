using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Tessera.Core;

/// <summary>Reads and writes NumPy .npy files (format versions 1.0 to 3.0, C order, little-endian
/// numeric and bool element types). The header is parsed strictly because the file is user input.</summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private static readonly (string Descr, DataType Type)[] Types =
    [
        ("f4", DataType.Float32), ("f8", DataType.Float64), ("f2", DataType.Float16),
        ("i1", DataType.Int8), ("u1", DataType.UInt8), ("i2", DataType.Int16), ("u2", DataType.UInt16),
        ("i4", DataType.Int32), ("u4", DataType.UInt32), ("i8", DataType.Int64), ("u8", DataType.UInt64),
        ("b1", DataType.Bool),
    ];

    public static Tensor Read(string path)
    {
        if (!File.Exists(path)) throw new TesseraException("tensor file not found", path, "check the path");
        return Parse(File.ReadAllBytes(path), path);
    }

    public static Tensor Parse(ReadOnlySpan<byte> bytes, string where)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
        {
            throw new ModelFormatException("not a .npy file (bad magic)", where, "save the array with numpy.save");
        }
        int major = bytes[6];
        int headerLength, offset;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
            offset = 10;
        }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new ModelFormatException(".npy header is truncated", where);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
            if (length > 1 << 20) throw new ModelFormatException(".npy header is implausibly long", where);
            headerLength = (int)length;
            offset = 12;
        }
        else
        {
            throw new ModelFormatException($".npy format version {major} is not supported", where, "save with numpy 1.x-compatible format");
        }
        if (offset + headerLength > bytes.Length) throw new ModelFormatException(".npy header is truncated", where);
        var header = Encoding.Latin1.GetString(bytes.Slice(offset, headerLength));
        var (type, fortran, shape) = ParseHeader(header, where);
        if (fortran) throw new UnsupportedException("Fortran-order .npy arrays are not supported", where, "save a C-contiguous array (numpy.ascontiguousarray)");
        long count = ShapeMath.ElementCount(shape);
        if (count > Tensor.MaxElements) throw new ModelFormatException($"array of shape {ShapeMath.Format(shape)} is too large", where);
        var payload = bytes[(offset + headerLength)..];
        long needed = count * DataTypes.SizeOf(type);
        if (payload.Length < needed)
        {
            throw new ModelFormatException($"array claims shape {ShapeMath.Format(shape)} ({needed} bytes) but the file holds {payload.Length} bytes of data", where, "the file is truncated");
        }
        var tensor = Tensor.Zeros(type, shape);
        var data = payload[..(int)needed];
        switch (tensor.Data)
        {
            case bool[] b:
                for (int i = 0; i < b.Length; i++) b[i] = data[i] != 0;
                break;
            default:
                data.CopyTo(MemoryMarshal.AsBytes(RawSpan(tensor)));
                break;
        }
        return tensor;
    }

    /// <summary>Writes <paramref name="tensor"/> as a version 1.0 .npy file, atomically.</summary>
    public static void Write(string path, Tensor tensor) => AtomicFile.WriteAllBytes(path, ToBytes(tensor));

    public static byte[] ToBytes(Tensor tensor)
    {
        var descr = Types.FirstOrDefault(t => t.Type == tensor.DataType).Descr
            ?? throw new UnsupportedException($"{DataTypes.Name(tensor.DataType)} tensors cannot be written as .npy", null, "write it as a TensorProto .pb instead");
        var order = descr is "i1" or "u1" or "b1" ? "|" : "<";
        var shapeText = tensor.Rank == 1
            ? $"({tensor.Shape[0]},)"
            : "(" + string.Join(", ", tensor.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        var header = $"{{'descr': '{order}{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + header.Length + 1;
        int padding = (64 - (total % 64)) % 64;
        header = header + new string(' ', padding) + "\n";
        using var stream = new MemoryStream();
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        if (tensor.Data is bool[] b)
        {
            foreach (var v in b) stream.WriteByte(v ? (byte)1 : (byte)0);
        }
        else
        {
            stream.Write(MemoryMarshal.AsBytes(RawSpan(tensor)));
        }
        return stream.ToArray();
    }

    private static Span<byte> RawSpan(Tensor tensor) => tensor.Data switch
    {
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        Half[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        byte[] a => a.AsSpan(),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new UnsupportedException($"{DataTypes.Name(tensor.DataType)} has no .npy layout"),
    };

    private static (DataType Type, bool Fortran, int[] Shape) ParseHeader(string header, string where)
    {
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
        {
            throw new ModelFormatException(".npy header is malformed (needs descr, fortran_order and shape)", where);
        }
        var order = descr.Groups[1].Value;
        var code = descr.Groups[2].Value;
        if (order == ">" && code is not ("i1" or "u1" or "b1"))
        {
            throw new UnsupportedException("big-endian .npy arrays are not supported", where, "convert with array.astype('<" + code + "')");
        }
        var match = Types.FirstOrDefault(t => t.Descr == code);
        if (match.Descr is null) throw new UnsupportedException($".npy element type '{order}{code}' is not supported", where, "use float32, int8/16/32/64, uint8/16/32/64, float16, float64 or bool");
        var dims = new List<int>();
        foreach (var part in shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
            {
                throw new ModelFormatException($".npy shape entry '{part}' is not a non-negative integer", where);
            }
            dims.Add(d);
        }
        return (match.Type, fortran.Groups[1].Value == "True", dims.ToArray());
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=])([a-z]\d+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
