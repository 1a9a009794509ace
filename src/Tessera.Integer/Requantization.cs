using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Integer;

/// <summary>Scale and zero point of an 8-bit activation. Every 8-bit value inside the integer executor is held
/// as int8: a uint8 value v with zero point z is the same real number as the int8 value v - 128 with zero point
/// z - 128, so one set of kernels serves both types exactly; <see cref="ZeroPoint"/> is in that int8 domain.</summary>
public sealed record ActivationQuantization(float Scale, int ZeroPoint);

/// <summary>The real scales of a convolution or matrix product as the model file gives them: input, weights and
/// bias (one per output channel, or one for all) and output. The integer steps do not need them; a step emulating
/// a float runtime's arithmetic (<see cref="RequantizationProfile.ArmNn"/>) does.</summary>
public sealed record RealScales(float Input, float[] Weights, float[] Bias, float Output)
{
    public float WeightOf(int channel) => Weights[Weights.Length == 1 ? 0 : channel];

    public float BiasOf(int channel) => Bias[Bias.Length == 1 ? 0 : channel];

    /// <summary>ONNX Runtime's requantization scale of a channel: input x weight / output, each operation in
    /// float32, in that order (its QLinearConv and QLinearMatMul kernels).</summary>
    public float OnnxRuntimeScale(int channel) => Input * WeightOf(channel) / Output;

    /// <summary>Quantizes a float32 result as Arm NN does: divided by the output scale in float32, rounded half
    /// away from zero, the zero point added, clamped to the requantizer's range.</summary>
    public sbyte Quantize(float value, Requantizer output) =>
        (sbyte)Math.Clamp(MathF.Round(value / Output, MidpointRounding.AwayFromZero) + output.ZeroPoint, output.Minimum, output.Maximum);
}

/// <summary>The quantized arithmetic of ONNX Runtime's CPU execution provider (its MLAS kernels), for
/// <see cref="RequantizationProfile.OnnxRuntime"/>. Everything is float32 and every rounding is half to even
/// (the processor's default rounding mode); values are in the executor's int8 domain (uint8 shifted by -128, which
/// changes neither the rounding nor the clamp).</summary>
public static class OnnxRuntimeArithmetic
{
    /// <summary>An int32 accumulator (bias included) converted to float32, times the float32 scale, rounded, the
    /// zero point added, clamped to [minimum, maximum].</summary>
    public static sbyte Requantize(int accumulator, float scale, int zeroPoint, int minimum, int maximum) =>
        Saturate(MathF.Round((float)accumulator * scale) + zeroPoint, minimum, maximum);

    /// <summary>QuantizeLinear: the value divided by the scale in float32, rounded, the zero point added, clamped.</summary>
    public static sbyte Quantize(float value, float scale, int zeroPoint, int minimum = sbyte.MinValue, int maximum = sbyte.MaxValue) =>
        Saturate(MathF.Round(value / scale) + zeroPoint, minimum, maximum);

    /// <summary>DequantizeLinear: (q - zero point) x scale in float32.</summary>
    public static float Dequantize(int value, int zeroPoint, float scale) => (value - zeroPoint) * scale;

    private static sbyte Saturate(float value, int minimum, int maximum) => (sbyte)Math.Clamp(value, minimum, maximum);

