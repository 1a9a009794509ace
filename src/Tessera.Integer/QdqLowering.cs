using Tessera.Core;
using Tessera.Hardware;
using Tessera.Ops;

namespace Tessera.Integer;

public sealed partial class IntegerLowering
{
    /// <summary>Elementwise unary ops that become a 256-entry table (other inputs, if any, must be constants).</summary>
    private static readonly HashSet<string> TableFunctions = new(StringComparer.Ordinal)
    {
        "Relu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Gelu", "Elu", "Selu", "Celu", "Softplus",
        "Softsign", "Mish", "ThresholdedRelu", "Exp", "Log", "Sqrt", "Reciprocal", "Abs", "Neg", "Erf", "Sin", "Cos", "Atan",
        "Floor", "Ceil", "Round", "Sign", "Shrink", "Identity",
    };

    /// <summary>Ops that only move values; their reference kernels run on the int8 tensor.</summary>
    private static readonly HashSet<string> LayoutOperators = new(StringComparer.Ordinal)
    {
        "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Pad", "Resize", "Upsample", "Slice", "DepthToSpace",
        "SpaceToDepth", "Expand", "Tile", "Gather",
    };

    private string? LowerQdq(Node node)
    {
        if (TryLowerTfLite(node, out var tfLiteReason)) return tfLiteReason;
        if (node.OpType == "Conv") return LowerConvolution(node);
        if (node.OpType == "ConvTranspose") return LowerConvTranspose(node);
        if (node.OpType is "MatMul" or "Gemm") return LowerMatMul(node);
        if (node.OpType is "Add" or "Mul") return LowerBinary(node);
        if (node.OpType is "MaxPool" or "AveragePool" or "GlobalAveragePool") return LowerPool(node);
        if (node.OpType == "Concat") return LowerConcat(node);
        if (TableFunctions.Contains(node.OpType)) return LowerTable(node);
        if (LayoutOperators.Contains(node.OpType)) return LowerLayout(node);
        return $"no integer lowering for {node.OpType}";
    }

    private const string NotQuantizedInput = "an input is not a per-tensor dequantized int8/uint8 tensor";

    private string? LowerConvolution(Node node)
    {
        if (Activation(node.Input(0)) is not var (x, xq)) return NotQuantizedInput;
        if (Weight(node.Input(1)) is not var (weights, weightScale, weightZero, axis)) return "the weights are not a dequantized constant int8/uint8 tensor";
        if (weights.Rank is not (3 or 4)) return "only 1-D and 2-D convolutions are lowered";
        int channels = weights.Shape[0];
        if (weightScale.Length != 1 && (weightScale.Length != channels || axis != 0)) return "weight scales must be per tensor or per output channel (axis 0)";
        if (FindOutput(node, out var reason) is not { } target) return reason;
        if (!TryBias(node.Input(2), xq.Scale, weightScale, channels, out var bias, out var biasScale)) return "the bias is not a constant with one value per output channel";
        var requantizer = Requantizer.FromRealMultipliers(RealMultipliers(xq.Scale, weightScale, target.Quantization.Scale, channels),
            target.Quantization.ZeroPoint, target.Minimum, target.Maximum);
        var scales = new RealScales(xq.Scale, [.. weightScale.Select(s => (float)s)], biasScale, target.Quantization.Scale);
        return Commit(new ConvolutionStep(node, x, target.Name, xq.ZeroPoint, weights, weightZero, bias, requantizer, target.Unsigned, scales), target);
    }

