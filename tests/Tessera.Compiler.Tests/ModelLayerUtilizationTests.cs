using Tessera.Compiler.Layers;
using Xunit.Abstractions;

namespace Tessera.Compiler.Tests;

/// <summary>Simulated figures of the new layer kinds at PP-OCRv4-like sizes, for docs/compiler.md.</summary>
public class ModelLayerUtilizationTests(ITestOutputHelper output)
{
    private static IEnumerable<Layer> Layers()
    {
        var random = new Random(200);
        var x = Make.Tensor("x", 12, 48, 96, random);
        yield return ModelLayerMake.Broadcast("SE mul 12x48x96 * 1x1x96", x, Make.Tensor("gate", 1, 1, 96, random), true, random);
        var f = Make.Tensor("f", 40, 40, 96, random);
        yield return ResizeNearestLayer.Upsample("resize x2 40x40x96", f, f with { Name = "y", Height = 80, Width = 80 });
        yield return ModelLayerMake.ConvTranspose("convT 2x2/2 24->24 80x80", Make.Tensor("h", 80, 80, 24, random), 24, new Window(2, 2, 2, 2), 1, random);
        yield return ModelLayerMake.ConvTranspose("convT 3x3/2 pad 1 32->32 40x40", Make.Tensor("g", 40, 40, 32, random), 32, new Window(3, 3, 2, 2, Padding: Padding.Same(1)), 1, random, 1, 1);
        yield return ModelLayerMake.MatMul("QK^T 8x40x15 * 15x40", Make.Tensor("q", 8, 40, 15, random), Make.Tensor("k", 8, 40, 15, random), true, random);
        yield return ModelLayerMake.MatMul("PV 8x40x40 * 40x15", new NpuTensor("p", 8, 40, 40, -128), Make.Tensor("v", 8, 40, 15, random), false, random);
        yield return ModelLayerMake.MatMul("act matmul 256x64 * 64x64", Make.Tensor("a", 1, 256, 64, random), Make.Tensor("b", 1, 64, 64, random), false, random);
        var t = Make.Tensor("t", 40, 8, 15, random);
        yield return new TransposeLayer("transpose 40x8x15 -> 8x40x15", t, t with { Name = "y", Height = 8, Width = 40 }, [1, 0, 2]);
    }

    [Fact]
    public void New_layers_report()
    {
        foreach (var config in Make.Configs)
        {
            foreach (var layer in Layers())
            {
                var compiled = NetworkCompiler.Compile(Make.Spec(config), layer);
                var (_, report) = NpuExecution.Run(compiled, Make.Inputs(layer.Inputs, new Random(1)));
                var l = report.Layers[0];
                output.WriteLine($"| {config} | {layer.Name} | {l.Macs} | {l.Cycles} | {l.EstimatedCycles} | {l.MacUtilization * 100:F1} % | {l.DramBytes} | {l.EnergyPicojoules / 1e6:F2} | {l.Decision} |");
                Assert.True(l.Cycles > 0 && l.MacUtilization is >= 0 and <= 1);
            }
        }
    }
}