    /// <summary>QLinearAdd as MLAS's AVX2 kernel computes it, on the values in their own type (uint8 values are not
    /// shifted): ratios a/c and b/c in float32, a fixed part zc - (ra x za + rb x zb), then per element fused
    /// multiply-adds b x rb + fixed and a x ra + that; a broadcast operand (one value along the innermost output
    /// dimension) is folded into the fixed part with a separate multiply and add.</summary>
    public static Tensor Add(Tensor a, ActivationQuantization aq, bool aUnsigned, Tensor b, ActivationQuantization bq, bool bUnsigned,
        ActivationQuantization cq, bool cUnsigned, int minimum, int maximum)
    {
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        var aMap = ShapeMath.BroadcastIndexMap(a.Shape, shape);
        var bMap = ShapeMath.BroadcastIndexMap(b.Shape, shape);
        var aData = a.As<sbyte>();
        var bData = b.As<sbyte>();
        int aOffset = aUnsigned ? 128 : 0, bOffset = bUnsigned ? 128 : 0, cOffset = cUnsigned ? 128 : 0;
        float ra = aq.Scale / cq.Scale, rb = bq.Scale / cq.Scale;
        float zeroA = aq.ZeroPoint + aOffset, zeroB = bq.ZeroPoint + bOffset;
        float products = ra * zeroA + rb * zeroB;
        float fixedPart = (float)(cq.ZeroPoint + cOffset) - products;
        bool aScalar = IsInnerBroadcast(a.Shape, shape), bScalar = !aScalar && IsInnerBroadcast(b.Shape, shape);
        var data = new sbyte[aMap.Length];
        for (int i = 0; i < data.Length; i++)
        {
            float x = aData[aMap[i]] + aOffset, y = bData[bMap[i]] + bOffset;
            float value = bScalar ? MathF.FusedMultiplyAdd(x, ra, fixedPart + y * rb)
                : aScalar ? MathF.FusedMultiplyAdd(y, rb, fixedPart + x * ra)
                : MathF.FusedMultiplyAdd(x, ra, MathF.FusedMultiplyAdd(y, rb, fixedPart));
            data[i] = Saturate(MathF.Round(value) - cOffset, minimum, maximum);
        }
        return Tensor.Create(shape, data);
    }

    /// <summary>QLinearMul as MLAS's SSE2 kernel computes it: the int32 product (a - za)(b - zb) converted to
    /// float32, times the float32 ratio a x b / c, plus the output zero point (in the output's own type), rounded.</summary>
    public static Tensor Multiply(Tensor a, ActivationQuantization aq, bool aUnsigned, Tensor b, ActivationQuantization bq, bool bUnsigned,
        ActivationQuantization cq, bool cUnsigned, int minimum, int maximum)
    {
        _ = aUnsigned;
        _ = bUnsigned;
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        var aMap = ShapeMath.BroadcastIndexMap(a.Shape, shape);
        var bMap = ShapeMath.BroadcastIndexMap(b.Shape, shape);
        var aData = a.As<sbyte>();
        var bData = b.As<sbyte>();
        int cOffset = cUnsigned ? 128 : 0;
        float ratio = aq.Scale * bq.Scale / cq.Scale;
        float zeroC = cq.ZeroPoint + cOffset;
        var data = new sbyte[aMap.Length];
        for (int i = 0; i < data.Length; i++)
        {
            int product = (aData[aMap[i]] - aq.ZeroPoint) * (bData[bMap[i]] - bq.ZeroPoint);
            float scaled = product * ratio;
            data[i] = Saturate(MathF.Round(scaled + zeroC) - cOffset, minimum, maximum);
        }
        return Tensor.Create(shape, data);
    }

    /// <summary>Average pools: a global one as QLinearGlobalAveragePool (the int32 window sum minus count x zero
    /// point, times x scale / (y scale x count) in float32, rounded); a windowed one as dequantize -> float average
    /// -> quantize.</summary>
    public static sbyte[] AveragePool(sbyte[] x, int[] xShape, Window window, ActivationQuantization input, ActivationQuantization output,
        bool countIncludePad, Requantizer clamp, bool global)
    {
        int planes = xShape[0] * xShape[1], height = xShape[2], width = xShape[3];
        var result = new sbyte[planes * window.OutputHeight * window.OutputWidth];
        for (int p = 0; p < planes; p++)
        for (int y = 0; y < window.OutputHeight; y++)
        for (int xo = 0; xo < window.OutputWidth; xo++)
        {
            int sum = 0, count = 0;
            float real = 0;
            for (int ky = 0; ky < window.KernelHeight; ky++)
            {
                int iy = y * window.StrideHeight - window.PadTop + ky * window.DilationHeight;
                if (iy < 0 || iy >= height) continue;
                for (int kx = 0; kx < window.KernelWidth; kx++)
                {
                    int ix = xo * window.StrideWidth - window.PadLeft + kx * window.DilationWidth;
                    if (ix < 0 || ix >= width) continue;
                    int q = x[(p * height + iy) * width + ix] - input.ZeroPoint;
                    sum += q;
                    real += q * input.Scale;
                    count++;
                }
            }
            if (countIncludePad) count = window.KernelHeight * window.KernelWidth;
            count = Math.Max(1, count);
            int index = (p * window.OutputHeight + y) * window.OutputWidth + xo;
            result[index] = global
                ? Requantize(sum, input.Scale / (output.Scale * count), output.ZeroPoint, clamp.Minimum, clamp.Maximum)
                : Quantize(real / count, output.Scale, output.ZeroPoint, clamp.Minimum, clamp.Maximum);
        }
        return result;
    }