    private string? LowerMatMul(Node node)
    {
        if (Activation(node.Input(0)) is not var (a, aq)) return NotQuantizedInput;
        bool gemm = node.OpType == "Gemm";
        if (gemm && (node.Attribute("transA")?.Value is long transA && transA != 0 || node.Attribute("alpha")?.Value is float alpha && alpha != 1
            || node.Input(2) is not null && node.Attribute("beta")?.Value is float beta && beta != 1))
        {
            return "Gemm with transA or alpha/beta other than 1 is not lowered";
        }
        string? right = null;
        Tensor? constantRight = null;
        double[] rightScale;
        int[] rightZero;
        if (Weight(node.Input(1)) is var (weights, scale, zero, axis))
        {
            bool transB = gemm && node.Attribute("transB")?.Value is long t && t != 0;
            int columnAxis = transB ? 0 : weights.Rank - 1;
            if (scale.Length != 1 && (weights.Rank != 2 || axis != columnAxis)) return "weight scales must be per tensor or per output column";
            constantRight = transB ? Transpose(weights) : weights;
            (rightScale, rightZero) = (scale, zero);
        }
        else if (!gemm && Activation(node.Input(1)) is var (b, bq))
        {
            right = b;
            (rightScale, rightZero) = ([bq.Scale], [bq.ZeroPoint]);
        }
        else
        {
            return "the right operand is neither a dequantized constant nor (for MatMul) a per-tensor dequantized activation";
        }
        int columns = constantRight?.Shape[^1] ?? rightScale.Length;
        if (FindOutput(node, out var reason) is not { } target) return reason;
        int[]? bias = null;
        float[] biasScale = [(float)(aq.Scale * rightScale[0])];
        if (gemm && !TryBias(node.Input(2), aq.Scale, rightScale, columns, out bias, out biasScale)) return "the Gemm bias is not a constant with one value per output column";
        var requantizer = Requantizer.FromRealMultipliers(RealMultipliers(aq.Scale, rightScale, target.Quantization.Scale, columns),
            target.Quantization.ZeroPoint, target.Minimum, target.Maximum);
        var scales = new RealScales(aq.Scale, [.. rightScale.Select(s => (float)s)], biasScale, target.Quantization.Scale);
        return Commit(new MatMulStep(node.DisplayName, a, right, aq.ZeroPoint, constantRight, rightZero, bias, requantizer, target.Name, target.Unsigned, scales), target);
    }

