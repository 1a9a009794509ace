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

public sealed record CaseResult(ConformanceCase Case, string Op, CaseStatus Status, string? Message, double Seconds);

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
