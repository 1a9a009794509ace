using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The direct few-input-channel convolution (stems: 1 to 4 input channels, group 1, output rows of at
/// least 8 pixels) against the reference Conv / FusedConv over random shapes: strides 1 to 3, dilations 1 to 3,
/// asymmetric padding, output channel counts that leave the last block of four partly empty, output widths that
/// leave a partial vector, every fused activation (vector and library epilogues), a residual, batches of two,
/// one and two threads.</summary>
public sealed class FewChannelConvolutionTests
{
    private static readonly OperatorRegistry Fast = CpuBackend.CreateOperators(1);
    private static readonly OperatorRegistry FastTwoThreads = CpuBackend.CreateOperators(2, serialBelowElements: 0);
    private static readonly string[] Activations = ["", "Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh"];

    private static Tensor Random(Random random, params int[] shape) =>
        Tensor.Create(shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());

    private static Node Conv(int kh, int kw, int sy, int sx, int dy, int dx, int[] pads, string activation, bool residual)
    {
        bool fused = activation.Length > 0 || residual;
        List<Value> inputs = [new Value("x"), new Value("w"), new Value("b")];
        if (residual) inputs.Add(new Value("z"));
        var node = new Node(fused ? "FusedConv" : "Conv", inputs, [new Value("y")], fused ? "tessera" : "", "conv");
        node.SetAttribute(NodeAttribute.Int("group", 1));
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kh, kw]));
        node.SetAttribute(NodeAttribute.Ints("strides", [sy, sx]));
        node.SetAttribute(NodeAttribute.Ints("dilations", [dy, dx]));
        node.SetAttribute(NodeAttribute.Ints("pads", pads.Select(p => (long)p).ToArray()));
        if (activation.Length > 0)
        {
            node.SetAttribute(NodeAttribute.String("activation", activation));
            node.SetAttribute(NodeAttribute.Floats("activation_params", activation switch
            {
                "Clip" => [0f, 6f],
                "LeakyRelu" => [0.1f],
                "HardSigmoid" => [0.2f, 0.5f],
                _ => [],
            }));
        }
        return node;
    }

    private static void Check(OperatorRegistry fast, Node node, Tensor?[] inputs, string label)
    {
        Tensor Run(OperatorRegistry registry)
        {
            var context = new KernelContext(node, 22, inputs.Cast<DataValue?>().ToList());
            registry.Get(node).Execute(context);
            return (Tensor)context.Outputs[0]!;
        }
        var expected = Run(OperatorRegistry.Default);
        var actual = Run(fast);
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToFloatArray();
        var a = actual.ToFloatArray();
        double scale = Math.Max(1, e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * scale, $"{label} at {i}: {a[i]} vs {e[i]}");
    }

    [Property(MaxTest = 60)]
    public Property Few_channel_convolutions_match_the_reference(PositiveInt seedValue)
    {
        var random = new Random(seedValue.Get);
        int inChannels = random.Next(1, 5), outChannels = random.Next(1, 14), batch = random.Next(1, 3);
        int kh = random.Next(1, 6), kw = random.Next(1, 6), sy = random.Next(1, 4), sx = random.Next(1, 4);
        int dy = random.Next(1, 4), dx = random.Next(1, 4);
        int[] pads = [random.Next(0, kh), random.Next(0, kw), random.Next(0, kh), random.Next(0, kw)];
        int outWidth = random.Next(8, 60), outHeight = random.Next(1, 12);
        // Input sizes that give these outputs (the window must fit the padded input).
        int width = Math.Max(1, (outWidth - 1) * sx + (kw - 1) * dx + 1 - pads[1] - pads[3] + random.Next(0, sx));
        int height = Math.Max(1, (outHeight - 1) * sy + (kh - 1) * dy + 1 - pads[0] - pads[2] + random.Next(0, sy));
        outWidth = (width + pads[1] + pads[3] - (kw - 1) * dx - 1) / sx + 1;
        outHeight = (height + pads[0] + pads[2] - (kh - 1) * dy - 1) / sy + 1;
        string activation = Activations[random.Next(Activations.Length)];
        bool residual = random.Next(2) == 0;
        var node = Conv(kh, kw, sy, sx, dy, dx, pads, activation, residual);
        var inputs = new List<Tensor?> { Random(random, batch, inChannels, height, width), Random(random, outChannels, inChannels, kh, kw), Random(random, outChannels) };
        if (residual) inputs.Add(Random(random, batch, outChannels, outHeight, outWidth));
        string label = $"{batch}x{inChannels}x{height}x{width} -> {outChannels}x{outHeight}x{outWidth} k{kh}x{kw} s{sy},{sx} d{dy},{dx} pads {string.Join(",", pads)} '{activation}' residual {residual}";
        Check(seedValue.Get % 2 == 0 ? Fast : FastTwoThreads, node, [.. inputs], label);
        return true.ToProperty();
    }

    [Theory]
    [InlineData(128, 24, false)]
    [InlineData(131, 24, true)]
    [InlineData(64, 7, true)]
    public void BlazeFace_stem_shapes_match_the_reference(int size, int outChannels, bool residual)
    {
        // BlazeFace's stem: 3 channels, 5x5, stride 2, pads 1,1,2,2 (the model's SAME padding), Relu.
        var random = new Random(size + outChannels);
        var node = Conv(5, 5, 2, 2, 1, 1, [1, 1, 2, 2], "Relu", residual);
        int outSize = (size + 3 - 5) / 2 + 1;
        var inputs = new List<Tensor?> { Random(random, 1, 3, size, size), Random(random, outChannels, 3, 5, 5), Random(random, outChannels) };
        if (residual) inputs.Add(Random(random, 1, outChannels, outSize, outSize));
        Check(Fast, node, [.. inputs], $"stem {size} -> {outChannels}");
        Check(FastTwoThreads, node, [.. inputs], $"stem {size} -> {outChannels}, two threads");
    }

    [Fact]
    public void One_dimensional_few_channel_convolution_matches_the_reference()
    {
        // Rank 3 (height 1): two channels, kernel 7, stride 3, dilation 2.
        var random = new Random(5);
        var node = new Node("Conv", [new Value("x"), new Value("w"), new Value("b")], [new Value("y")], "", "conv");
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [7]));
        node.SetAttribute(NodeAttribute.Ints("strides", [3]));
        node.SetAttribute(NodeAttribute.Ints("dilations", [2]));
        node.SetAttribute(NodeAttribute.Ints("pads", [4, 1]));
        Check(Fast, node, [Random(random, 2, 2, 300), Random(random, 9, 2, 7), Random(random, 9)], "1-D");
    }
}
