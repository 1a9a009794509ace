using Tessera.Core;

namespace Tessera.Integer;

/// <summary>Softmax over the last axis of an int8 tensor, in integers. Softmax depends only on differences
/// from the row maximum, and for int8 input d = max - x is one of 256 values, so exp(-d x input scale) is a
/// 256-entry table of Q24 integers built once at lowering. At run time: the row's table values are summed
/// in 64 bits and each output is round(e x (1 / output scale) / sum) + zero point, the reciprocal of the
/// output scale held as a Q16 integer; an exact integer division, so each output carries one rounding.
/// (TFLite's reference int8 softmax uses a fixed-point exp polynomial instead; both are within one step of
/// the real softmax.)</summary>
public sealed class SoftmaxStep : IntegerStep
{
    private const int ExpFractionBits = 24;
    private const int ReciprocalFractionBits = 16;
    private readonly long[] _exp = new long[256];
    private readonly long _reciprocal;
    private readonly int _zeroPoint;
    private readonly int _minimum;
    private readonly int _maximum;
    private readonly bool _unsigned;

    public SoftmaxStep(string name, string input, string output, float inputScale, ActivationQuantization outputQuantization, int minimum, int maximum, bool unsigned)
        : base(name, [input], [output])
    {
        for (int d = 0; d < 256; d++) _exp[d] = (long)Math.Round(Math.ScaleB(Math.Exp(-d * (double)inputScale), ExpFractionBits));
        double reciprocal = Math.ScaleB(1.0 / outputQuantization.Scale, ReciprocalFractionBits);
        if (!(reciprocal >= 1 && reciprocal < 1L << 40)) throw new UnsupportedException($"softmax output scale {outputQuantization.Scale} is outside the range the integer softmax handles", name);
        _reciprocal = (long)Math.Round(reciprocal);
        _zeroPoint = outputQuantization.ZeroPoint;
        _minimum = minimum;
        _maximum = maximum;
        _unsigned = unsigned;
    }

    public override string Kind => "int.Softmax";

    public override string Parameters => $"exp_table=Q{ExpFractionBits} reciprocal_output_scale={_reciprocal}/2^{ReciprocalFractionBits} zero={_zeroPoint}";

    /// <summary>The exp table: entry d is exp(-d x input scale) in Q24.</summary>
    public IReadOnlyList<long> ExpTable => _exp;

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        var source = x.As<sbyte>();
        int depth = x.Rank == 0 ? 1 : x.Shape[^1];
        var result = new sbyte[source.Length];
        for (int row = 0; depth > 0 && row < source.Length / depth; row++)
        {
            var values = source.AsSpan(row * depth, depth);
            int maximum = sbyte.MinValue;
            foreach (var v in values) maximum = Math.Max(maximum, v);
            long sum = 0;
            foreach (var v in values) sum += _exp[maximum - v];
            // sum >= 2^24 (the maximum's own entry), so the division below never divides by zero.
            Int128 denominator = (Int128)sum << ReciprocalFractionBits;
            for (int i = 0; i < depth; i++)
            {
                Int128 numerator = (Int128)_exp[maximum - values[i]] * _reciprocal;
                long quotient = (long)((2 * numerator + denominator) / (2 * denominator));
                result[row * depth + i] = (sbyte)Math.Clamp(quotient + _zeroPoint, _minimum, _maximum);
            }
        }
        state.SetInt8(Outputs[0], Tensor.Create((int[])x.Shape.Clone(), result), _unsigned);
    }
}
