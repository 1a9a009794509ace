namespace Tessera.Integer;

public sealed partial class IntegerLowering
{
    /// <summary>A QDQ ConvTranspose: int8 weights [in][out/group][k...] with per-tensor or per-output-channel
    /// (axis 1) scales, an int32 bias at input scale x weight scale, requantized per output channel with the
    /// fused clamp, as Conv.</summary>
    private string? LowerConvTranspose(Core.Node node)
    {
        if (Activation(node.Input(0)) is not var (x, xq)) return NotQuantizedInput;
        if (Weight(node.Input(1)) is not var (weights, weightScale, weightZero, axis)) return "the weights are not a dequantized constant int8/uint8 tensor";
        if (weights.Rank is not (3 or 4)) return "only 1-D and 2-D transposed convolutions are lowered";
        int group = (int)(node.Attribute("group")?.Value as long? ?? 1);
        if (group < 1) return "group must be positive";
        int channels = weights.Shape[1] * group;
        if (weightScale.Length != 1 && (weightScale.Length != weights.Shape[1] || axis != 1 || group != 1)) return "weight scales must be per tensor, or per output channel (axis 1) without groups";
        if (FindOutput(node, out var reason) is not { } target) return reason;
        if (!TryBias(node.Input(2), xq.Scale, weightScale, channels, out var bias)) return "the bias is not a constant with one value per output channel";
        var requantizer = Requantizer.FromRealMultipliers(RealMultipliers(xq.Scale, weightScale, target.Quantization.Scale, channels),
            target.Quantization.ZeroPoint, target.Minimum, target.Maximum);
        return Commit(new TransposedConvolutionStep(node, x, target.Name, xq.ZeroPoint, weights, weightZero, bias, requantizer, target.Unsigned), target);
    }
}
