using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Npu;

/// <summary>Multiply-accumulates of an integer step at the probed shapes (convolutions and matrix products;
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
            MatMulStep when values.Has(step.Inputs[0]) => outputs * values.Shape(step.Inputs[0])[^1],
            FloatNodeStep { Node.OpType: "Conv" } f when f.Inputs.Count > 1 && values.Has(f.Inputs[1]) => outputs * ShapeMath.ElementCount(values.Shape(f.Inputs[1]).AsSpan(1)),
            FloatNodeStep { Node.OpType: "MatMul" or "Gemm" } f when values.Has(f.Inputs[0]) => outputs * values.Shape(f.Inputs[0])[^1],
            _ => 0,
        };
    }
}
