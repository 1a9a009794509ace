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
    int QuantizedTensors);
