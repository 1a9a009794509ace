namespace Tessera.Conformance;

public enum CaseStatus
{
    Passed,
    Failed,
    Unsupported,

    /// <summary>The case's own data is defective (see <see cref="DefectiveTestData"/>); not counted.</summary>
    Excluded,
}

/// <summary>One ONNX backend test case: a folder with model.onnx and test_data_set_*/{input,output}_*.pb.</summary>
public sealed record ConformanceCase(string Suite, string Name, string Folder);

public sealed record CaseResult(ConformanceCase Case, string Op, CaseStatus Status, string? Message, double Seconds)
{
    /// <summary>On the npu backend: the group an unsupported case is counted in (the reason without the
    /// case's names), null otherwise.</summary>
    public string? Reason { get; init; }

    /// <summary>On the npu backend: where the case's MACs and steps ran, once it was partitioned.</summary>
    public NpuCaseFigures? Npu { get; init; }
}

/// <summary>Where a case ran on the npu backend: multiply-accumulates and integer steps on the NPU and on the
/// CPU fallback, and how many NPU-produced values were compared with the integer reference executor.</summary>
public sealed record NpuCaseFigures(long NpuMacs, long CpuMacs, int NpuSteps, int CpuSteps, int NpuSegments, int Compared)
{
    /// <summary>The CPU steps other than the input quantization and output dequantization every int8 model has
    /// at its edges, as "kind: reason" (empty when all the model's work ran on the NPU).</summary>
    public IReadOnlyList<string> CpuWork { get; init; } = [];


    /// <summary>The NPU's share of the MACs; null when the case has none (element-wise ops, pooling).</summary>
    public double? NpuMacFraction => NpuMacs + CpuMacs == 0 ? null : (double)NpuMacs / (NpuMacs + CpuMacs);
}

/// <summary>Totals of a run; <see cref="SummaryLine"/> is the line the CLI ends with.</summary>
public sealed record ConformanceSummary(IReadOnlyList<CaseResult> Results)
{
    public int Passed => Results.Count(r => r.Status == CaseStatus.Passed);

    public int Failed => Results.Count(r => r.Status == CaseStatus.Failed);

    public int Unsupported => Results.Count(r => r.Status == CaseStatus.Unsupported);

    public int Excluded => Results.Count(r => r.Status == CaseStatus.Excluded);

    /// <summary>Cases counted: every case run except those excluded for defective test data.</summary>
    public int Total => Results.Count - Excluded;

    public string SummaryLine => $"conformance: {Passed} passed, {Failed} failed, {Unsupported} unsupported (of {Total})";
}
