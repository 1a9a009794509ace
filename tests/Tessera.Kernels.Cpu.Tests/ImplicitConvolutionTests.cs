using Tessera.Core;
using Tessera.Kernels.Cpu.Gemm;
using Tessera.Kernels.Cpu.Operators;
using Tessera.Ops;
using static Tessera.Kernels.Cpu.Tests.KernelCheck;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The implicit stride-1 convolution (taps read from a zero-padded copy of the input by the AVX-512 or AVX2
/// micro-kernel, no im2col matrix) against the reference Conv / FusedConv, with every implicit kernel this processor runs: random channel counts that leave 12- and 6-row blocks partly
/// empty, groups, sizes 1, 7, 13, 17 and odd widths, kernels 1xk / kx1 / 3x3 / 5x5, dilations 1 to 3, asymmetric
/// padding, the activations the kernel applies, batches of two, one and two threads; and SqueezeNet's expand shapes.</summary>
public sealed class ImplicitConvolutionTests
{
    /// <summary>The micro-kernels with an implicit convolution that this processor runs (none on a processor without AVX2).</summary>
    private static readonly GemmShape[] Implicit = GemmShape.Supported.Where(k => k is MicroKernelKind.Avx512 or MicroKernelKind.Avx2).Select(GemmShape.For).ToArray();

    /// <summary>One- and two-thread registries per implicit kernel, or for the best kernel where there is none.</summary>
    private static readonly (GemmShape Shape, OperatorRegistry One, OperatorRegistry Two)[] Registries =
        (Implicit.Length > 0 ? Implicit : [GemmShape.Best])
        .Select(s => (s, CpuBackend.CreateOperators(1, shape: s), CpuBackend.CreateOperators(2, shape: s, serialBelowElements: 0))).ToArray();
    private static readonly int[] Sizes = [1, 7, 13, 17, 31];
    private static readonly int[] StemHeights = [17, 31, 45];
    private static readonly int[] StemWidths = [7, 17, 33, 45];
    private static readonly string[] Activations = ["", "Relu", "Clip", "HardSwish"];

    /// <summary>A 2-D Conv; FusedConv with Clip(-0.25, 0.5) or a parameterless activation.</summary>
    private static Node Conv(int group, int kh, int kw, int sy, int sx, int dy, int dx, int[] pads, string activation) =>
        KernelCheck.Conv(group, kh, kw, sy, sx, dy, dx, pads, activation, activation == "Clip" ? [-0.25f, 0.5f] : []);

    /// <summary>Checks the shape on one and two threads with each kernel; returns whether the implicit convolution took it
    /// (with every implicit kernel; false where there is none).</summary>
    private static bool CheckShape(Random random, int batch, int group, int inChannels, int outChannels, int height, int width, int kh, int kw, int dy, int dx,
        int[] pads, string activation, bool bias = true, int sy = 1, int sx = 1)
    {
        int spanY = height + pads[0] + pads[2] - (kh - 1) * dy - 1, spanX = width + pads[1] + pads[3] - (kw - 1) * dx - 1;
        if (spanY < 0 || spanX < 0) return false;
        int outHeight = spanY / sy + 1, outWidth = spanX / sx + 1;
        var node = Conv(group, kh, kw, sy, sx, dy, dx, pads, activation);
        var inputs = new[] { RandomTensor(random, batch, inChannels, height, width), RandomTensor(random, outChannels, inChannels / group, kh, kw), bias ? RandomTensor(random, outChannels) : null };
        string label = $"conv n{batch} {inChannels}->{outChannels} g{group} {height}x{width} k{kh}x{kw} d{dy},{dx} pads {string.Join(",", pads)} s{sy},{sx} {activation}";
        var plane = new Plane(height, width, kh, kw, sy, sx, dy, dx, pads[0], pads[1], outHeight, outWidth);
        bool fewChannels = FewChannelConvolution.Applies(group, inChannels / group, outChannels, plane);
        bool taken = Implicit.Length > 0;
        foreach (var (shape, one, two) in Registries)
        {
            Check(one, node, inputs, $"{label} ({shape.Kind})");
            Check(two, node, inputs, $"{label} ({shape.Kind}), two threads");
            bool fewPixels = outHeight * outWidth * 4 <= shape.Columns;
            taken &= !fewPixels && !fewChannels && ImplicitConvolution.Applies(shape, plane, inChannels / group,
                Activation.FromFused(activation, activation == "Clip" ? [-0.25f, 0.5f] : [])!.Value, residual: false);
        }
        return taken;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Implicit_convolution_matches_the_reference_on_random_shapes(int seed)
    {
        var random = new Random(seed * 101);
        int implicitShapes = 0;
        for (int trial = 0; trial < 14; trial++)
        {
            int group = random.Next(1, 4), inChannels = group * random.Next(1, 12), outChannels = group * random.Next(1, 30);
            int height = Sizes[random.Next(Sizes.Length)], width = Sizes[random.Next(Sizes.Length)];
            (int kh, int kw) = (trial % 5) switch { 0 => (1, 3), 1 => (3, 1), 2 => (5, 5), _ => (3, 3) };
            int dy = random.Next(1, 4), dx = random.Next(1, 4);
            int[] pads = [random.Next(0, kh + 1), random.Next(0, kw + 1), random.Next(0, kh + 1), random.Next(0, kw + 1)];
            string activation = Activations[random.Next(Activations.Length)];
            if (CheckShape(random, trial % 3 == 0 ? 2 : 1, group, inChannels, outChannels, height, width, kh, kw, dy, dx, pads, activation, bias: trial % 4 != 3))
            {
                implicitShapes++;
            }
        }
        if (Implicit.Length > 0) Assert.True(implicitShapes >= 5, $"only {implicitShapes} shapes took the implicit kernel");
    }

    [Theory]
    [InlineData(16, 64, 55)]
    [InlineData(32, 128, 27)]
    [InlineData(48, 192, 13)]
    [InlineData(64, 256, 13)]
    [InlineData(5, 7, 1)]
    [InlineData(9, 17, 7)]
    public void SqueezeNet_expand_shapes_match_the_reference(int inChannels, int outChannels, int size)
    {
        var random = new Random(inChannels * 7 + size);
        bool taken = CheckShape(random, 1, 1, inChannels, outChannels, size, size, 3, 3, 1, 1, [1, 1, 1, 1], "Relu");
        if (Implicit.Length > 0 && size > 1) Assert.True(taken, "the implicit kernel did not take the shape");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Strided_few_channel_stems_match_the_reference(int seed)
    {
        // 1 to 4 input channels and more than 32 outputs (SqueezeNet's 3 -> 64 3x3 stride 2 stem): strides 2 and 3 through the
        // phase planes, odd sizes, dilations, asymmetric padding, groups of few channels.
        var random = new Random(seed * 13);
        int implicitShapes = 0;
        for (int trial = 0; trial < 8; trial++)
        {
            int group = trial % 4 == 3 ? 2 : 1, inChannels = group * random.Next(1, 5), outChannels = group * random.Next(33, 71);
            int height = StemHeights[random.Next(StemHeights.Length)], width = StemWidths[random.Next(StemWidths.Length)];
            int kh = random.Next(1, 6), kw = random.Next(2, 6), sy = random.Next(1, 4), sx = random.Next(2, 4), dy = random.Next(1, 3), dx = random.Next(1, 3);
            int[] pads = [random.Next(0, kh), random.Next(0, kw), random.Next(0, kh), random.Next(0, kw)];
            if (CheckShape(random, trial % 3 == 0 ? 2 : 1, group, inChannels, outChannels, height, width, kh, kw, dy, dx, pads,
                Activations[random.Next(Activations.Length)], bias: trial % 4 != 1, sy: sy, sx: sx))
            {
                implicitShapes++;
            }
        }
        if (Implicit.Length > 0) Assert.True(implicitShapes >= 5, $"only {implicitShapes} shapes took the implicit kernel");
    }

    [Fact]
    public void SqueezeNet_stem_matches_the_reference()
    {
        var random = new Random(224);
        bool taken = CheckShape(random, 1, 1, 3, 64, 63, 63, 3, 3, 1, 1, [0, 0, 0, 0], "Relu", sy: 2, sx: 2);
        if (Implicit.Length > 0) Assert.True(taken, "the implicit kernel did not take the stem");
    }
}
