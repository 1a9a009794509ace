using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Kernels.Cpu.Tests;

public sealed class BackendTests
{
    static BackendTests() => CpuBackend.Register();

    [Fact]
    public void An_unknown_backend_is_unsupported_and_names_the_available_ones()
    {
        var model = new Model(new Graph { Name = "empty" });
        var error = Assert.Throws<UnsupportedException>(() => new InferenceSession(model, new SessionOptions { Backend = "gpu" }));
        Assert.Contains("backend 'gpu' is not available", error.Message);
        Assert.Contains("cpu", error.Hint);
        Assert.Contains(CpuBackend.Name, Backends.Names);
    }

    [Fact]
    public void Ops_without_a_fast_kernel_keep_their_reference_kernel()
    {
        var operators = CpuBackend.CreateOperators(1);
        Assert.True(operators.TryGet("", "LayerNormalization", out var layerNorm));
        Assert.True(Tessera.Ops.OperatorRegistry.Default.TryGet("", "LayerNormalization", out var reference));
        Assert.Same(reference, layerNorm);
        Assert.True(operators.TryGet("", "Conv", out var conv));
        Assert.IsType<Operators.FastConvolution>(conv);
        Assert.Equal(Tessera.Ops.OperatorRegistry.Default.Keys.Count(), operators.Keys.Count());
    }
}
