using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>Every layer kind compiled alone for tiny, small and large: the simulator's output equals the
/// integer oracle bit for bit.</summary>
public class LayerTests
{
    public static TheoryData<string> Configs() => new(Make.Configs);

    internal static void AssertBitExact(string config, Layer layer, int seed, bool requireSpread = true)
    {
        var random = new Random(seed);
        var inputs = Make.Inputs(layer.Inputs, random);
        var expected = LayerOracle.Run(layer, layer.Inputs.Select(t => inputs[t.Name]).ToList());
        var compiled = NetworkCompiler.Compile(Make.Spec(config), layer);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        var actual = outputs[layer.Output.Name];
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i]) Assert.Fail($"{config} {layer.Kind} '{layer.Name}': element {i} is {actual[i]}, oracle {expected[i]} ({compiled.Layers[0].Decision})");
        }
        // The check must be able to fail: outputs are not constant.
        if (requireSpread) Assert.True(expected.Distinct().Count() > Math.Min(3, expected.Length - 1), "degenerate test data");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Conv_3x3_padded(string config)
    {
        var random = new Random(1);
        AssertBitExact(config, Make.Conv("c", Make.Tensor("x", 9, 11, 16, random), 24, new Window(3, 3, Padding: Padding.Same(1)), 1, random), 2);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Conv_3x3_stride_2_relu6_odd_channels(string config)
    {
        var random = new Random(3);
        AssertBitExact(config, Make.Conv("c", Make.Tensor("x", 13, 10, 37, random), 45, new Window(3, 3, 2, 2, Padding: new Padding(1, 0, 1, 1)), 1, random, -5, 60), 4);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Conv_1x1_wide(string config)
    {
        var random = new Random(5);
        AssertBitExact(config, Make.Conv("c", Make.Tensor("x", 7, 7, 96, random), 80, new Window(1, 1), 1, random), 6);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Conv_dilated_grouped(string config)
    {
        var random = new Random(7);
        AssertBitExact(config, Make.Conv("c", Make.Tensor("x", 12, 12, 12, random), 18, new Window(3, 3, DilationY: 2, DilationX: 2, Padding: Padding.Same(2)), 3, random), 8);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Depthwise_3x3(string config)
    {
        var random = new Random(9);
        AssertBitExact(config, Make.Conv("dw", Make.Tensor("x", 15, 14, 40, random), 40, new Window(3, 3, Padding: Padding.Same(1)), 40, random, 0, 127), 10);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Depthwise_3x3_stride_2(string config)
    {
        var random = new Random(11);
        AssertBitExact(config, Make.Conv("dw", Make.Tensor("x", 16, 16, 24, random), 24, new Window(3, 3, 2, 2, Padding: new Padding(0, 0, 1, 1)), 24, random), 12);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Depthwise_multiplier_2_on_the_array(string config)
    {
        var random = new Random(13);
        AssertBitExact(config, Make.Conv("dw", Make.Tensor("x", 8, 8, 6, random), 12, new Window(3, 3, Padding: Padding.Same(1)), 6, random), 14);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void FullyConnected(string config)
    {
        var random = new Random(15);
        var input = Make.Tensor("x", 1, 1, 300, random);
        var conv = Make.Conv("fc", input, 70, new Window(1, 1), 1, random);
        AssertBitExact(config, ConvLayer.FullyConnected("fc", input, conv.Output, conv.Weights, conv.Bias, conv.Multipliers, conv.Shifts), 16);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Batched_matmul_with_constant_weights(string config)
    {
        var random = new Random(17);
        var input = Make.Tensor("x", 3, 20, 33, random); // 3 matrices of 20 x 33
        AssertBitExact(config, Make.Conv("mm", input, 17, new Window(1, 1), 1, random), 18);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void MaxPool_3x3_stride_2_padded_clamped(string config)
    {
        var random = new Random(19);
        var input = Make.Tensor("x", 11, 12, 20, random);
        var window = new Window(3, 3, 2, 2, Padding: Padding.Same(1));
        var output = new NpuTensor("y", window.OutputHeight(11), window.OutputWidth(12), 20, input.ZeroPoint);
        AssertBitExact(config, new MaxPoolLayer("pool", input, output, window, -10, 100), 20);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void AveragePool_2x2(string config)
    {
        var random = new Random(21);
        var input = Make.Tensor("x", 10, 9, 19, random);
        var window = new Window(2, 2, 2, 2);
        var output = new NpuTensor("y", 5, 4, 19, 3);
        var (m, s) = Tessera.Hardware.FixedPoint.QuantizeMultiplier(1.3 / 4);
        AssertBitExact(config, new AveragePoolLayer("pool", input, output, window, m, s), 22);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void GlobalAveragePool(string config)
    {
        var random = new Random(23);
        var input = Make.Tensor("x", 7, 7, 64, random);
        var (m, s) = Tessera.Hardware.FixedPoint.QuantizeMultiplier(2.0 / 49);
        AssertBitExact(config, AveragePoolLayer.Global("gap", input, new NpuTensor("y", 1, 1, 64, -4), m, s), 24);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Add_and_multiply(string config)
    {
        var random = new Random(25);
        var a = Make.Tensor("a", 9, 7, 30, random);
        var b = Make.Tensor("b", 9, 7, 30, random);
        var y = Make.Tensor("y", 9, 7, 30, random);
        AssertBitExact(config, new ElementwiseLayer("add", a, b, y, false, Make.AddParameters(a, b, y, random)), 26);
        AssertBitExact(config, new ElementwiseLayer("mul", a, b, y, true, Make.MultiplyParameters(a, b, y, random)), 27);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Lookup(string config)
    {
        var random = new Random(28);
        var x = Make.Tensor("x", 5, 13, 21, random);
        var table = Enumerable.Range(-128, 256).Select(v => (sbyte)Math.Round(127 * Math.Tanh(v / 32.0))).ToArray();
        AssertBitExact(config, new LookupLayer("tanh", x, x with { Name = "y" }, table), 29);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Concat_channels(string config)
    {
        var random = new Random(30);
        var a = Make.Tensor("a", 6, 5, 7, random);
        var b = Make.Tensor("b", 6, 5, 16, random);
        var c = Make.Tensor("c", 6, 5, 3, random);
        AssertBitExact(config, new ConcatLayer("cat", [a, b, c], new NpuTensor("y", 6, 5, 26)), 31);
    }
}
