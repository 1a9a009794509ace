using Tessera.Compiler;
using Tessera.Compiler.Layers;
using Tessera.Hardware;

namespace Tessera.Rtl.Simulation;

/// <summary>A small MobileNet-like int8 network with seeded random weights, for co-simulating the tiles a
/// compiled model really issues: a strided 3x3 stem convolution, a depthwise-separable block, an inverted
/// residual block (expand, depthwise, project, Add), a strided 3x3 convolution, max and global average pooling
/// and a fully connected classifier. The depthwise layers run on the vector unit; every other MAC layer becomes
/// gemm tiles (1x1 convolutions as plain gemms, 3x3 ones as accumulating per-tap gemms through implicit im2col).</summary>
public static class SampleNetwork
{
    public static Network MobileNetLike(int size = 32, int seed = 42)
    {
        var random = new Random(seed);
        var network = new Network();
        var image = new NpuTensor("image", size, size, 3, random.Next(-20, 21));
        network.Inputs.Add(image);
        T Add<T>(T layer) where T : Layer
        {
            network.Layers.Add(layer);
            return layer;
        }
        var same = Padding.Same(1);
        var stem = Add(Conv("stem", image, 16, new Window(3, 3, 2, 2, Padding: new Padding(0, 0, 1, 1)), 1, random, relu: true));
        var dw1 = Add(Conv("dw1", stem.Output, 16, new Window(3, 3, Padding: same), 16, random, relu: true));
        var pw1 = Add(Conv("pw1", dw1.Output, 32, new Window(1, 1), 1, random, relu: true));
        var expand = Add(Conv("expand", pw1.Output, 64, new Window(1, 1), 1, random, relu: true));
        var dw2 = Add(Conv("dw2", expand.Output, 64, new Window(3, 3, Padding: same), 64, random, relu: true));
        var project = Add(Conv("project", dw2.Output, 32, new Window(1, 1), 1, random, relu: false));
        var sum = new NpuTensor("residual:out", project.Output.Height, project.Output.Width, 32, random.Next(-10, 10));
        var residual = Add(new ElementwiseLayer("residual", pw1.Output, project.Output, sum, false, AddParameters(pw1.Output, project.Output, sum, random)));
        var conv = Add(Conv("conv3x3", residual.Output, 48, new Window(3, 3, 2, 2, Padding: same), 1, random, relu: true));
        var pool = Add(new MaxPoolLayer("maxpool", conv.Output, conv.Output with { Name = "maxpool:out", Height = conv.Output.Height / 2, Width = conv.Output.Width / 2 }, new Window(2, 2, 2, 2)));
        var (multiplier, shift) = FixedPoint.QuantizeMultiplier(1.0 / pool.Output.Pixels);
        var gap = Add(AveragePoolLayer.Global("gap", pool.Output, new NpuTensor("gap:out", 1, 1, pool.Output.Channels), multiplier, shift));
        var flat = Add(new ReshapeLayer("flatten", gap.Output, gap.Output.Reshaped("flat", 1, 1, pool.Output.Channels)));
        var fc = Conv("classifier", flat.Output, 10, new Window(1, 1), 1, random, relu: false, outputName: "logits");
        Add(ConvLayer.FullyConnected("classifier", flat.Output, fc.Output, fc.Weights, fc.Bias, fc.Multipliers, fc.Shifts));
        network.Outputs.AddRange(["logits"]);
        return network;
    }

    /// <summary>Seeded random int8 values for each network input.</summary>
    public static Dictionary<string, sbyte[]> Inputs(Network network, int seed = 7)
    {
        var random = new Random(seed);
        return network.Inputs.ToDictionary(t => t.Name, t => RandomLayers.Values(t.Length, random));
    }

    /// <summary>A random convolution; with <paramref name="relu"/> its output zero point is -128 and the clamp
    /// starts there (a fused Relu).</summary>
    private static ConvLayer Conv(string name, NpuTensor input, int outputChannels, Window window, int groups, Random random, bool relu, string? outputName = null) =>
        RandomLayers.Conv(name, input, outputChannels, window, groups, random, outputName: outputName, outputZeroPoint: relu ? -128 : random.Next(-20, 21));

    private static int[] AddParameters(NpuTensor a, NpuTensor b, NpuTensor output, Random random) => RandomLayers.AddParameters(a, b, output, random);
}
