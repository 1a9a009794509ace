using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>int.MatMul / Gemm with a constant 2-D right operand -> a fully connected ConvLayer over the rows
/// of the left operand (row-major [..., M, K] is already rows of K channels).</summary>
public sealed class MatMulMapper : StepMapper<MatMulStep>
{
    protected override string? Map(MatMulStep step, MappingContext context)
    {
        if (step.Requantizer is not { } requantizer) return "MatMulInteger (int32 output) has no NPU layer";
        if (step.ConstantRight is not { } right) return "activation x activation MatMul has no NPU layer yet";
        if (right.Rank != 2) return $"a constant right operand of rank {right.Rank} (batched weights) has no NPU layer";
        if (step.RightZero.Any(z => z != 0)) return "weight zero points other than 0 (the NPU takes symmetric weights)";
        var leftShape = context.Shape(step.Inputs[0]);
        if (leftShape.Length < 2) return "a rank-1 left operand is not mapped";
        int k = right.Shape[0], n = right.Shape[1];
        var input = context.Read(step.Inputs[0], NpuLayout.Rows, step.LeftZero);
        var output = context.Write(step.Outputs[0], NpuLayout.Rows, requantizer.ZeroPoint);
        if (input is null || output is null || input.Channels != k || output.Channels != n || input.Height != output.Height) return "the operands do not form rows x K times K x N";
        var source = right.As<sbyte>();
        var weights = new sbyte[source.Length];
        for (int row = 0; row < k; row++)
        for (int column = 0; column < n; column++) weights[column * k + row] = source[row * n + column];
        var (multipliers, shifts) = ConvolutionMapper.PerChannel(requantizer, n);
        context.Add(ConvLayer.FullyConnected(step.Name, input, output, weights, step.Bias ?? new int[n], multipliers, shifts, requantizer.Minimum, requantizer.Maximum));
        return null;
    }
}
