using Tessera.Core;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>MediaPipe BlazeFace short range (NHWC 128x128), quantized by Tessera, on the simulated NPU of each
/// configuration: bit-identical to the integer reference executor.</summary>
public sealed class BlazeFaceTests(ITestOutputHelper output)
{
    private static QuantizedModel Model => QuantizedModel.Get("blazeface-front", PreprocessingPresets.Get("blazeface-front"), "astronaut.png", "messi5.jpg");

    private static Dictionary<string, Tensor> Inputs => RealModelInputs.BlazeFace(128);

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Runs_bit_identical_to_the_integer_executor(string configuration)
    {
        var partition = Model.Partition(configuration, Inputs);
        var (_, compared) = BitExactness.RunIdentical(partition, Model.Program, Inputs, output, $"blazeface-front 128x128 on {configuration}");
        Assert.True(compared > 20);
        Assert.All(partition.Fallbacks.Where(f => f.Macs > 0), f => Assert.StartsWith("compiler:", f.Reason));
        if (configuration != "tiny") Assert.True(partition.NpuMacFraction >= 0.95, $"NPU MAC fraction {partition.NpuMacFraction:P2}");
    }
}