    // One value along the innermost output dimension (ONNX Runtime's broadcaster then passes it as a scalar).
    private static bool IsInnerBroadcast(int[] shape, int[] output)
    {
        long length = 1;
        foreach (int d in shape) length *= d;
        long total = 1;
        foreach (int d in output) total *= d;
        return length < total && (shape.Length == 0 || shape[^1] == 1 || length == 1);
    }
}

/// <summary>How a requantizer rounds an accumulator times its multiplier. The executor's default, and the only
/// one the NPU implements, is <see cref="Double"/>; the others reproduce the arithmetic of runtimes a user may
/// deploy to, so the executor can say what those runtimes will output.</summary>
public enum RequantizationRounding
{
    /// <summary>Rounding doubling high multiply by the Q31 multiplier, then a rounding right shift: gemmlowp and
    /// TFLite's reference kernels (two roundings).</summary>
    Double,

    /// <summary>(accumulator x multiplier + 2^(n-1)) >> n with n = 31 - shift: one rounding, ties up, as TFLite's
    /// builtin CONV_2D and FULLY_CONNECTED kernels do through their GEMM back end.</summary>
    Single,

    /// <summary>The accumulator times the real multiplier in floating point, rounded half away from zero: the
    /// dequantize-compute-quantize arithmetic of Arm NN's reference backend (and, up to ties, XNNPACK's).</summary>
    Float,
}

/// <summary>Maps int32 accumulators to int8 per output channel: a Q31 multiplier and shift per channel
/// (<see cref="FixedPoint.QuantizeMultiplier"/>), the output zero point and the clamp range that also carries a
/// fused ReLU/Clip. Built once at lowering; applying it uses integer arithmetic only.</summary>
public sealed class Requantizer
{
    public Requantizer(int[] multipliers, int[] shifts, int zeroPoint, int minimum = sbyte.MinValue, int maximum = sbyte.MaxValue, int inputShift = 0,
        RequantizationRounding rounding = RequantizationRounding.Double)
    {
        if (!Enum.IsDefined(rounding)) throw new ArgumentOutOfRangeException(nameof(rounding));
        Rounding = rounding;
        if (inputShift is < 0 or > 20) throw new ArgumentOutOfRangeException(nameof(inputShift), "the input shift is in [0, 20]");
        InputShift = inputShift;
        if (multipliers.Length != shifts.Length || multipliers.Length == 0) throw new ArgumentException("one multiplier and one shift per channel");
        if (minimum > maximum || minimum < sbyte.MinValue || maximum > sbyte.MaxValue) throw new ArgumentOutOfRangeException(nameof(minimum), "the clamp range must be a non-empty part of [-128, 127]");
        Multipliers = multipliers;
        Shifts = shifts;
        ZeroPoint = zeroPoint;
        Minimum = minimum;
        Maximum = maximum;
    }

    public int[] Multipliers { get; }

    public int[] Shifts { get; }

    public int ZeroPoint { get; }

    public int Minimum { get; }

    public int Maximum { get; }

    public int Channels => Multipliers.Length;

    public RequantizationRounding Rounding { get; }

    /// <summary>The same multipliers, shifts, zero point and clamp, rounded another way.</summary>
    public Requantizer WithRounding(RequantizationRounding rounding) =>
        rounding == Rounding ? this : new Requantizer(Multipliers, Shifts, ZeroPoint, Minimum, Maximum, InputShift, rounding);

    /// <summary>Left shift applied to the input before the multiply. Rescaling an 8-bit value (Concat, average
    /// pool, a DequantizeLinear -> QuantizeLinear pair) uses 20 bits of headroom, as TFLite's Add does: without
    /// it the doubling high multiply would round a small value to an integer before the final shift rounds
    /// again, and that double rounding is off by one on a few percent of values.</summary>
    public int InputShift { get; }

