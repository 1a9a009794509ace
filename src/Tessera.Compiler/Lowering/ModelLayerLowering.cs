using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Lowering;

/// <summary>Dispatches the layer kinds the real models add (broadcast Add/Mul, activation MatMul, nearest Resize,
/// Transpose, ConvTranspose) to their lowerings; returns the decision text and the cost model's estimate (0 where the
/// layer only streams data).</summary>
internal static class ModelLayerLowering
{
    public static (string Decision, long Estimate) Emit(ProgramBuilder builder, Layer layer, IReadOnlyList<long> inputs, long output) => layer switch
    {
        BroadcastLayer broadcast => (BroadcastLowering.Emit(builder, broadcast, inputs, output), 0L),
        ResizeNearestLayer resize => (ResizeLowering.Emit(builder, resize, inputs[0], output), 0L),
        MatMulLayer matmul => MatMulLowering.Emit(builder, matmul, inputs[0], inputs[1], output),
        TransposeLayer transpose => (TransposeLowering.Emit(builder, transpose, inputs[0], output), 0L),
        ConvTransposeLayer transposed => ConvTransposeLowering.Emit(builder, transposed, inputs[0], output),
        _ => throw new ArgumentException($"no lowering for {layer.GetType().Name}"),
    };
}
