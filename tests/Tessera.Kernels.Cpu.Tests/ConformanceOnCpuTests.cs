using Tessera.Conformance;

namespace Tessera.Kernels.Cpu.Tests;

public sealed class ConformanceOnCpuTests
{
    static ConformanceOnCpuTests() => CpuBackend.Register();

    /// <summary>The whole ONNX backend suite on the cpu backend passes exactly the cases the reference
    /// passes, and nothing fails (a fast kernel that disagrees with the specification fails here).</summary>
    [Fact]
    public void Cpu_backend_passes_what_the_reference_passes()
    {
        var cpu = new ConformanceRunner(CpuBackend.Name).Run();
        var reference = new ConformanceRunner("reference").Run();
        var failures = cpu.Results.Where(r => r.Status == CaseStatus.Failed).Select(r => $"{r.Case.Name}: {r.Message}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(cpu.Total > 1000, $"expected the full suite, found {cpu.Total} cases");
        Assert.Equal(reference.Passed, cpu.Passed);
    }
}
