using System.Globalization;
using System.Text;

namespace Tessera.Core;

/// <summary>A dense, row-major tensor whose elements live in a typed CLR array
/// (float[] for float32, Half[] for float16, sbyte[] for int8, string[] for string, ...).
/// Shapes are concrete at run time; the IR's <see cref="TensorShape"/> carries symbolic dims.</summary>
public sealed class Tensor : DataValue
{
    /// <summary>Largest element count a single tensor may hold; guards against malicious models.</summary>
    public const long MaxElements = int.MaxValue - 64;

    private Tensor(DataType type, int[] shape, Array data)
    {
        DataType = type;
        Shape = shape;
        Data = data;
    }

    public DataType DataType { get; }

    /// <summary>Dimensions, outermost first. Do not mutate.</summary>
    public int[] Shape { get; }

    /// <summary>The backing array; its CLR element type is <see cref="DataTypes.ClrType"/> of <see cref="DataType"/>.</summary>
    public Array Data { get; }

    public int Rank => Shape.Length;

    public int Length => Data.Length;

    public static Tensor Create<T>(int[] shape, T[] data)
    {
        var type = DataTypes.FromClrType(typeof(T));
        long count = ShapeMath.ElementCount(shape);
        if (count != data.Length)
        {
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {count} elements but {data.Length} were given");
        }
        return new Tensor(type, (int[])shape.Clone(), data);
    }

    /// <summary>Wraps an array whose element type must match <paramref name="type"/>.</summary>
    public static Tensor FromArray(DataType type, int[] shape, Array data)
    {
        if (data.GetType().GetElementType() != DataTypes.ClrType(type))
        {
            throw new ArgumentException($"array of {data.GetType().GetElementType()} cannot hold {DataTypes.Name(type)}");
        }
        if (ShapeMath.ElementCount(shape) != data.Length)
        {
            throw new ArgumentException($"shape [{string.Join(",", shape)}] does not match {data.Length} elements");
        }
        return new Tensor(type, (int[])shape.Clone(), data);
    }

    public static Tensor Scalar<T>(T value) => Create([], new[] { value });

    public static Tensor Zeros(DataType type, int[] shape)
    {
        long count = ShapeMath.ElementCount(shape);
        if (count > MaxElements) throw new ModelFormatException($"tensor of shape [{string.Join(",", shape)}] is too large");
        var array = Array.CreateInstance(DataTypes.ClrType(type), (int)count);
        if (type == DataType.String) Array.Fill((string[])array, string.Empty);
        return new Tensor(type, (int[])shape.Clone(), array);
    }

    public T[] As<T>() => Data as T[]
        ?? throw new InvalidCastException($"tensor holds {DataTypes.Name(DataType)}, not {typeof(T).Name}");

    public Span<T> AsSpan<T>() => As<T>().AsSpan();

    /// <summary>The same data seen with another shape of equal element count (no copy).</summary>
    public Tensor Reshape(int[] shape)
    {
        if (ShapeMath.ElementCount(shape) != Length)
        {
            throw new ArgumentException($"cannot reshape {ShapeMath.Format(Shape)} to {ShapeMath.Format(shape)}");
        }
        return new Tensor(DataType, (int[])shape.Clone(), Data);
    }

    public Tensor Clone() => new(DataType, (int[])Shape.Clone(), (Array)Data.Clone());

    /// <summary>Element i converted to double (bool gives 0/1). Not for strings.</summary>
    // Dispatch on DataType, not on the array's type: the CLR lets a byte[] pass a type test for sbyte[]
    // (likewise ushort/short, uint/int, ulong/long), so `Data switch { sbyte[] ... }` misreads unsigned data.
    public double GetDouble(int i) => DataType switch
    {
        DataType.Float32 => ((float[])Data)[i],
        DataType.Float64 => ((double[])Data)[i],
        DataType.Float16 => (double)((Half[])Data)[i],
        DataType.BFloat16 => (float)((BFloat16[])Data)[i],
        DataType.Int8 => ((sbyte[])Data)[i],
        DataType.UInt8 => ((byte[])Data)[i],
        DataType.Int16 => ((short[])Data)[i],
        DataType.UInt16 => ((ushort[])Data)[i],
        DataType.Int32 => ((int[])Data)[i],
        DataType.UInt32 => ((uint[])Data)[i],
        DataType.Int64 => ((long[])Data)[i],
        DataType.UInt64 => ((ulong[])Data)[i],
        DataType.Bool => ((bool[])Data)[i] ? 1 : 0,
        _ => throw new NotSupportedException($"{DataTypes.Name(DataType)} has no numeric value"),
    };

    /// <summary>Element i converted to long (floats truncate toward zero).</summary>
    public long GetInt64(int i) => DataType switch
    {
        DataType.Int64 => ((long[])Data)[i],
        DataType.Int32 => ((int[])Data)[i],
        DataType.UInt64 => unchecked((long)((ulong[])Data)[i]),
        DataType.UInt32 => ((uint[])Data)[i],
        DataType.Int16 => ((short[])Data)[i],
        DataType.UInt16 => ((ushort[])Data)[i],
        DataType.Int8 => ((sbyte[])Data)[i],
        DataType.UInt8 => ((byte[])Data)[i],
        DataType.Bool => ((bool[])Data)[i] ? 1 : 0,
        _ => (long)GetDouble(i),
    };

