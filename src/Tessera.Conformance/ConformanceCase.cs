namespace Tessera.Conformance;

public enum CaseStatus
{
    Passed,
    Failed,
    Unsupported,
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

    public int Total => Results.Count;

    public string SummaryLine => $"conformance: {Passed} passed, {Failed} failed, {Unsupported} unsupported (of {Total})";
}
