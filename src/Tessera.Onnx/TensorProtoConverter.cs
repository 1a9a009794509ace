using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using Tessera.Core;
using Tessera.Onnx.Proto;

namespace Tessera.Onnx;

/// <summary>Converts between ONNX TensorProto and <see cref="Tensor"/>, checking every size against
/// the declared shape (model files are untrusted).</summary>
public static class TensorProtoConverter
{
    /// <summary>Reads a TensorProto. <paramref name="externalDataRoot"/> is the folder external data
    /// must stay inside; null forbids external data.</summary>
    public static Tensor ToTensor(TensorProto proto, string? externalDataRoot, string? where = null)
    {
        where ??= string.IsNullOrEmpty(proto.Name) ? "tensor" : $"tensor '{proto.Name}'";
        var type = (DataType)proto.DataType;
        if (!Enum.IsDefined(type) || type == DataType.Undefined)
        {
            throw new ModelFormatException($"unknown data type code {proto.DataType}", where);
        }
        if (type is DataType.Complex64 or DataType.Complex128)
        {
            throw new UnsupportedException($"{DataTypes.Name(type)} tensors are not supported", where);
        }
        var shape = new int[proto.Dims.Count];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = proto.Dims[i];
            if (d < 0 || d > int.MaxValue) throw new ModelFormatException($"dimension {d} is invalid", where);
            shape[i] = (int)d;
            count *= d;
            if (count > Tensor.MaxElements) throw new ModelFormatException($"shape [{string.Join(",", proto.Dims)}] has too many elements", where);
        }
        int n = (int)count;

        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            var bytes = ExternalData.Read(proto, externalDataRoot, where);
            return FromRawBytes(type, shape, n, bytes, where);
        }
        if (!proto.RawData.IsEmpty) return FromRawBytes(type, shape, n, proto.RawData.Span, where);

        var tensor = Tensor.Zeros(type, shape);
        switch (type)
        {
            case DataType.Float32:
                CheckCount(proto.FloatData.Count, n, where);
                proto.FloatData.CopyTo(tensor.As<float>(), 0);
                break;
            case DataType.Float64:
                CheckCount(proto.DoubleData.Count, n, where);
                proto.DoubleData.CopyTo(tensor.As<double>(), 0);
                break;
            case DataType.Int64:
                CheckCount(proto.Int64Data.Count, n, where);
                proto.Int64Data.CopyTo(tensor.As<long>(), 0);
                break;
            case DataType.UInt32:
            case DataType.UInt64:
                CheckCount(proto.Uint64Data.Count, n, where);
                for (int i = 0; i < n; i++) tensor.SetInt64(i, unchecked((long)proto.Uint64Data[i]));
                break;
            case DataType.Float16:
                CheckCount(proto.Int32Data.Count, n, where);
                var halves = tensor.As<Half>();
                for (int i = 0; i < n; i++) halves[i] = BitConverter.UInt16BitsToHalf((ushort)proto.Int32Data[i]);
                break;
            case DataType.BFloat16:
                CheckCount(proto.Int32Data.Count, n, where);
                var bf = tensor.As<BFloat16>();
                for (int i = 0; i < n; i++) bf[i] = BFloat16.FromBits((ushort)proto.Int32Data[i]);
                break;
            case DataType.String:
                CheckCount(proto.StringData.Count, n, where);
                var strings = tensor.As<string>();
                for (int i = 0; i < n; i++) strings[i] = proto.StringData[i].ToStringUtf8();
                break;
            default:
                CheckCount(proto.Int32Data.Count, n, where);
                for (int i = 0; i < n; i++) tensor.SetInt64(i, proto.Int32Data[i]);
                break;
        }
        return tensor;
    }

    private static void CheckCount(int actual, int expected, string where)
    {
        if (actual != expected)
        {
            throw new ModelFormatException($"holds {actual} values but its shape needs {expected}", where);
        }
    }

    /// <summary>Decodes little-endian raw bytes into a tensor of the given type and shape.</summary>
    public static Tensor FromRawBytes(DataType type, int[] shape, int count, ReadOnlySpan<byte> bytes, string where)
    {
        if (type == DataType.String) throw new ModelFormatException("string tensors cannot use raw_data", where);
        int size = DataTypes.SizeOf(type);
        if ((long)count * size != bytes.Length)
        {
            throw new ModelFormatException($"holds {bytes.Length} bytes but its shape needs {(long)count * size}", where);
        }
        var tensor = Tensor.Zeros(type, shape);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        switch (tensor.Data)
        {
            case bool[] b:
                for (int i = 0; i < count; i++) b[i] = bytes[i] != 0;
                break;
            case float[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case double[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case Half[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case BFloat16[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case sbyte[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case byte[] a: bytes.CopyTo(a); break;
            case short[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case ushort[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case int[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case uint[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case long[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case ulong[] a: bytes.CopyTo(MemoryMarshal.AsBytes(a.AsSpan())); break;
            default: throw new UnsupportedException($"raw data of {DataTypes.Name(type)}", where);
        }
        return tensor;
    }

    /// <summary>Little-endian bytes of a numeric tensor (bool as one byte each).</summary>
    public static byte[] ToRawBytes(Tensor tensor)
    {
        switch (tensor.Data)
        {
            case bool[] b:
                var bytes = new byte[b.Length];
                for (int i = 0; i < b.Length; i++) bytes[i] = b[i] ? (byte)1 : (byte)0;
                return bytes;
            case byte[] a: return (byte[])a.Clone();
            case float[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case double[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case Half[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case BFloat16[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case sbyte[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case short[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case ushort[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case int[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case uint[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case long[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            case ulong[] a: return MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
            default: throw new NotSupportedException($"{DataTypes.Name(tensor.DataType)} has no raw byte form");
        }
    }

    public static TensorProto ToProto(Tensor tensor, string name)
    {
        var proto = new TensorProto { Name = name, DataType = (int)tensor.DataType };
        foreach (var d in tensor.Shape) proto.Dims.Add(d);
        if (tensor.DataType == DataType.String)
        {
            foreach (var s in tensor.As<string>()) proto.StringData.Add(ByteString.CopyFrom(Encoding.UTF8.GetBytes(s)));
        }
        else
        {
            proto.RawData = ByteString.CopyFrom(ToRawBytes(tensor));
        }
        return proto;
    }

    /// <summary>Reads a serialized TensorProto file (.pb), as used by the ONNX test data.</summary>
    public static Tensor ReadFile(string path)
    {
        var bytes = ModelFiles.ReadAllBytes(path, "tensor file");
        TensorProto proto;
        try
        {
            proto = TensorProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFormatException($"not a serialized ONNX TensorProto ({e.Message})", path, null, e);
        }
        return ToTensor(proto, null, path);
    }

    internal static short ReadInt16(ReadOnlySpan<byte> b) => BinaryPrimitives.ReadInt16LittleEndian(b);
}