    private static Tensor Transpose(Tensor matrix)
    {
        int rows = matrix.Shape[0], columns = matrix.Shape[1];
        var source = matrix.As<sbyte>();
        var data = new sbyte[source.Length];
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < columns; c++) data[c * rows + r] = source[r * columns + c];
        return Tensor.Create([columns, rows], data);
    }

    private string? LowerBinary(Node node)
    {
        if (Activation(node.Input(0)) is not var (a, aq) || Activation(node.Input(1)) is not var (b, bq)) return NotQuantizedInput;
        if (FindOutput(node, out var reason) is not { } target) return reason;
        var y = target.Quantization;
        int[] parameters;
        if (node.OpType == "Add")
        {
            // TFLite's int8 Add: 20 bits of headroom, both inputs rescaled to twice the larger input scale.
            const int LeftShift = 20;
            double twiceMaximum = 2.0 * Math.Max(aq.Scale, bq.Scale);
            var (am, ash) = FixedPoint.QuantizeMultiplier(aq.Scale / twiceMaximum);
            var (bm, bsh) = FixedPoint.QuantizeMultiplier(bq.Scale / twiceMaximum);
            var (om, osh) = FixedPoint.QuantizeMultiplier(twiceMaximum / ((1 << LeftShift) * (double)y.Scale));
            parameters = [aq.ZeroPoint, bq.ZeroPoint, LeftShift, am, ash, bm, bsh, om, osh, y.ZeroPoint, target.Minimum, target.Maximum];
        }
        else
        {
            var (om, osh) = FixedPoint.QuantizeMultiplier((double)aq.Scale * bq.Scale / y.Scale);
            parameters = [aq.ZeroPoint, bq.ZeroPoint, om, osh, y.ZeroPoint, target.Minimum, target.Maximum];
        }
        return Commit(new BinaryStep(node.DisplayName, node.OpType, a, b, target.Name, parameters, target.Unsigned, (aq, bq, y)), target);
    }

    private string? LowerPool(Node node)
    {
        if (Activation(node.Input(0)) is not var (x, xq)) return NotQuantizedInput;
        if (node.Outputs.Count > 1 && node.Output(1) is not null) return "MaxPool's Indices output is not lowered";
        if (node.OpType != "GlobalAveragePool" && node.Attribute("kernel_shape")?.Value is long[] kernel && kernel.Length is not (1 or 2)) return "only 1-D and 2-D pools are lowered";
        if (FindOutput(node, out var reason) is not { } target) return reason;
        if (node.OpType == "MaxPool")
        {
            if (target.Quantization == xq && target.FullRange) return Commit(new PoolStep(node, x, target.Name, xq.ZeroPoint, null, target.Unsigned), target);
            if (!target.FullRange) return "a clamp fused after MaxPool is not lowered";
            string pooled = target.Name + "/pooled";
            _steps.Add(new PoolStep(node, x, pooled, xq.ZeroPoint, null, target.Unsigned));
            return Commit(new RequantizeStep(node.DisplayName, pooled, target.Name, xq, target.Quantization, target.Unsigned), target);
        }
        var rescale = new AverageRescale((double)xq.Scale / target.Quantization.Scale, target.Quantization.ZeroPoint, target.Minimum, target.Maximum);
        return Commit(new PoolStep(node, x, target.Name, xq.ZeroPoint, rescale, target.Unsigned, realQuantization: (xq, target.Quantization)), target);
    }

    private string? LowerConcat(Node node)
    {
        var parts = node.Inputs.Select(Activation).ToList();
        if (parts.Any(p => p is null)) return NotQuantizedInput;
        if (FindOutput(node, out var reason) is not { } target) return reason;
        if (!target.FullRange) return "a clamp fused after Concat is not lowered";
        var rescale = parts.Select(p => p!.Value.Quantization == target.Quantization ? null
            : Requantizer.ForValues((double)p.Value.Quantization.Scale / target.Quantization.Scale, target.Quantization.ZeroPoint)).ToArray();
        var step = new ConcatStep(node, Opset(node), _operators.Get(node), parts.Select(p => p!.Value.Source).ToArray(),
            parts.Select(p => p!.Value.Quantization.ZeroPoint).ToArray(), rescale, target.Name, target.Unsigned,
            parts.Select(p => p!.Value.Quantization).ToArray(), target.Quantization);
        return Commit(step, target);
    }

    private string? LowerTable(Node node)
    {
        if (Activation(node.Input(0)) is not var (x, xq)) return NotQuantizedInput;
        var constants = new DataValue?[node.Inputs.Count];
        for (int i = 1; i < constants.Length; i++)
        {
            if (node.Input(i) is null) continue;
            if (ConstantOf(node.Input(i)) is not { Length: 1 } c) return "an extra input is not a scalar constant";
            constants[i] = c;
        }
        if (FindOutput(node, out var reason) is not { } target) return reason;
        // The table is the float op on each of the 256 dequantized inputs, quantized as QuantizeLinear does.
        var inputs = new float[256];
        for (int q = 0; q < 256; q++) inputs[q] = (q - 128 - xq.ZeroPoint) * xq.Scale;
        constants[0] = Tensor.Create([256], inputs);
        var context = new KernelContext(node, Opset(node), constants);
        _operators.Get(node).Execute(context);
        var outputs = ((Tensor)context.Outputs[0]!).ToFloatArray();
        var table = new sbyte[256];
        var y = target.Quantization;
        for (int q = 0; q < 256; q++)
        {
            double value = float.IsNaN(outputs[q]) ? y.ZeroPoint : MathF.Round(outputs[q] / y.Scale) + (double)y.ZeroPoint;
            table[q] = (sbyte)Math.Clamp(value, target.Minimum, target.Maximum);
        }
        return Commit(new LookupStep(node.DisplayName, node.OpType, x, target.Name, table, target.Unsigned), target);
    }

    private string? LowerLayout(Node node)
    {
        if (Activation(node.Input(0)) is not var (x, xq)) return NotQuantizedInput;
        if (node.OpType is "Resize" or "Upsample" && (node.Attribute("mode")?.Value as string ?? "nearest") != "nearest") return "only nearest-neighbour Resize moves int8 values unchanged";
        if (node.OpType == "Pad" && Opset(node) < 11) return "Pad before opset 11 (pad value as a float attribute) is not lowered";
        var constants = new Tensor?[node.Inputs.Count];
        for (int i = 1; i < constants.Length; i++)
        {
            if (node.Input(i) is null) continue;
            constants[i] = ConstantOf(node.Input(i));
            if (constants[i] is null) return $"input {i} is not a constant";
        }
        if (node.OpType == "Pad")
        {
            // Padding is the real value 0 (or the given constant) in the input's quantization.
            double padValue = constants.Length > 2 && constants[2] is { } given ? given.GetDouble(0) : 0;
            if (constants.Length < 3) Array.Resize(ref constants, 3);
            constants[2] = Tensor.Scalar((sbyte)Math.Clamp(Math.Round(padValue / xq.Scale) + xq.ZeroPoint, sbyte.MinValue, sbyte.MaxValue));
        }
        if (FindOutput(node, out var reason) is not { } target) return reason;
        if (!target.FullRange) return $"a clamp fused after {node.OpType} is not lowered";
        var kernel = _operators.Get(node);
        if (target.Quantization == xq) return Commit(new LayoutStep(node, Opset(node), kernel, x, constants, target.Name, target.Unsigned), target);
        string moved = target.Name + "/moved";
        _steps.Add(new LayoutStep(node, Opset(node), kernel, x, constants, moved, target.Unsigned));
        return Commit(new RequantizeStep(node.DisplayName, moved, target.Name, xq, target.Quantization, target.Unsigned), target);
    }
}