    /// <summary>Rescales small values (8-bit differences, or sums of them up to <paramref name="largestInput"/>
    /// in magnitude) by <paramref name="ratio"/> with as many headroom bits (up to 20) as both the int32 range
    /// and the multiplier's shift range allow.</summary>
    public static Requantizer ForValues(double ratio, int zeroPoint, int minimum = sbyte.MinValue, int maximum = sbyte.MaxValue, int largestInput = 255)
    {
        int inputBits = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Max(1, largestInput));
        for (int headroom = Math.Min(20, 30 - inputBits); headroom > 0; headroom--)
        {
            var (multiplier, shift) = FixedPoint.QuantizeMultiplier(Math.ScaleB(ratio, -headroom));
            if (shift >= -31 && multiplier != 0) return new Requantizer([multiplier], [shift], zeroPoint, minimum, maximum, headroom);
        }
        return FromRealMultipliers([ratio], zeroPoint, minimum, maximum);
    }

    /// <summary>Splits each real multiplier (input scale x weight scale / output scale) into its fixed-point form.</summary>
    public static Requantizer FromRealMultipliers(ReadOnlySpan<double> real, int zeroPoint, int minimum = sbyte.MinValue, int maximum = sbyte.MaxValue)
    {
        var multipliers = new int[real.Length];
        var shifts = new int[real.Length];
        for (int c = 0; c < real.Length; c++)
        {
            if (!(real[c] >= 0) || double.IsInfinity(real[c])) throw new ArgumentOutOfRangeException(nameof(real), "a requantization multiplier must be finite and non-negative");
            (multipliers[c], shifts[c]) = FixedPoint.QuantizeMultiplier(real[c]);
            if (shifts[c] > 30) throw new ArgumentOutOfRangeException(nameof(real), $"multiplier {real[c]} needs a left shift of {shifts[c]} (at most 30)");
        }
        return new Requantizer(multipliers, shifts, zeroPoint, minimum, maximum);
    }

    public sbyte Apply(int accumulator, int channel)
    {
        int c = Channels == 1 ? 0 : channel;
        switch (Rounding)
        {
            case RequantizationRounding.Single:
            {
                int total = 31 - Shifts[c];
                // total >= 1: shifts are at most 30. A total above 62 leaves nothing of a 32-bit product.
                long scaled = total > 62 ? 0 : ((((long)accumulator << InputShift) * Multipliers[c]) + (1L << (total - 1))) >> total;
                return (sbyte)Math.Clamp(scaled + ZeroPoint, Minimum, Maximum);
            }
            case RequantizationRounding.Float:
            {
                double real = Math.ScaleB(Multipliers[c], Shifts[c] - 31 + InputShift);
                double scaled = Math.Round(accumulator * real, MidpointRounding.AwayFromZero);
                return (sbyte)Math.Clamp(scaled + ZeroPoint, Minimum, Maximum);
            }
            default:
                return FixedPoint.Requantize(accumulator << InputShift, Multipliers[c], Shifts[c], ZeroPoint, Minimum, Maximum);
        }
    }

    /// <summary>The clamp range of an activation fused into the requantization: the quantized images of the
    /// real bounds, intersected with int8. Rounding follows QuantizeLinear (half to even).</summary>
    public static (int Minimum, int Maximum) ClampRange(ActivationQuantization output, double realMinimum, double realMaximum)
    {
        int minimum = sbyte.MinValue, maximum = sbyte.MaxValue;
        if (!double.IsNegativeInfinity(realMinimum)) minimum = (int)Math.Clamp(Math.Round(realMinimum / output.Scale) + output.ZeroPoint, sbyte.MinValue, sbyte.MaxValue);
        if (!double.IsPositiveInfinity(realMaximum)) maximum = (int)Math.Clamp(Math.Round(realMaximum / output.Scale) + output.ZeroPoint, sbyte.MinValue, sbyte.MaxValue);
        return (minimum, Math.Max(minimum, maximum));
    }
}

/// <summary>The output stage of an average pool: the window's sum of (x - zero) times input scale / (output scale
/// x count), one rounding. The fixed-point form for each window size is derived once and kept.</summary>
public sealed class AverageRescale(double ratio, int zeroPoint, int minimum, int maximum)
{
    private readonly Dictionary<int, Requantizer> _byCount = [];

    public double Ratio { get; } = ratio;

    public Requantizer ForCount(int count)
    {
        lock (_byCount)
        {
            if (!_byCount.TryGetValue(count, out var requantizer))
            {
                _byCount[count] = requantizer = Requantizer.ForValues(Ratio / count, zeroPoint, minimum, maximum, 255 * count);
            }
            return requantizer;
        }
    }
}
