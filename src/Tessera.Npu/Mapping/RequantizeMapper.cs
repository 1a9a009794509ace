using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>int.Requantize -> an ElementwiseLayer Add of the value with itself whose parameters make it the
/// executor's rescale exactly (see <see cref="Parameters"/>).</summary>
public sealed class RequantizeMapper : StepMapper<RequantizeStep>
{
    protected override string? Map(RequantizeStep step, MappingContext context)
    {
        var layout = context.Preferred(step.Inputs[0]);
        var input = context.Read(step.Inputs[0], layout, step.InputZero);
        var output = context.Write(step.Outputs[0], layout, step.Requantizer.ZeroPoint);
        if (input is null || output is null) return "the value has no NPU view";
        if (Parameters(step.Requantizer, step.InputZero) is not { } parameters) return "a per-channel rescale has no NPU layer";
        context.Add(new ElementwiseLayer(step.Name, input, input, output, Multiply: false, parameters));
        return null;
    }

    /// <summary>FixedPoint.Add's parameter block that computes Requantizer.Apply(x - inputZero): the left operand is
    /// shifted by the requantizer's input shift and scaled by its multiplier and shift (exactly the executor's
    /// MultiplyByQuantizedMultiplier), the right operand gets multiplier 0 (contributes 0), and the output stage
    /// is the identity (multiplier 2^30 with shift 1 returns its integer input unchanged) before the zero point
    /// and clamp.</summary>
    public static int[]? Parameters(Requantizer requantizer, int inputZero) => requantizer.Channels != 1 ? null :
    [
        inputZero, inputZero, requantizer.InputShift, requantizer.Multipliers[0], requantizer.Shifts[0], 0, 0,
        1 << 30, 1, requantizer.ZeroPoint, requantizer.Minimum, requantizer.Maximum,
    ];
}
