using Tessera.Core;

namespace Tessera.Integer;

public sealed partial class IntegerLowering
{
    /// <summary>Where a lowered node writes: the QuantizeLinear output(s) after it, their parameters, and the
    /// clamp range of a ReLU/Clip between the two (fused into the requantization).</summary>
    private sealed record OutputTarget(string Name, ActivationQuantization Quantization, bool Unsigned, int Minimum, int Maximum,
        IReadOnlyList<Node> Absorbed, IReadOnlyList<string> Copies)
    {
        public bool FullRange => Minimum == sbyte.MinValue && Maximum == sbyte.MaxValue;
    }

    private bool IsGraphOutput(Value value) => _graph.Outputs.Any(o => o.Name == value.Name);

    private List<Node> Consumers(Value value) => _consumers.TryGetValue(value.Name, out var list) ? list : [];

    private OutputTarget? FindOutput(Node node, out string reason)
    {
        reason = string.Empty;
        if (node.Outputs.Count(o => o is not null) != 1 || node.Output(0) is not { } result)
        {
            reason = "only single-output nodes are lowered";
            return null;
        }
        var absorbed = new List<Node>();
        double low = double.NegativeInfinity, high = double.PositiveInfinity;
        var consumers = Consumers(result);
        if (!IsGraphOutput(result) && consumers.Count == 1 && consumers[0].OpType is "Relu" or "Clip"
            && consumers[0].Output(0) is { } activated && !IsGraphOutput(activated) && ActivationBounds(consumers[0]) is var (min, max))
        {
            absorbed.Add(consumers[0]);
            (low, high) = (min, max);
            result = activated;
            consumers = Consumers(result);
        }
        if (IsGraphOutput(result))
        {
            reason = "its float result is a graph output";
            return null;
        }
        if (consumers.Count == 0 || consumers.Any(c => c.OpType != "QuantizeLinear" || c.Input(0) != result))
        {
            reason = "its result is not quantized (it is not read only by QuantizeLinear)";
            return null;
        }
        if (OutputQuantization(consumers[0]) is not var (quantization, unsigned))
        {
            reason = "the QuantizeLinear after it is not per-tensor int8/uint8 with constant parameters";
            return null;
        }
        if (consumers.Skip(1).Any(c => OutputQuantization(c) is not var (q, u) || q != quantization || u != unsigned))
        {
            reason = "its result is quantized with different parameters by different readers";
            return null;
        }
        absorbed.AddRange(consumers);
        var (minimum, maximum) = Requantizer.ClampRange(quantization, low, high);
        return new OutputTarget(consumers[0].Output(0)!.Name, quantization, unsigned, minimum, maximum, absorbed,
            consumers.Skip(1).Select(c => c.Output(0)!.Name).ToList());
    }

    /// <summary>The real range a ReLU or Clip keeps, when its bounds are constants.</summary>
    private (double Minimum, double Maximum)? ActivationBounds(Node activation)
    {
        if (activation.OpType == "Relu") return (0, double.PositiveInfinity);
        if (Opset(activation) < 11)
        {
            var lowAttribute = activation.Attribute("min")?.Value as float?;
            var highAttribute = activation.Attribute("max")?.Value as float?;
            return (lowAttribute ?? double.NegativeInfinity, highAttribute ?? double.PositiveInfinity);
        }
        var low = activation.Input(1) is null ? null : ConstantOf(activation.Input(1));
        var high = activation.Input(2) is null ? null : ConstantOf(activation.Input(2));
        if (activation.Input(1) is not null && low is null || activation.Input(2) is not null && high is null) return null;
        return (low?.GetDouble(0) ?? double.NegativeInfinity, high?.GetDouble(0) ?? double.PositiveInfinity);
    }

