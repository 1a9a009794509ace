using Tessera.Conformance;

namespace Tessera.Conformance.Tests;

public class ConformanceSuiteTests
{
    /// <summary>The whole ONNX backend suite on the reference backend: nothing may be wrong, at least 90%
    /// of the counted cases pass, and every case excluded for defective data exists and still does not
    /// pass (when one starts to pass, its exclusion is stale and must go).</summary>
    [Fact]
    public void Reference_backend_has_no_failures()
    {
        var runner = new ConformanceRunner("reference");
        var summary = runner.Run();
        var failures = summary.Results.Where(r => r.Status == CaseStatus.Failed).Select(r => $"{r.Case.Name}: {r.Message}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(summary.Total > 1000, $"expected the full suite, found {summary.Total} cases");
        Assert.True(summary.Passed * 10 >= summary.Total * 9, summary.SummaryLine);
        var excluded = summary.Results.Where(r => r.Status == CaseStatus.Excluded).ToList();
        Assert.Equal(DefectiveTestData.Reasons.Keys.Order(StringComparer.Ordinal), excluded.Select(r => r.Case.Name).Order(StringComparer.Ordinal));
        Assert.All(excluded, r => Assert.DoesNotContain("outcome here: passed", r.Message, StringComparison.Ordinal));
    }
}
