using Tessera.Core;
using Tessera.Integer;

namespace Tessera.TFLite.Tests;

/// <summary>A convolution (one group) or matrix-product step of the integer executor with its requantization
/// replaced by a single rounding: (accumulator x multiplier + 2^(n-1)) >> n with n = 31 - shift, ties rounded up,
/// instead of the executor's rounding doubling high multiply followed by a rounding shift (TFLite's reference
/// kernels, gemmlowp). The same accumulators, multipliers, shifts, zero point and clamp: only the rounding
/// differs. The test uses it to show that this is all that separates the executor from TFLite's CONV_2D and
/// FULLY_CONNECTED kernels (which run through its cpu_backend_gemm, with that rounding).</summary>
internal sealed class SingleRoundingStep : IntegerStep
{
    private readonly IntegerStep _accumulators;
    private readonly Requantizer _requantizer;
    private readonly bool _channelLast;

    private SingleRoundingStep(IntegerStep original, IntegerStep accumulators, Requantizer requantizer, bool channelLast)
        : base(original.Name, [.. original.Inputs], [.. original.Outputs])
    {
        _accumulators = accumulators;
        _requantizer = requantizer;
        _channelLast = channelLast;
    }

    public override string Kind => "test.SingleRounding";

    /// <summary>The step with single rounding when it is a requantized convolution of one group or matrix
    /// product; otherwise the step itself.</summary>
    public static IntegerStep Of(IntegerStep step) => step switch
    {
        ConvolutionStep { Requantizer: { } r } conv when (conv.Node.Attribute("group")?.Value as long? ?? 1) == 1 =>
            new SingleRoundingStep(step, new ConvolutionStep(conv.Node, conv.Inputs[0], conv.Outputs[0], conv.InputZero, conv.Weights, conv.WeightZero, conv.Bias, null, false), r, channelLast: false),
        MatMulStep { Requantizer: { } r } matMul =>
            new SingleRoundingStep(step, new MatMulStep(matMul.Name, matMul.Inputs[0], matMul.ConstantRight is null ? matMul.Inputs[1] : null, matMul.LeftZero, matMul.ConstantRight, matMul.RightZero, matMul.Bias, null, matMul.Outputs[0], false), r, channelLast: true),
        _ => step,
    };

    public override void Execute(IntegerState state)
    {
        _accumulators.Execute(state);
        var sums = state.Get(Outputs[0]);
        var accumulators = sums.As<int>();
        int[] shape = sums.Shape;
        int channels = shape.Length == 0 ? 1 : _channelLast ? shape[^1] : shape.Length > 1 ? shape[1] : 1;
        int inner = _channelLast || shape.Length < 2 ? 1 : (int)(accumulators.Length / ((long)shape[0] * channels));
        var data = new sbyte[accumulators.Length];
        for (int i = 0; i < data.Length; i++)
        {
            int c = _requantizer.Channels == 1 ? 0 : i / inner % channels;
            int total = 31 - _requantizer.Shifts[c];
            long scaled = (((long)accumulators[i] << _requantizer.InputShift) * _requantizer.Multipliers[c] + (1L << (total - 1))) >> total;
            data[i] = (sbyte)Math.Clamp(scaled + _requantizer.ZeroPoint, _requantizer.Minimum, _requantizer.Maximum);
        }
        state.SetInt8(Outputs[0], Tensor.Create(shape, data), unsigned: false);
    }
}