    /// <summary>Records a lowered step: the ReLU/Clip and QuantizeLinear nodes it absorbed are skipped, and
    /// further QuantizeLinear readers with the same parameters get an exact copy.</summary>
    private string? Commit(IntegerStep step, OutputTarget target)
    {
        _steps.Add(step);
        foreach (var node in target.Absorbed) _absorbed.Add(node);
        foreach (var copy in target.Copies)
        {
            _steps.Add(new RequantizeStep(step.Name + "/copy", target.Name, copy, target.Quantization, target.Quantization, target.Unsigned));
        }
        return null;
    }

    /// <summary>The 8-bit source and parameters of a per-tensor dequantized value (an activation, or a constant
    /// 8-bit tensor used like one).</summary>
    private (string Source, ActivationQuantization Quantization)? Activation(Value? value)
    {
        if (value is null || !_dequantized.TryGetValue(value.Name, out var d) || d.Activation is not { } q) return null;
        if (d.Constant is { } c && c.DataType is not (DataType.Int8 or DataType.UInt8)) return null;
        return (d.Source, q);
    }

    /// <summary>A dequantized constant 8-bit weight tensor, its values moved to the int8 domain.</summary>
    private (Tensor Weights, double[] Scale, int[] Zero, int Axis)? Weight(Value? value)
    {
        if (value is null || !_dequantized.TryGetValue(value.Name, out var d) || d.Constant is not { } c) return null;
        if (Signed(c) is not { } weights) return null;
        return (weights, d.Scale, d.Zero, d.Axis < 0 ? d.Axis + c.Rank : d.Axis);
    }

    private static Tensor? Signed(Tensor tensor) => tensor.DataType switch
    {
        DataType.Int8 => tensor,
        DataType.UInt8 => IntegerState.ToSigned(tensor),
        _ => null,
    };

    /// <summary>The int32 bias of a Conv/Gemm: taken as is from a DequantizeLinear of int32 whose scale is the
    /// input scale times the weight scale (ONNX Runtime's convention), else rounded from the constant's real values.</summary>
    private bool TryBias(Value? value, double inputScale, double[] weightScale, int channels, out int[]? bias) =>
        TryBias(value, inputScale, weightScale, channels, out bias, out _);

    /// <summary>The bias as int32 at scale input x weight, and the scales its values are at (the file's, when it
    /// gives a dequantized int32 bias at that scale).</summary>
    private bool TryBias(Value? value, double inputScale, double[] weightScale, int channels, out int[]? bias, out float[] biasScale)
    {
        bias = null;
        double ScaleOf(int c) => inputScale * weightScale[weightScale.Length == 1 ? 0 : c];
        biasScale = Enumerable.Range(0, channels).Select(c => (float)ScaleOf(c)).ToArray();
        if (value is null) return true;
        if (_dequantized.TryGetValue(value.Name, out var d) && d.Constant is { DataType: DataType.Int32 } raw && raw.Length == channels
            && d.Zero.All(z => z == 0)
            && Enumerable.Range(0, channels).All(c => Math.Abs(d.Scale[d.Scale.Length == 1 ? 0 : c] - ScaleOf(c)) <= 1e-6 * ScaleOf(c)))
        {
            bias = raw.As<int>().ToArray();
            biasScale = Enumerable.Range(0, channels).Select(c => (float)d.Scale[d.Scale.Length == 1 ? 0 : c]).ToArray();
            return true;
        }
        if (ConstantOf(value) is not { } real || real.Length != channels) return false;
        bias = new int[channels];
        for (int c = 0; c < channels; c++)
        {
            double q = Math.Round(real.GetDouble(c) / ScaleOf(c));
            if (!(Math.Abs(q) <= int.MaxValue)) return false;
            bias[c] = (int)q;
        }
        return true;
    }

    private static double[] RealMultipliers(double inputScale, double[] weightScale, double outputScale, int channels) =>
        Enumerable.Range(0, weightScale.Length == 1 ? 1 : channels).Select(c => inputScale * weightScale[c] / outputScale).ToArray();
}
