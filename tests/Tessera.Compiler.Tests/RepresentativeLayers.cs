using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>The representative layers docs/compiler.md reports, built with fixed seeds.</summary>
internal static class RepresentativeLayers
{
    public static IEnumerable<Layer> All()
    {
        var random = new Random(100);
        yield return Make.Conv("conv3x3 32->32 56x56", Make.Tensor("x", 56, 56, 32, random), 32, new Window(3, 3, Padding: Padding.Same(1)), 1, random);
        yield return Make.Conv("conv3x3 64->64 28x28", Make.Tensor("x", 28, 28, 64, random), 64, new Window(3, 3, Padding: Padding.Same(1)), 1, random);
        yield return Make.Conv("conv1x1 64->64 56x56", Make.Tensor("x", 56, 56, 64, random), 64, new Window(1, 1), 1, random);
        yield return Make.Conv("conv1x1 128->128 28x28", Make.Tensor("x", 28, 28, 128, random), 128, new Window(1, 1), 1, random);
        yield return Make.Conv("depthwise3x3 32 56x56", Make.Tensor("x", 56, 56, 32, random), 32, new Window(3, 3, Padding: Padding.Same(1)), 32, random);
        yield return Make.Conv("gemm 256x256x256", Make.Tensor("x", 1, 256, 256, random), 256, new Window(1, 1), 1, random);
    }
}
