using Xunit.Abstractions;

namespace Tessera.Compiler.Tests;

/// <summary>Measured MAC utilization of representative layers (figures for docs/compiler.md) and the issue's
/// target on 'small': the 3x3 convolutions with >= 32 input and output channels reach 70 %.</summary>
public class UtilizationTests(ITestOutputHelper output)
{
    [Fact]
    public void Representative_layers_report()
    {
        foreach (var config in Make.Configs)
        {
            foreach (var layer in RepresentativeLayers.All())
            {
                var compiled = NetworkCompiler.Compile(Make.Spec(config), layer);
                var (_, report) = NpuExecution.Run(compiled, Make.Inputs(layer.Inputs, new Random(1)));
                var l = report.Layers[0];
                output.WriteLine($"| {config} | {layer.Name} | {l.Macs} | {l.Cycles} | {l.EstimatedCycles} | {l.MacUtilization * 100:F1} % | {l.DramBytes} | {l.EnergyPicojoules / 1e6:F2} | {l.Decision} |");
                Assert.True(l.Cycles > 0 && l.MacUtilization is > 0 and <= 1);
            }
        }
    }

    [Fact]
    public void Small_reaches_70_percent_on_compute_bound_layers_with_32_or_more_channels()
    {
        // Simulated cycles are deterministic; 1x1 64->64 at 56x56 is excluded because it is DRAM-bound on
        // 'small' (128 bytes per 4096 MACs at 16 bytes/cycle caps it at 50 %; docs/compiler.md).
        foreach (var layer in RepresentativeLayers.All().Where(l => l.Name.StartsWith("conv3x3", StringComparison.Ordinal) || l.Name.StartsWith("conv1x1 128", StringComparison.Ordinal) || l.Name.StartsWith("gemm", StringComparison.Ordinal)))
        {
            var compiled = NetworkCompiler.Compile(Make.Spec("small"), layer);
            var (_, report) = NpuExecution.Run(compiled, Make.Inputs(layer.Inputs, new Random(1)));
            Assert.True(report.Layers[0].MacUtilization >= 0.70, $"{layer.Name}: {report.Layers[0].MacUtilization:P1}");
        }
    }
}
