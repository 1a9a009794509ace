using Tessera.Core;

namespace Tessera.Integer;

/// <summary>The values of one run, by name. 8-bit tensors are stored as int8 (uint8 ones shifted by -128, see
/// <see cref="ActivationQuantization"/>) and remember whether they were uint8, so a float island or a graph
/// output sees the type the model declared.</summary>
public sealed class IntegerState
{
    private readonly Dictionary<string, Tensor> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unsigned = new(StringComparer.Ordinal);

    public bool Contains(string name) => _values.ContainsKey(name);

    /// <summary>Forgets every value (keeping the tables' capacity, so a state reused run after run allocates nothing).</summary>
    public void Clear()
    {
        _values.Clear();
        _unsigned.Clear();
    }

    /// <summary>A value as the kernels see it (uint8 already shifted to int8).</summary>
    public Tensor Get(string name) => _values.TryGetValue(name, out var t)
        ? t
        : throw new InvalidOperationException($"value '{name}' was not computed before its use");

    /// <summary>An int8 value for an integer kernel.</summary>
    public Tensor Int8(string name)
    {
        var t = Get(name);
        return t.DataType == DataType.Int8 ? t : throw new UnsupportedException($"'{name}' is {t.DataType}, an integer kernel expects int8 or uint8");
    }

    public bool IsUnsigned(string name) => _unsigned.Contains(name);

    public void SetInt8(string name, Tensor value, bool unsigned)
    {
        if (value.DataType != DataType.Int8) throw new ArgumentException("an int8 tensor is expected", nameof(value));
        _values[name] = value;
        if (unsigned) _unsigned.Add(name); else _unsigned.Remove(name);
    }

    public void Set(string name, Tensor value)
    {
        if (value.DataType == DataType.UInt8)
        {
            SetInt8(name, ToSigned(value), unsigned: true);
            return;
        }
        _values[name] = value;
        _unsigned.Remove(name);
    }

    /// <summary>A value in the type the model declared (uint8 restored).</summary>
    public Tensor Original(string name)
    {
        var t = Get(name);
        return _unsigned.Contains(name) ? ToUnsigned(t) : t;
    }

    public static Tensor ToSigned(Tensor unsigned)
    {
        var source = unsigned.As<byte>();
        var data = new sbyte[source.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (sbyte)(source[i] - 128);
        return Tensor.Create((int[])unsigned.Shape.Clone(), data);
    }

    public static Tensor ToUnsigned(Tensor signed)
    {
        var source = signed.As<sbyte>();
        var data = new byte[source.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(source[i] + 128);
        return Tensor.Create((int[])signed.Shape.Clone(), data);
    }
}
