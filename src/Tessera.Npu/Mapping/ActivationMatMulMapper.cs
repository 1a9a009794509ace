using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>int.MatMul of two int8 activations (attention's Q x K^T and probabilities x V) -> MatMulLayer:
/// [..., M, K] x [..., K, N] with the leading axes flattened into batches (the right operand's batch is the
/// left's or 1). Both sum (l - zl)(r - zr) + bias exactly and requantize per tensor or per column.</summary>
public sealed class ActivationMatMulMapper : StepMapper<MatMulStep>
{
    public override bool Accepts(IntegerStep step) => step is MatMulStep { ConstantRight: null, Inputs.Count: 2 };

    protected override string? Map(MatMulStep step, MappingContext context)
    {
        if (step.Requantizer is not { } requantizer) return "MatMulInteger (int32 output) has no NPU layer";
        if (requantizer.InputShift != 0) return "a requantizer with an input shift has no MatMul epilogue";
        if (step.RightZero.Length != 1) return "a per-column right zero point has no NPU layer";
        int[] leftShape = context.Shape(step.Inputs[0]), rightShape = context.Shape(step.Inputs[1]), outputShape = context.Shape(step.Outputs[0]);
        if (leftShape.Length < 2 || rightShape.Length < 2) return "rank-1 operands are not mapped";
        int batches = Batches(leftShape), rightBatches = Batches(rightShape);
        int m = leftShape[^2], k = leftShape[^1], n = rightShape[^1];
        if (rightShape[^2] != k || (rightBatches != batches && rightBatches != 1) || Batches(outputShape) != batches) return "the operands do not broadcast as batches x M x K times batches x K x N";
        if (rightBatches == 1 && rightShape.Length > 2 && leftShape.Length != rightShape.Length) return "mixed-rank batch broadcast is not mapped";
        var left = context.Read(step.Inputs[0], NpuLayout.Rows, step.LeftZero);
        var right = context.Read(step.Inputs[1], NpuLayout.Rows, step.RightZero[0]);
        var output = context.Write(step.Outputs[0], NpuLayout.Rows, requantizer.ZeroPoint);
        if (left is null || right is null || output is null) return "the operands have no NPU view";
        var (multipliers, shifts) = ConvolutionMapper.PerChannel(requantizer, n);
        context.Add(new MatMulLayer(step.Name,
            left with { Height = batches, Width = m, Channels = k },
            right with { Height = rightBatches, Width = k, Channels = n },
            output with { Height = batches, Width = m, Channels = n },
            false, step.Bias is { } bias ? (int[])bias.Clone() : new int[n], multipliers, shifts, requantizer.Minimum, requantizer.Maximum));
        return null;
    }

    private static int Batches(int[] shape)
    {
        long product = 1;
        for (int i = 0; i < shape.Length - 2; i++) product *= shape[i];
        return product > int.MaxValue ? -1 : (int)product;
    }
}
