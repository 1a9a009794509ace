using Tessera.Core;

namespace Tessera.Ops.Quantization;

/// <summary>Shared arithmetic of the quantization operators: saturating round-half-to-even casts and
/// per-tensor or per-axis parameters.</summary>
public static class QuantizationMath
{
    /// <summary>The representable range of an integer element type.</summary>
    public static (long Min, long Max) Range(DataType type) => type switch
    {
        DataType.UInt8 => (byte.MinValue, byte.MaxValue),
        DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        DataType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        DataType.Int16 => (short.MinValue, short.MaxValue),
        DataType.Int32 => (int.MinValue, int.MaxValue),
        DataType.UInt32 => (uint.MinValue, uint.MaxValue),
        _ => throw new UnsupportedException($"quantized type {DataTypes.Name(type)} is not supported by the reference backend"),
    };

    /// <summary>Rounds half to even, then clamps into [min, max]; NaN maps to 0 (clamped into the range).</summary>
    public static long Saturate(double value, long min, long max)
    {
        if (double.IsNaN(value)) return System.Math.Clamp(0, min, max);
        double r = System.Math.Round(value, MidpointRounding.ToEven);
        if (r <= min) return min;
        if (r >= max) return max;
        return (long)r;
    }

    /// <summary>For each element of a tensor of <paramref name="shape"/>, which entry of a scale or zero
    /// point applies: 0 for a scalar (per-tensor), else the element's index along <paramref name="axis"/>
    /// (per-axis, 1-D of that axis's length).</summary>
    public static Func<int, int> ParameterIndex(Tensor parameter, int[] shape, long axis, string where)
    {
        if (parameter.Length == 1) return _ => 0;
        if (parameter.Rank != 1) throw new UnsupportedException("blocked quantization (scale of rank above 1) is not supported by the reference backend", where);
        int a = ShapeMath.NormalizeAxis(axis, shape.Length, where);
        if (parameter.Length != shape[a]) throw new InvalidInputException($"per-axis parameter has {parameter.Length} values but axis {a} has {shape[a]}", where);
        int inner = (int)ShapeMath.ElementCount(shape.AsSpan(a + 1));
        int length = shape[a];
        return i => i / inner % length;
    }

    /// <summary>Elements of a tensor minus a per-tensor or per-<paramref name="axis"/> zero point, as doubles.</summary>
    public static double[] Centered(Tensor x, Tensor? zeroPoint, int axis, string where)
    {
        var values = x.ToDoubleArray();
        if (zeroPoint is null) return values;
        var index = ParameterIndex(zeroPoint, x.Shape, axis, where);
        for (int i = 0; i < values.Length; i++) values[i] -= zeroPoint.GetInt64(index(i));
        return values;
    }

    /// <summary>Checks that an integer operand is int8 or uint8 (the types ConvInteger/MatMulInteger and the QLinear ops take).</summary>
    public static void RequireByte(Tensor t, string name, string where)
    {
        if (t.DataType is not (DataType.Int8 or DataType.UInt8)) throw new UnsupportedException($"{name} of type {DataTypes.Name(t.DataType)} is not supported by the reference backend", where);
    }
}