    /// <summary>Stores a double into element i with the conversion rules of a C cast
    /// (round-to-nearest for floats, truncation and wrap-around for integers).</summary>
    public void SetDouble(int i, double value)
    {
        switch (Data)
        {
            case float[] a: a[i] = (float)value; break;
            case double[] a: a[i] = value; break;
            case Half[] a: a[i] = (Half)value; break;
            case BFloat16[] a: a[i] = (BFloat16)value; break;
            case sbyte[] a: a[i] = unchecked((sbyte)(long)value); break;
            case byte[] a: a[i] = unchecked((byte)(long)value); break;
            case short[] a: a[i] = unchecked((short)(long)value); break;
            case ushort[] a: a[i] = unchecked((ushort)(long)value); break;
            case int[] a: a[i] = unchecked((int)(long)value); break;
            case uint[] a: a[i] = unchecked((uint)(long)value); break;
            case ulong[] a when DataType == DataType.UInt64: a[i] = value < 0 ? unchecked((ulong)(long)value) : (ulong)value; break;
            case long[] a: a[i] = (long)value; break;
            case bool[] a: a[i] = value != 0; break;
            default: throw new NotSupportedException($"{DataTypes.Name(DataType)} has no numeric value");
        }
    }

    /// <summary>Stores a long exactly into integer types (wrapping), converting for floats.</summary>
    public void SetInt64(int i, long value)
    {
        switch (Data)
        {
            case long[] a: a[i] = value; break;
            case int[] a: a[i] = unchecked((int)value); break;
            case ulong[] a: a[i] = unchecked((ulong)value); break;
            case uint[] a: a[i] = unchecked((uint)value); break;
            case short[] a: a[i] = unchecked((short)value); break;
            case ushort[] a: a[i] = unchecked((ushort)value); break;
            case sbyte[] a: a[i] = unchecked((sbyte)value); break;
            case byte[] a: a[i] = unchecked((byte)value); break;
            case bool[] a: a[i] = value != 0; break;
            default: SetDouble(i, value); break;
        }
    }

    /// <summary>All elements as doubles (a copy).</summary>
    public double[] ToDoubleArray()
    {
        if (Data is double[] d) return (double[])d.Clone();
        var result = new double[Length];
        if (Data is float[] f)
        {
            for (int i = 0; i < f.Length; i++) result[i] = f[i];
            return result;
        }
        for (int i = 0; i < result.Length; i++) result[i] = GetDouble(i);
        return result;
    }

    /// <summary>All elements as floats (a copy, or the array itself when already float32 and <paramref name="copy"/> is false).</summary>
    public float[] ToFloatArray(bool copy = true)
    {
        if (Data is float[] f) return copy ? (float[])f.Clone() : f;
        var result = new float[Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)GetDouble(i);
        return result;
    }

    /// <summary>All elements as longs (a copy). Integer and bool types are exact.</summary>
    public long[] ToInt64Array()
    {
        var result = new long[Length];
        for (int i = 0; i < result.Length; i++) result[i] = GetInt64(i);
        return result;
    }

    public static Tensor FromDoubles(DataType type, int[] shape, ReadOnlySpan<double> values)
    {
        var t = Zeros(type, shape);
        if (t.Data is double[] d) { values.CopyTo(d); return t; }
        if (t.Data is float[] f)
        {
            for (int i = 0; i < f.Length; i++) f[i] = (float)values[i];
            return t;
        }
        for (int i = 0; i < values.Length; i++) t.SetDouble(i, values[i]);
        return t;
    }

    public static Tensor FromInt64s(DataType type, int[] shape, ReadOnlySpan<long> values)
    {
        var t = Zeros(type, shape);
        for (int i = 0; i < values.Length; i++) t.SetInt64(i, values[i]);
        return t;
    }

    /// <summary>Element-wise conversion to another data type with ONNX Cast semantics for numbers.</summary>
    public Tensor CastTo(DataType target)
    {
        if (target == DataType) return this;
        var result = Zeros(target, Shape);
        bool sourceInteger = DataTypes.IsInteger(DataType) || DataType == DataType.Bool;
        bool targetInteger = DataTypes.IsInteger(target) || target == DataType.Bool;
        if (sourceInteger && targetInteger)
        {
            if (DataType == DataType.UInt64)
            {
                var src = As<ulong>();
                for (int i = 0; i < src.Length; i++) result.SetInt64(i, unchecked((long)src[i]));
            }
            else
            {
                for (int i = 0; i < Length; i++) result.SetInt64(i, GetInt64(i));
            }
            return result;
        }
        if (DataType == DataType.UInt64)
        {
            var src = As<ulong>();
            for (int i = 0; i < src.Length; i++) result.SetDouble(i, src[i]);
            return result;
        }
        for (int i = 0; i < Length; i++) result.SetDouble(i, GetDouble(i));
        return result;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(DataTypes.Name(DataType)).Append(ShapeMath.Format(Shape));
        int n = Math.Min(Length, 8);
        sb.Append(" {");
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(Data.GetValue(i) is IFormattable fmt ? fmt.ToString(null, CultureInfo.InvariantCulture) : Data.GetValue(i));
        }
        if (Length > n) sb.Append(", ...");
        sb.Append('}');
        return sb.ToString();
    }
}
