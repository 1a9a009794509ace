namespace Tessera.Quantization;

/// <summary>How a float model becomes a QDQ model.</summary>
public sealed record QuantizationOptions
{
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>For <see cref="CalibrationMethod.Percentile"/>: the percentile of |x| kept unclipped.</summary>
    public double Percentile { get; init; } = 99.99;

    /// <summary>One weight scale per output channel (default) instead of one per tensor.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>Activations with zero point 0 (weights are always symmetric).</summary>
    public bool Symmetric { get; init; }

    /// <summary>A Conv/ConvTranspose/Gemm/MatMul whose result only the model's outputs or float ops read (a
    /// Reshape/Transpose to the output, a float Softmax) keeps int8 inputs and weights (its MACs stay int8),
    /// but its int32 accumulator is dequantized to the output without the int8 requantization. An output
    /// tensor's range is set by values that may not matter: BlazeFace back's score logits reach -282 while the
    /// decision sits near 0, so one int8 step was 1.1 logits and no face scored above sigmoid(0). Off by
    /// default: the integer executor and the NPU run such a layer as a float island.</summary>
    public bool Int32Outputs { get; init; }

    /// <summary>Per Conv/ConvTranspose/Gemm node name, a per-output-channel amount subtracted from its float bias
    /// before the bias is quantized (<see cref="BiasCorrection.Measure"/>: the mean error quantization adds to
    /// that channel). Empty: no correction.</summary>
    public IReadOnlyDictionary<string, float[]> BiasCorrections { get; init; } = new Dictionary<string, float[]>(StringComparer.Ordinal);

    /// <summary>Per Conv node name, the input patch statistics (<see cref="AdaptiveRounding.Measure"/>) with which its
    /// int8 weights are rounded up or down to lower the output error instead of to the nearest level. Empty:
    /// nearest rounding everywhere.</summary>
    public IReadOnlyDictionary<string, PatchStatistics> WeightRounding { get; init; } = new Dictionary<string, PatchStatistics>(StringComparer.Ordinal);

    /// <summary>Activation tensors (by their name in the prepared float model) quantized to int16 instead of int8:
    /// Q/DQ with an int16 zero point (65,536 levels over the same range), the readers' weights stay int8 (W8A16).
    /// For tensors whose range is wide but whose small values matter (an audio spectrum's magnitude). ONNX
    /// QuantizeLinear takes int16 from opset 21; below that the pair is written in ONNX Runtime's com.microsoft
    /// domain, which takes int16 with the same arithmetic. The integer executor runs
    /// such a tensor's readers as float islands.</summary>
    public IReadOnlySet<string> Int16Tensors { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Names of nodes to leave in float (what auto-fallback chose).</summary>
    public IReadOnlySet<string> KeepFloat { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>A node left in float and why.</summary>
public sealed record FloatNode(string Name, string OpType, string Reason, long Macs);

/// <summary>What the rewrite did: quantized nodes by op type, nodes kept in float, and how many MACs run in int8.</summary>
public sealed record QuantizationReport(
    IReadOnlyDictionary<string, int> QuantizedByOp,
    IReadOnlyList<FloatNode> KeptFloat,
    IReadOnlyList<string> QuantizedNodes,
    long Int8Macs,
    long TotalMacs,
    int QuantizedTensors)
{
    /// <summary>Of <see cref="Int8Macs"/>, those of layers reading an int16 activation (int8 weights x int16 inputs).</summary>
    public long Int16ActivationMacs { get; init; }

    /// <summary>Of <see cref="QuantizedTensors"/>, those quantized to int16.</summary>
    public int Int16Tensors { get; init; }
}
