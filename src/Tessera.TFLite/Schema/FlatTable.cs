using Google.FlatBuffers;
using Tessera.Core;

namespace Tessera.TFLite.Schema;

/// <summary>A bounds-checked view of one FlatBuffers table. Fields are addressed by their id in the
/// TFLite schema (schema.fbs declaration order; a union takes two ids, its type then its value).
/// The file is untrusted, so every offset and vector length is checked against the buffer before
/// use and a violation raises <see cref="ModelFormatException"/> instead of reading out of range.</summary>
public readonly struct FlatTable
{
    private readonly Table _table;
    private readonly string _where;

    internal FlatTable(ByteBuffer buffer, int position, string where)
    {
        _where = where;
        if (position < 0 || position > buffer.Length - 4) throw Corrupt($"table at offset {position} lies outside the file");
        _table = new Table(position, buffer);
        int vtable = position - buffer.GetInt(position);
        if (vtable < 0 || vtable > buffer.Length - 4) throw Corrupt("table's field index lies outside the file");
        int vtableSize = buffer.GetUshort(vtable);
        if (vtableSize < 4 || vtable + vtableSize > buffer.Length) throw Corrupt("table's field index is malformed");
    }

    public string Where => _where;

    private ByteBuffer Buffer => _table.bb;

    /// <summary>Absolute offset of field <paramref name="id"/>, or 0 when the field is absent.</summary>
    private int FieldOffset(int id, int size)
    {
        int relative = _table.__offset(4 + 2 * id);
        if (relative == 0) return 0;
        int absolute = _table.bb_pos + relative;
        if (absolute < 0 || absolute > Buffer.Length - size) throw Corrupt($"field {id} lies outside the file");
        return absolute;
    }

    public bool Has(int id) => _table.__offset(4 + 2 * id) != 0;

    public int Int(int id, int fallback = 0) => FieldOffset(id, 4) is var o && o != 0 ? Buffer.GetInt(o) : fallback;

    public uint UInt(int id, uint fallback = 0) => FieldOffset(id, 4) is var o && o != 0 ? Buffer.GetUint(o) : fallback;

    public ulong ULong(int id, ulong fallback = 0) => FieldOffset(id, 8) is var o && o != 0 ? Buffer.GetUlong(o) : fallback;

    public float Float(int id, float fallback = 0) => FieldOffset(id, 4) is var o && o != 0 ? Buffer.GetFloat(o) : fallback;

    public byte Byte(int id, byte fallback = 0) => FieldOffset(id, 1) is var o && o != 0 ? Buffer.Get(o) : fallback;

    public sbyte SByte(int id, sbyte fallback = 0) => FieldOffset(id, 1) is var o && o != 0 ? Buffer.GetSbyte(o) : fallback;

    public bool Bool(int id, bool fallback = false) => FieldOffset(id, 1) is var o && o != 0 ? Buffer.Get(o) != 0 : fallback;

    /// <summary>Follows the offset stored in field <paramref name="id"/>; null when absent.</summary>
    private int? Indirect(int id)
    {
        int o = FieldOffset(id, 4);
        if (o == 0) return null;
        long target = (long)o + Buffer.GetUint(o);
        if (target > Buffer.Length - 4) throw Corrupt($"field {id} points outside the file");
        return (int)target;
    }

    public FlatTable? Table(int id, string where) => Indirect(id) is { } p ? new FlatTable(Buffer, p, where) : null;

    public string? String(int id)
    {
        var (start, length) = VectorSpan(id, 1);
        return start < 0 ? null : System.Text.Encoding.UTF8.GetString(Buffer.ToArray<byte>(start, length));
    }

    /// <summary>Start and element count of a vector field, checked to fit the file; (-1, 0) when absent.</summary>
    private (int Start, int Length) VectorSpan(int id, int elementSize)
    {
        if (Indirect(id) is not { } p) return (-1, 0);
        uint count = Buffer.GetUint(p);
        long bytes = (long)count * elementSize;
        if (p + 4 + bytes > Buffer.Length) throw Corrupt($"field {id} holds {count} elements, more than the file has room for");
        return (p + 4, (int)count);
    }

    public int[] Ints(int id) => Read(id, 4, (b, o) => b.GetInt(o));

    public long[] Longs(int id) => Read(id, 8, (b, o) => b.GetLong(o));

    public float[] Floats(int id) => Read(id, 4, (b, o) => b.GetFloat(o));

    public byte[] Bytes(int id)
    {
        var (start, length) = VectorSpan(id, 1);
        return start < 0 ? [] : Buffer.ToArray<byte>(start, length);
    }

    private T[] Read<T>(int id, int size, Func<ByteBuffer, int, T> get)
    {
        var (start, length) = VectorSpan(id, size);
        if (start < 0) return [];
        var result = new T[length];
        for (int i = 0; i < length; i++) result[i] = get(Buffer, start + i * size);
        return result;
    }

    /// <summary>The tables of a vector-of-tables field, each named "<paramref name="what"/> i".</summary>
    public FlatTable[] Tables(int id, string what)
    {
        var (start, length) = VectorSpan(id, 4);
        if (start < 0) return [];
        var result = new FlatTable[length];
        for (int i = 0; i < length; i++)
        {
            int slot = start + i * 4;
            long target = (long)slot + Buffer.GetUint(slot);
            if (target > Buffer.Length - 4) throw Corrupt($"{what} {i} points outside the file");
            result[i] = new FlatTable(Buffer, (int)target, $"{what} {i}");
        }
        return result;
    }

    private ModelFormatException Corrupt(string message) =>
        new($"malformed TFLite file: {message}", _where, "the file may be truncated or not a .tflite model");
}
