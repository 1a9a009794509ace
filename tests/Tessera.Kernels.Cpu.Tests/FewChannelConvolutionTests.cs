using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Core;
using Tessera.Ops;
using static Tessera.Kernels.Cpu.Tests.KernelCheck;

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

    /// <summary>A 2-D Conv with one group; FusedConv with an activation (and its usual parameters) or a residual.</summary>
    private static Node Conv(int kh, int kw, int sy, int sx, int dy, int dx, int[] pads, string activation, bool residual) =>
        KernelCheck.Conv(1, kh, kw, sy, sx, dy, dx, pads, activation, activation switch
        {
            "Clip" => [0f, 6f],
            "LeakyRelu" => [0.1f],
            "HardSigmoid" => [0.2f, 0.5f],
            _ => [],
        }, residual);

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
        var inputs = new List<Tensor?> { RandomTensor(random, batch, inChannels, height, width), RandomTensor(random, outChannels, inChannels, kh, kw), RandomTensor(random, outChannels) };
        if (residual) inputs.Add(RandomTensor(random, batch, outChannels, outHeight, outWidth));
        string label = $"{batch}x{inChannels}x{height}x{width} -> {outChannels}x{outHeight}x{outWidth} k{kh}x{kw} s{sy},{sx} d{dy},{dx} pads {string.Join(",", pads)} '{activation}' residual {residual}";
        Check(seedValue.Get % 2 == 0 ? Fast : FastTwoThreads, node, [.. inputs], label);
        return true.ToProperty();
    }

    [Property(MaxTest = 20)]
    public Property Wide_rows_in_several_bands_match_the_reference(PositiveInt seedValue)
    {
        // Rows of 150-500 output columns with 3 or 4 channels and strides up to 3: each band of phase rows holds only a few
        // output rows, so a chunk runs several bands (the last one short) at one and two threads; 1 to 64 output channels
        // (a last block of four partly empty) and widths that end in zero, one or two vectors after the three-vector blocks.
        var random = new Random(seedValue.Get);
        int inChannels = random.Next(3, 5), outChannels = random.Next(1, 65);
        int kh = random.Next(1, 6), kw = random.Next(1, 6), sy = random.Next(1, 4), sx = random.Next(1, 4);
        int dy = random.Next(1, 3), dx = random.Next(1, 3);
        int[] pads = [random.Next(0, kh), random.Next(0, kw), random.Next(0, kh), random.Next(0, kw)];
        int width = random.Next(150, 500) * sx, height = random.Next(4, 30);
        if (height + pads[0] + pads[2] < (kh - 1) * dy + 1) height = (kh - 1) * dy + 1;
        int outWidth = (width + pads[1] + pads[3] - (kw - 1) * dx - 1) / sx + 1;
        int outHeight = (height + pads[0] + pads[2] - (kh - 1) * dy - 1) / sy + 1;
        string activation = Activations[random.Next(Activations.Length)];
        bool residual = random.Next(2) == 0;
        var node = Conv(kh, kw, sy, sx, dy, dx, pads, activation, residual);
        var inputs = new List<Tensor?> { RandomTensor(random, 1, inChannels, height, width), RandomTensor(random, outChannels, inChannels, kh, kw), RandomTensor(random, outChannels) };
        if (residual) inputs.Add(RandomTensor(random, 1, outChannels, outHeight, outWidth));
        string label = $"{inChannels}x{height}x{width} -> {outChannels}x{outHeight}x{outWidth} k{kh}x{kw} s{sy},{sx} d{dy},{dx} pads {string.Join(",", pads)} '{activation}' residual {residual}";
        Check(Fast, node, [.. inputs], label);
        Check(FastTwoThreads, node, [.. inputs], label + ", two threads");
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
        var inputs = new List<Tensor?> { RandomTensor(random, 1, 3, size, size), RandomTensor(random, outChannels, 3, 5, 5), RandomTensor(random, outChannels) };
        if (residual) inputs.Add(RandomTensor(random, 1, outChannels, outSize, outSize));
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
        Check(Fast, node, [RandomTensor(random, 2, 2, 300), RandomTensor(random, 9, 2, 7), RandomTensor(random, 9)], "1-D");
    }
}
