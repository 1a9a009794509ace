namespace Tessera.Core;

/// <summary>Element types of tensors. The numeric values are the ONNX TensorProto.DataType codes,
/// so importers and exporters can cast directly.</summary>
public enum DataType
{
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Float64 = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}

/// <summary>Facts about each <see cref="DataType"/>: size, CLR element type, classification.</summary>
public static class DataTypes
{
    public static int SizeOf(DataType type) => type switch
    {
        DataType.Float32 or DataType.Int32 or DataType.UInt32 => 4,
        DataType.UInt8 or DataType.Int8 or DataType.Bool => 1,
        DataType.UInt16 or DataType.Int16 or DataType.Float16 or DataType.BFloat16 => 2,
        DataType.Int64 or DataType.UInt64 or DataType.Float64 or DataType.Complex64 => 8,
        DataType.Complex128 => 16,
        DataType.String => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no element size"),
    };

    /// <summary>The CLR array element type that stores this data type inside a <see cref="Tensor"/>.</summary>
    public static Type ClrType(DataType type) => type switch
    {
        DataType.Float32 => typeof(float),
        DataType.Float64 => typeof(double),
        DataType.Float16 => typeof(Half),
        DataType.BFloat16 => typeof(BFloat16),
        DataType.Int8 => typeof(sbyte),
        DataType.UInt8 => typeof(byte),
        DataType.Int16 => typeof(short),
        DataType.UInt16 => typeof(ushort),
        DataType.Int32 => typeof(int),
        DataType.UInt32 => typeof(uint),
        DataType.Int64 => typeof(long),
        DataType.UInt64 => typeof(ulong),
        DataType.Bool => typeof(bool),
        DataType.String => typeof(string),
        _ => throw new NotSupportedException($"data type {type} has no tensor storage in Tessera"),
    };

    public static DataType FromClrType(Type type)
    {
        if (type == typeof(float)) return DataType.Float32;
        if (type == typeof(double)) return DataType.Float64;
        if (type == typeof(Half)) return DataType.Float16;
        if (type == typeof(BFloat16)) return DataType.BFloat16;
        if (type == typeof(sbyte)) return DataType.Int8;
        if (type == typeof(byte)) return DataType.UInt8;
        if (type == typeof(short)) return DataType.Int16;
        if (type == typeof(ushort)) return DataType.UInt16;
        if (type == typeof(int)) return DataType.Int32;
        if (type == typeof(uint)) return DataType.UInt32;
        if (type == typeof(long)) return DataType.Int64;
        if (type == typeof(ulong)) return DataType.UInt64;
        if (type == typeof(bool)) return DataType.Bool;
        if (type == typeof(string)) return DataType.String;
        throw new NotSupportedException($"CLR type {type} is not a tensor element type");
    }

    public static bool IsFloat(DataType t) =>
        t is DataType.Float32 or DataType.Float64 or DataType.Float16 or DataType.BFloat16;

    public static bool IsSignedInteger(DataType t) =>
        t is DataType.Int8 or DataType.Int16 or DataType.Int32 or DataType.Int64;

    public static bool IsUnsignedInteger(DataType t) =>
        t is DataType.UInt8 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64;

    public static bool IsInteger(DataType t) => IsSignedInteger(t) || IsUnsignedInteger(t);

    public static bool IsNumeric(DataType t) => IsFloat(t) || IsInteger(t);

    /// <summary>Short lower-case name as used in text dumps and error messages (float32, int8, ...).</summary>
    public static string Name(DataType t) => t switch
    {
        DataType.Float32 => "float32",
        DataType.Float64 => "float64",
        DataType.Float16 => "float16",
        DataType.BFloat16 => "bfloat16",
        DataType.Int8 => "int8",
        DataType.UInt8 => "uint8",
        DataType.Int16 => "int16",
        DataType.UInt16 => "uint16",
        DataType.Int32 => "int32",
        DataType.UInt32 => "uint32",
        DataType.Int64 => "int64",
        DataType.UInt64 => "uint64",
        DataType.Bool => "bool",
        DataType.String => "string",
        DataType.Complex64 => "complex64",
        DataType.Complex128 => "complex128",
        _ => "undefined",
    };

    public static bool TryParse(string name, out DataType type)
    {
        foreach (var t in Enum.GetValues<DataType>())
        {
            if (Name(t) == name) { type = t; return true; }
        }
        type = DataType.Undefined;
        return false;
    }
}
