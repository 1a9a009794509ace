namespace Tessera.Quantization;

/// <summary>Scale and zero point of one int8 tensor: real = (q - ZeroPoint) * Scale.</summary>
public readonly record struct QuantizationParameters(float Scale, sbyte ZeroPoint)
{
    /// <summary>int8 parameters covering [min, max] widened to include 0 (so zero padding is exact).
    /// Symmetric: zero point 0 and scale max|x|/127; asymmetric: the full 256 levels span the range.</summary>
    public static QuantizationParameters FromRange(double min, double max, bool symmetric)
    {
        min = System.Math.Min(min, 0);
        max = System.Math.Max(max, 0);
        if (symmetric)
        {
            double bound = System.Math.Max(-min, max);
            return new QuantizationParameters(bound > 0 ? (float)(bound / 127) : 1f, 0);
        }
        if (max - min <= 0) return new QuantizationParameters(1f, 0);
        float scale = (float)((max - min) / 255);
        double zero = System.Math.Round(-128 - min / scale, MidpointRounding.ToEven);
        return new QuantizationParameters(scale, (sbyte)System.Math.Clamp(zero, -128, 127));
    }

    public sbyte Quantize(float value)
    {
        double q = System.Math.Round(value / Scale, MidpointRounding.ToEven) + ZeroPoint;
        return (sbyte)System.Math.Clamp(q, -128, 127);
    }

    public float Dequantize(sbyte value) => (value - ZeroPoint) * Scale;
}
