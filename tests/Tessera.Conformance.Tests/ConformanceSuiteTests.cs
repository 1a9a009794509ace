using Tessera.Conformance;

namespace Tessera.Conformance.Tests;

public class ConformanceSuiteTests
{
    /// <summary>The whole ONNX backend suite on the reference backend: nothing may be wrong, and the
    /// share that passes may only grow (the floor is raised as operators land).</summary>
    [Fact]
    public void Reference_backend_has_no_failures()
    {
        var runner = new ConformanceRunner("reference");
        var summary = runner.Run();
        var failures = summary.Results.Where(r => r.Status == CaseStatus.Failed).Select(r => $"{r.Case.Name}: {r.Message}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(summary.Total > 1000, $"expected the full suite, found {summary.Total} cases");
        Assert.True(summary.Passed >= 20, summary.SummaryLine);
    }
}
