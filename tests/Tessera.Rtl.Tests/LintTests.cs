using Tessera.Hardware;
using Tessera.Rtl;

namespace Tessera.Rtl.Tests;

public sealed class LintTests
{
    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void GeneratedVerilogIsLintClean(string config)
    {
        var spec = NpuSpecLoader.Load(config);
        var folder = Path.Combine(Path.GetTempPath(), $"tessera-rtl-lint-{config}-{Guid.NewGuid():N}");
        try
        {
            RtlGenerator.Write(spec, folder);
            var lint = ExternalTool.Lint(folder);
            Assert.True(lint.Length == 0, lint);
            var core = File.ReadAllText(Path.Combine(folder, "tessera_core.v"));
            Assert.Contains($"spec hash 0x{spec.Hash:x16}", core, StringComparison.Ordinal);
            Assert.Contains($"parameter ROWS = {spec.ArrayRows},", core, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
