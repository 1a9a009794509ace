using System.Runtime.InteropServices;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Cli;

/// <summary>Moves an NPU program's int8/int32 tensors between .npy files (Core's <see cref="NpyFile"/>)
/// and the raw little-endian bytes the simulator's DRAM holds.</summary>
internal static class ProgramTensorFiles
{
    public static byte[] Read(string path, TensorBinding tensor)
    {
        var array = NpyFile.Read(path);
        var expected = tensor.Type == NpuDataType.Int32 ? DataType.Int32 : DataType.Int8;
        if (array.DataType == DataType.UInt8 && expected == DataType.Int8) array = Tensor.FromArray(DataType.Int8, array.Shape, Array.ConvertAll(array.As<byte>(), b => unchecked((sbyte)b)));
        if (array.DataType != expected)
        {
            throw new InvalidInputException($"input '{tensor.Name}' must be {Disassembler.TypeName(tensor.Type)} but the file holds {DataTypes.Name(array.DataType)}", path, "convert it with numpy's astype");
        }
        if ((long)array.Length * NpyElementSize(expected) != tensor.ByteLength)
        {
            throw new InvalidInputException($"input '{tensor.Name}' has {array.Length} elements, expected {tensor.ElementCount} (shape {string.Join('x', tensor.Shape)})", path);
        }
        return expected == DataType.Int32
            ? MemoryMarshal.AsBytes(array.As<int>().AsSpan()).ToArray()
            : MemoryMarshal.AsBytes(array.As<sbyte>().AsSpan()).ToArray();
    }

    public static void Write(string path, TensorBinding tensor, byte[] bytes)
    {
        Tensor array = tensor.Type == NpuDataType.Int32
            ? Tensor.Create(tensor.Shape, MemoryMarshal.Cast<byte, int>(bytes).ToArray())
            : Tensor.Create(tensor.Shape, MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray());
        NpyFile.Write(path, array);
    }

    private static int NpyElementSize(DataType type) => DataTypes.SizeOf(type);
}
