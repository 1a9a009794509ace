using System.Runtime.CompilerServices;

namespace Tessera.Core;

/// <summary>Brain floating point: the upper 16 bits of an IEEE float32. Conversion from float rounds
/// to nearest even (as ONNX and most hardware do); NaN stays NaN.</summary>
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>
{
    public readonly ushort Bits;

    public BFloat16(ushort bits) => Bits = bits;

    public static BFloat16 FromBits(ushort bits) => new(bits);

    public static explicit operator BFloat16(float value)
    {
        uint bits = Unsafe.BitCast<float, uint>(value);
        if (float.IsNaN(value)) return new BFloat16((ushort)((bits >> 16) | 0x0040));
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return new BFloat16((ushort)((bits + roundingBias) >> 16));
    }

    public static explicit operator BFloat16(double value) => (BFloat16)(float)value;

    public static implicit operator float(BFloat16 value) => Unsafe.BitCast<uint, float>((uint)value.Bits << 16);

    public static explicit operator double(BFloat16 value) => (float)value;

    public bool Equals(BFloat16 other) => ((float)this).Equals((float)other);

    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    public override int GetHashCode() => ((float)this).GetHashCode();

    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    public override string ToString() => ((float)this).ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    public static bool operator ==(BFloat16 a, BFloat16 b) => a.Equals(b);

    public static bool operator !=(BFloat16 a, BFloat16 b) => !a.Equals(b);

    public static bool operator <(BFloat16 a, BFloat16 b) => (float)a < (float)b;

    public static bool operator >(BFloat16 a, BFloat16 b) => (float)a > (float)b;

    public static bool operator <=(BFloat16 a, BFloat16 b) => (float)a <= (float)b;

    public static bool operator >=(BFloat16 a, BFloat16 b) => (float)a >= (float)b;
}
