using Tessera.Core;
using Tessera.Integer;
using Tessera.Ops;

namespace Tessera.Npu;

/// <summary>Multiply-accumulates of an integer step at the probed shapes (convolutions, transposed convolutions and matrix products;
/// everything else counts 0), so NPU and CPU shares are measured with one ruler.</summary>
public static class StepCosts
{
    public static long Macs(IntegerStep step, ProgramValues values)
    {
        if (step.Outputs.Count == 0 || !values.Has(step.Outputs[0])) return 0;
        long outputs = ShapeMath.ElementCount(values.Shape(step.Outputs[0]));
        return step switch
        {
            ConvolutionStep conv => outputs * ShapeMath.ElementCount(conv.Weights.Shape.AsSpan(1)),
            // Every input element scatters into out/group channels times the kernel taps (weights [in][out/group][k...]).
            TransposedConvolutionStep deconv when values.Has(step.Inputs[0]) =>
                ShapeMath.ElementCount(values.Shape(step.Inputs[0])) * ShapeMath.ElementCount(deconv.Weights.Shape.AsSpan(1)),
            MatMulStep when values.Has(step.Inputs[0]) => outputs * values.Shape(step.Inputs[0])[^1],
            FloatNodeStep island => IslandMacs(island, values),
            _ => 0,
        };
    }

    /// <summary>A float island counts what its operator's cost function says (Conv, MatMul, Gemm, FusedMatMul,
    /// LSTM, ... at the probed shapes), so work left in float is never missing from the CPU share.</summary>
    private static long IslandMacs(FloatNodeStep island, ProgramValues values)
    {
        int[]? ShapeOf(string name) => name.Length > 0 && values.Has(name) ? values.Shape(name) : null;
        var context = new CostContext(island.Node, island.Inputs.Select(ShapeOf).ToList(), island.Outputs.Select(ShapeOf).ToList());
        return island.Kernel.Macs(context);
    }
}
