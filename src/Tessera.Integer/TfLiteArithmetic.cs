using Tessera.Core;

namespace Tessera.Integer;

/// <summary>Where a model imported from a pre-quantized TFLite file (producer "tflite") is lowered the way
/// TFLite's int8 kernels compute, rather than as a generic QDQ graph: Softmax becomes an integer step, and an
/// average pool whose input and output share scale and zero point (the TFLite int8 spec requires it) divides
/// the plain int8 window sum by the window count, rounding half away from zero, instead of rescaling the sum
/// of (x - zero point). ONNX QDQ models keep the generic lowering (and its ONNX Runtime agreement figures).</summary>
public sealed partial class IntegerLowering
{
    private bool TfLiteArithmetic => string.Equals(_model.ProducerName, "tflite", StringComparison.Ordinal);

    /// <summary>Lowers <paramref name="node"/> with TFLite's semantics when they apply; false leaves it to the
    /// generic QDQ lowering.</summary>
    private bool TryLowerTfLite(Node node, out string? reason)
    {
        reason = null;
        if (!TfLiteArithmetic) return false;
        switch (node.OpType)
        {
            case "Softmax":
                reason = LowerSoftmax(node);
                return true;
            case "AveragePool" when Activation(node.Input(0)) is var (x, xq) && (node.Attribute("count_include_pad")?.Value as long? ?? 0) == 0:
                if (FindOutput(node, out var why) is not { } target)
                {
                    reason = why;
                    return true;
                }
                if (target.Quantization != xq) return false;
                // Sum of the raw int8 values / count: with equal input and output parameters the zero point cancels.
                reason = Commit(new PoolStep(node, x, target.Name, 0, new AverageRescale(1.0, 0, target.Minimum, target.Maximum), target.Unsigned, xq), target);
                return true;
            default:
                return false;
        }
    }

    private string? LowerSoftmax(Node node)
    {
        if (Activation(node.Input(0)) is not var (x, xq)) return NotQuantizedInput;
        long axis = node.Attribute("axis")?.Value as long? ?? (Opset(node) >= 13 ? -1 : 1);
        int? rank = node.Input(0)!.TensorType?.Shape?.Rank;
        if (axis != -1 && (rank is null || axis != rank - 1)) return "only a Softmax over the last axis is lowered";
        if (FindOutput(node, out var reason) is not { } target) return reason;
        return Commit(new SoftmaxStep(node.DisplayName, x, target.Name, xq.Scale, target.Quantization, target.Minimum, target.Maximum, target.Unsigned), target);
    }
}
