using Tessera.Core;
using Tessera.Kernels.Cpu.Operators;
using Tessera.Ops;
using static Tessera.Kernels.Cpu.Tests.KernelCheck;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>Fast kernels against their reference kernels over seeded random shapes: the edge sizes 0, 1, 7,
/// 17 and 255, strides 1 to 3, dilations 1 and 2, asymmetric padding, and strided (non-contiguous) reads
/// through the convolution windows: depthwise convolution (phase-plane kernel and its scalar fallback),
/// im2col convolution, 2x2 max pooling and Concat.</summary>
public sealed class ShapeSweepTests
{
    private static readonly OperatorRegistry Fast = CpuBackend.CreateOperators(1);
    private static readonly OperatorRegistry FastTwoThreads = CpuBackend.CreateOperators(2, serialBelowElements: 0);
    private static readonly int[] EdgeSizes = [1, 7, 17, 255];

    /// <summary>A 2-D Conv; FusedConv with Clip(0, 6) or a parameterless activation.</summary>
    private static Node Conv(int group, int kh, int kw, int sy, int sx, int dy, int dx, int[] pads, string activation) =>
        KernelCheck.Conv(group, kh, kw, sy, sx, dy, dx, pads, activation, activation == "Clip" ? [0f, 6f] : []);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Depthwise_convolution_matches_the_reference_on_random_shapes(int seed)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < 12; trial++)
        {
            int channels = random.Next(1, 6), batch = random.Next(1, 3);
            int height = EdgeSizes[random.Next(3)], width = EdgeSizes[random.Next(EdgeSizes.Length)];
            if (height * width > 2000) height = 1;
            int kh = random.Next(1, 6), kw = random.Next(1, 6), sy = random.Next(1, 4), sx = random.Next(1, 4);
            int dy = random.Next(1, 3), dx = random.Next(1, 3);
            int[] pads = [random.Next(0, kh), random.Next(0, kw), random.Next(0, kh), random.Next(0, kw)];
            if (height + pads[0] + pads[2] < (kh - 1) * dy + 1 || width + pads[1] + pads[3] < (kw - 1) * dx + 1) continue;
            string activation = (string[])["", "Relu", "Clip", "HardSwish"] is var names ? names[random.Next(names.Length)] : "";
            var node = Conv(channels, kh, kw, sy, sx, dy, dx, pads, activation);
            var inputs = new[] { RandomTensor(random, batch, channels, height, width), RandomTensor(random, channels, 1, kh, kw), RandomTensor(random, channels) };
            string label = $"depthwise {batch}x{channels}x{height}x{width} k{kh}x{kw} s{sy},{sx} d{dy},{dx} pads {string.Join(",", pads)} {activation}";
            Check(trial % 2 == 0 ? Fast : FastTwoThreads, node, inputs, label);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    public void Depthwise_convolution_on_short_planes_skips_only_the_kernel_rows_in_the_padding(int kernel)
    {
        // Late MobileNet stages (PP-OCR cls: 2 or 3 rows under a 5x5 kernel): the kernel rows whose input row lies in the
        // vertical padding are left out of each output row's sum; every row count of 1-7 with top and bottom pads from 0 to
        // past the kernel, strides 1 and 2, dilation 1 and 2, widths of 1 to 7 vectors and partial vectors, odd channel counts.
        var random = new Random(kernel * 31);
        foreach (int height in (int[])[1, 2, 3, 7])
        {
            foreach (int width in (int[])[1, 7, 17, 48, 96, 113])
            {
                int padTop = random.Next(0, kernel), padBottom = random.Next(0, kernel);
                int sy = random.Next(1, 3), sx = random.Next(1, 3), dy = sx == 1 ? random.Next(1, 3) : 1;
                int channels = ((int[])[1, 7, 17])[random.Next(3)];
                if (height + padTop + padBottom < (kernel - 1) * dy + 1 || width + 2 * (kernel / 2) < kernel) continue;
                string activation = (string[])["", "Relu", "HardSwish"] is var names ? names[random.Next(names.Length)] : "";
                var node = Conv(channels, kernel, kernel, sy, sx, dy, 1, [padTop, kernel / 2, padBottom, kernel / 2], activation);
                var inputs = new[] { RandomTensor(random, 1, channels, height, width), RandomTensor(random, channels, 1, kernel, kernel), RandomTensor(random, channels) };
                string label = $"depthwise {channels}x{height}x{width} k{kernel} s{sy},{sx} d{dy} pads {padTop},{padBottom} {activation}";
                Check(Fast, node, inputs, label);
                Check(FastTwoThreads, node, inputs, label + ", two threads");
            }
        }
    }

    [Theory]
    [InlineData("HardSwish")]
    [InlineData("Clip")]
    [InlineData("Relu")]
    public void Depthwise_convolution_on_large_planes_applies_the_activation_row_by_row(string activation)
    {
        // Output planes above 8192 floats get the fused activation per row as it is summed: odd sizes (97 x 101, 7 channels),
        // whole-vector rows (128 x 128), stride 2, and the plane just above and below the threshold.
        var random = new Random(activation.Length);
        foreach (var (channels, height, width, kernel, stride) in ((int, int, int, int, int)[])[(7, 97, 101, 3, 1), (3, 128, 128, 3, 1), (5, 181, 183, 5, 2), (1, 64, 129, 3, 1), (1, 64, 128, 3, 1)])
        {
            var node = Conv(channels, kernel, kernel, stride, stride, 1, 1, [kernel / 2, kernel / 2, kernel / 2, kernel / 2], activation);
            var inputs = new[] { RandomTensor(random, 1, channels, height, width), RandomTensor(random, channels, 1, kernel, kernel), RandomTensor(random, channels) };
            string label = $"depthwise {channels}x{height}x{width} k{kernel} s{stride} {activation}";
            Check(Fast, node, inputs, label);
            Check(FastTwoThreads, node, inputs, label + ", two threads");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(17)]
    public void Three_by_three_depthwise_rows_match_the_reference_and_the_generic_row_bit_for_bit(int channels)
    {
        foreach (int stride in (int[])[1, 2]) ThreeByThreeRows(channels, stride);
    }

    private static void ThreeByThreeRows(int channels, int stride)
    {
        // DepthwiseConvolution.Rows3x3 (3x3, stride 1, AVX2 without AVX-512): two output rows per pass over the rows whose
        // kernel rows all land on input rows, Row3x3Stride2 one row at stride 2; the rest (and every row where they cannot
        // run) take the generic SumRow. Heights
        // 1-7 and 17 (no, one and several full rows; odd and even counts of them), widths of 1-16 vectors with partial last
        // vectors and 4k + 1 vectors (SumRow's four-chain last vector), vertical and horizontal pads 0-2, activations.
        var random = new Random(channels + 100 * stride);
        foreach (int height in (int[])[1, 2, 3, 4, 5, 7, 17])
        {
            foreach (int width in (int[])[1, 7, 8, 9, 17, 33, 40, 64, 72, 128, 145])
            {
                int padTop = random.Next(0, 3), padBottom = random.Next(0, 3), padLeft = random.Next(0, 3), padRight = random.Next(0, 3);
                if (height + padTop + padBottom < 3 || width + padLeft + padRight < 3) continue;
                string activation = (string[])["", "Relu", "Clip", "HardSwish"] is var names ? names[random.Next(names.Length)] : "";
                var node = Conv(channels, 3, 3, stride, stride, 1, 1, [padTop, padLeft, padBottom, padRight], activation);
                var inputs = new[] { RandomTensor(random, 1, channels, height, width), RandomTensor(random, channels, 1, 3, 3), RandomTensor(random, channels) };
                string label = $"depthwise 3x3 s{stride} {channels}x{height}x{width} pads {padTop},{padLeft},{padBottom},{padRight} {activation}";
                Check(Fast, node, inputs, label);
                Check(FastTwoThreads, node, inputs, label + ", two threads");
                var plane = new Plane(height, width, 3, 3, stride, stride, 1, 1, padTop, padLeft,
                    (height + padTop + padBottom - 3) / stride + 1, (width + padLeft + padRight - 3) / stride + 1);
                var fused = Activation.FromFused(activation, activation == "Clip" ? [0f, 6f] : [])!.Value;
                var x = inputs[0]!.ToFloatArray();
                var w = inputs[1]!.ToFloatArray();
                var b = inputs[2]!.ToFloatArray();
                var rows = new float[channels * plane.OutHeight * plane.OutWidth];
                var generic = new float[rows.Length];
                DepthwiseConvolution.Run(x, 1, channels, plane, w, b, fused, rows, 1, rows3x3: true);
                DepthwiseConvolution.Run(x, 1, channels, plane, w, b, fused, generic, 1, rows3x3: false);
                for (int i = 0; i < rows.Length; i++) Assert.True(BitConverter.SingleToInt32Bits(rows[i]) == BitConverter.SingleToInt32Bits(generic[i]), $"{label} at {i}: {rows[i]} vs {generic[i]}");
            }
        }
    }

    [Theory]
    [InlineData(64, 17)]
    [InlineData(65, 17)]
    [InlineData(33, 7)]
    [InlineData(32, 18)]
    public void Few_input_channel_stems_with_many_outputs_match_the_reference(int outChannels, int size)
    {
        // Above FewChannelConvolution.MaxOutputChannels (32) a 3-channel stem goes to the implicit or im2col + GEMM path.
        var random = new Random(outChannels + size);
        var node = Conv(1, 3, 3, 2, 2, 1, 1, [0, 0, 1, 1], "Relu");
        var inputs = new[] { RandomTensor(random, 1, 3, size, size), RandomTensor(random, outChannels, 3, 3, 3), RandomTensor(random, outChannels) };
        Check(Fast, node, inputs, $"stem 3 -> {outChannels} on {size}x{size}");
        Check(FastTwoThreads, node, inputs, $"stem 3 -> {outChannels} on {size}x{size}, two threads");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Stride_two_depthwise_convolution_matches_the_reference_at_every_left_padding(int kernel)
    {
        // The stride-2 phase planes are filled by a vector de-interleave: odd and even widths, rows shorter and longer
        // than one vector pass, left padding 0-2 (which phase the first column lands in) and right padding 0-1.
        var random = new Random(kernel);
        foreach (int width in (int[])[1, 2, 7, 17, 18, 32, 33, 64, 255])
        {
            foreach (int padLeft in (int[])[0, 1, 2])
            {
                foreach (int padRight in (int[])[0, 1])
                {
                    if (width + padLeft + padRight < kernel) continue;
                    int height = width > 100 ? 3 : 7;
                    var node = Conv(4, kernel, kernel, 2, 2, 1, 1, [kernel / 2, padLeft, kernel / 2, padRight], "Relu");
                    var inputs = new[] { RandomTensor(random, 1, 4, height, width), RandomTensor(random, 4, 1, kernel, kernel), RandomTensor(random, 4) };
                    string label = $"depthwise stride 2 k{kernel} width {width} pads {padLeft},{padRight}";
                    Check(Fast, node, inputs, label);
                    Check(FastTwoThreads, node, inputs, label + ", two threads");
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(7, 2)]
    public void Im2col_convolution_matches_the_reference_on_random_shapes(int seed, int stride)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < 6; trial++)
        {
            // 1-4 input channels with output rows of 8+ pixels take FewChannelConvolution, the others im2col.
            int inChannels = random.Next(1, 9), outChannels = random.Next(1, 9);
            int height = EdgeSizes[random.Next(3)], width = EdgeSizes[random.Next(EdgeSizes.Length)];
            if (height * width > 2000) height = 1;
            int kh = Math.Min(height + 1, random.Next(1, 6)), kw = random.Next(1, 6), dx = random.Next(1, 3);
            int[] pads = [random.Next(0, kh), random.Next(0, kw), random.Next(0, kh), random.Next(0, kw)];
            if (height + pads[0] + pads[2] < kh || width + pads[1] + pads[3] < (kw - 1) * dx + 1) continue;
            var node = Conv(1, kh, kw, stride, stride, 1, dx, pads, trial % 2 == 0 ? "Relu" : "");
            var inputs = new[] { RandomTensor(random, 1, inChannels, height, width), RandomTensor(random, outChannels, inChannels, kh, kw), RandomTensor(random, outChannels) };
            Check(Fast, node, inputs, $"conv {inChannels}->{outChannels} {height}x{width} k{kh}x{kw} s{stride} dx{dx} pads {string.Join(",", pads)}");
        }
    }

    [Theory]
    [InlineData(64, 5, 1, 2)]
    [InlineData(65, 5, 2, 2)]
    [InlineData(40, 3, 0, 1)]
    [InlineData(33, 1, 0, 0)]
    public void Stride_two_im2col_rows_match_the_reference(int width, int kernel, int padLeft, int padRight)
    {
        // Wide rows at stride 2: the packer's eight-at-a-time even-column copy, its bounds near the row end.
        var random = new Random(width * 3 + kernel);
        var node = Conv(1, kernel, kernel, 2, 2, 1, 1, [padLeft, padLeft, padRight, padRight], "Relu");
        // Five input channels: with four or fewer the convolution takes FewChannelConvolution, not the packer.
        var inputs = new[] { RandomTensor(random, 1, 5, 9, width), RandomTensor(random, 5, 5, kernel, kernel), RandomTensor(random, 5) };
        Check(Fast, node, inputs, $"stride 2 width {width} k{kernel}");
        Check(FastTwoThreads, node, inputs, $"stride 2 width {width} k{kernel}, two threads");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Convolutions_with_a_few_output_pixels_match_the_reference(int seed)
    {
        // One to eight output pixels per channel (Silero's STFT and encoder convolutions): the
        // matrix-vector path, 1-D (height 1) and 2-D, groups, strides, dilations, padding, a residual.
        var random = new Random(seed * 17);
        int checkedShapes = 0;
        for (int trial = 0; trial < 40 && checkedShapes < 10; trial++)
        {
            int group = random.Next(1, 3), inChannels = group * random.Next(1, 40), outChannels = group * random.Next(1, 70);
            int kh = trial % 2 == 0 ? 1 : random.Next(1, 4), kw = random.Next(1, 6), sy = random.Next(1, 3), sx = random.Next(1, 3), dx = random.Next(1, 3);
            int height = kh == 1 ? 1 : random.Next(kh, kh + 3), width = random.Next((kw - 1) * dx + 1, (kw - 1) * dx + 12);
            int[] pads = [random.Next(0, kh), random.Next(0, kw), random.Next(0, kh), random.Next(0, kw)];
            int outHeight = (height + pads[0] + pads[2] - kh) / sy + 1, outWidth = (width + pads[1] + pads[3] - (kw - 1) * dx - 1) / sx + 1;
            if (outHeight * outWidth > 8) continue;
            var node = Conv(group, kh, kw, sy, sx, 1, dx, pads, trial % 3 == 0 ? "Relu" : trial % 3 == 1 ? "Clip" : "");
            var inputs = new List<Tensor?> { RandomTensor(random, 2, inChannels, height, width), RandomTensor(random, outChannels, inChannels / group, kh, kw), RandomTensor(random, outChannels) };
            if (trial % 2 == 1)
            {
                node = new Node("FusedConv", [.. node.Inputs, new Value("z")], node.Outputs, "tessera", "conv");
                foreach (var a in Conv(group, kh, kw, sy, sx, 1, dx, pads, "Relu").Attributes.Values) node.SetAttribute(a);
                inputs.Add(RandomTensor(random, 2, outChannels, outHeight, outWidth));
            }
            string label = $"conv {inChannels}->{outChannels} g{group} {height}x{width} k{kh}x{kw} s{sy},{sx} dx{dx} pads {string.Join(",", pads)} -> {outHeight}x{outWidth}";
            Check(Fast, node, [.. inputs], label);
            Check(FastTwoThreads, node, [.. inputs], label + ", two threads");
            checkedShapes++;
        }
        Assert.True(checkedShapes >= 5, $"only {checkedShapes} shapes had at most 8 output pixels");
    }

    [Theory]
    [InlineData(1, 4, 1)]
    [InlineData(1, 8, 1)]
    [InlineData(2, 2, 2)]
    [InlineData(1, 2, 4)]
    [InlineData(1, 16, 2)]
    public void Pointwise_convolutions_over_a_few_pixels_match_the_reference(int height, int width, int group)
    {
        // 1x1 stride-1 convolutions over 4 or 8 pixels (Silero's encoder): PointwiseFewPixels reads X's channel
        // rows in place; depths 1, 7, 17, 255 and row counts that leave 0 to 3 rows after the blocks of four.
        var random = new Random(height * 31 + width * 7 + group);
        int[] depths = [1, 7, 17, 255, 258];
        int[] rows = [1, 3, 4, 16, 17, 258];
        for (int i = 0; i < depths.Length; i++)
        {
            int inChannels = group * depths[i], outChannels = group * rows[(i + height + width) % rows.Length];
            bool fused = i % 2 == 1;
            var node = Conv(group, 1, 1, 1, 1, 1, 1, [0, 0, 0, 0], fused ? "" : i % 4 == 0 ? "Relu" : "");
            var inputs = new List<Tensor?> { RandomTensor(random, 2, inChannels, height, width), RandomTensor(random, outChannels, inChannels / group, 1, 1), i == 2 ? null : RandomTensor(random, outChannels) };
            if (fused)
            {
                node = new Node("FusedConv", [.. node.Inputs, new Value("z")], node.Outputs, "tessera", "conv");
                foreach (var a in Conv(group, 1, 1, 1, 1, 1, 1, [0, 0, 0, 0], "Relu").Attributes.Values) node.SetAttribute(a);
                inputs.Add(RandomTensor(random, 2, outChannels, height, width));
            }
            string label = $"pointwise {inChannels}->{outChannels} g{group} {height}x{width}{(fused ? " residual" : "")}";
            Check(Fast, node, [.. inputs], label);
            Check(FastTwoThreads, node, [.. inputs], label + ", two threads");
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(24)]
    public void Pointwise_few_pixel_kernel_matches_a_plain_loop(int pixels)
    {
        if (!Operators.PointwiseFewPixels.Applies(pixels)) return;
        var random = new Random(pixels);
        foreach (var (rows, depth) in new[] { (1, 1), (7, 17), (17, 7), (5, 255), (0, 3) })
        {
            var w = Enumerable.Range(0, rows * depth).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var x = Enumerable.Range(0, depth * pixels).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var bias = Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble()).ToArray();
            var residual = Enumerable.Range(0, rows * pixels).Select(_ => (float)random.NextDouble()).ToArray();
            var y = new float[rows * pixels];
            Operators.PointwiseFewPixels.Run(w, rows, depth, x, pixels, bias, residual, y);
            for (int m = 0; m < rows; m++)
            {
                for (int p = 0; p < pixels; p++)
                {
                    double expected = bias[m] + residual[m * pixels + p];
                    for (int c = 0; c < depth; c++) expected += (double)w[m * depth + c] * x[c * pixels + p];
                    Assert.True(Math.Abs(y[m * pixels + p] - expected) <= 1e-4 * (1 + Math.Abs(expected)), $"{rows}x{depth}x{pixels} at {m},{p}: {y[m * pixels + p]} vs {expected}");
                }
            }
        }
    }

    [Fact]
    public void Convolution_whose_taps_mostly_fall_in_the_padding_matches_the_reference()
    {
        // One input column, kernel 5, pads 2: most taps of the only output read padding (ONNX's Conv1d_pad2size1).
        var random = new Random(4);
        var node = Conv(1, 1, 5, 1, 1, 1, 1, [0, 2, 0, 2], "");
        Check(Fast, node, [RandomTensor(random, 1, 4, 1, 1), RandomTensor(random, 4, 4, 1, 5), RandomTensor(random, 4)], "conv 1x1 input, 1x5 kernel, pads 2");
        Check(Fast, node, [RandomTensor(random, 1, 4, 1, 3), RandomTensor(random, 4, 4, 1, 5), RandomTensor(random, 4)], "conv 1x3 input, 1x5 kernel, pads 2");
    }

    [Theory]
    [InlineData(1, 1, 1, "Relu")]
    [InlineData(1, 1, 1, "Clip")]
    [InlineData(1, 1, 1, "")]
    [InlineData(1, 3, 1, "")]
    [InlineData(1, 3, 2, "Clip")]
    [InlineData(2, 3, 1, "Relu")]
    [InlineData(6, 3, 2, "Relu")]
    [InlineData(6, 5, 1, "")]
    public void Convolution_with_a_residual_input_matches_conv_then_add_then_activation(int group, int kernel, int stride, string activation)
    {
        var random = new Random(group * 31 + kernel * 7 + stride);
        foreach (int size in (int[])[1, 7, 17])
        {
            int pad = kernel / 2, outSize = (size + 2 * pad - kernel) / stride + 1;
            var node = new Node("FusedConv", [new Value("x"), new Value("w"), new Value("b"), new Value("z")], [new Value("y")], "tessera", "conv");
            node.SetAttribute(NodeAttribute.Int("group", group));
            node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kernel, kernel]));
            node.SetAttribute(NodeAttribute.Ints("strides", [stride, stride]));
            node.SetAttribute(NodeAttribute.Ints("pads", [pad, pad, pad, pad]));
            if (activation.Length > 0)
            {
                node.SetAttribute(NodeAttribute.String("activation", activation));
                node.SetAttribute(NodeAttribute.Floats("activation_params", activation == "Clip" ? [0f, 0.5f] : []));
            }
            var x = RandomTensor(random, 2, 6, size, size);
            var w = RandomTensor(random, 6, 6 / group, kernel, kernel);
            var b = RandomTensor(random, 6);
            var z = RandomTensor(random, 2, 6, outSize, outSize);
            string label = $"group {group} kernel {kernel} stride {stride} {activation} size {size}";
            // Against the reference FusedConv with the residual ...
            Check(Fast, node, [x, w, b, z], label);
            Check(FastTwoThreads, node, [x, w, b, z], label + ", two threads");
            // ... and the reference's meaning of it: the plain Conv, then Add, then the activation.
            var conv = new Node("Conv", [new Value("x"), new Value("w"), new Value("b")], [new Value("y")], "", "conv");
            foreach (var a in node.Attributes.Values.Where(a => a.Name is not ("activation" or "activation_params"))) conv.SetAttribute(a);
            var plain = new KernelContext(conv, 22, [x, w, b]);
            OperatorRegistry.Default.Get(conv).Execute(plain);
            var convolved = ((Tensor)plain.Outputs[0]!).ToFloatArray();
            var zs = z.ToFloatArray();
            var fused = new KernelContext(node, 22, [x, w, b, z]);
            Fast.Get(node).Execute(fused);
            var actual = ((Tensor)fused.Outputs[0]!).ToFloatArray();
            Assert.Equal(convolved.Length, actual.Length);
            for (int i = 0; i < actual.Length; i++)
            {
                float sum = convolved[i] + zs[i];
                float expected = activation switch { "Relu" => Math.Max(sum, 0), "Clip" => Math.Clamp(sum, 0f, 0.5f), _ => sum };
                Assert.True(Math.Abs(expected - actual[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"{label} at {i}: {actual[i]} vs {expected}");
            }
        }
    }

    [Theory]
    [InlineData(3, 3, 2, 0, 0, 7, 17)]
    [InlineData(3, 3, 2, 1, 1, 17, 41)]
    [InlineData(2, 3, 1, 0, 1, 4, 64)]
    [InlineData(3, 3, 2, 0, 0, 111, 111)]
    [InlineData(1, 3, 2, 1, 0, 3, 255)]
    [InlineData(1, 3, 2, 0, 0, 1, 17)]
    [InlineData(3, 3, 2, 0, 0, 7, 18)]
    [InlineData(3, 3, 2, 0, 1, 17, 19)]
    [InlineData(3, 3, 2, 1, 0, 17, 27)]
    [InlineData(3, 3, 2, 0, 1, 13, 55)]
    [InlineData(3, 3, 2, 1, 1, 7, 33)]
    [InlineData(1, 3, 2, 0, 0, 17, 7)]
    [InlineData(3, 3, 1, 1, 0, 1, 1)]
    public void Three_wide_stride_two_max_pooling_matches_the_reference(int kh, int kw, int sy, int pad, int ceil, int height, int width)
    {
        // SqueezeNet's 3x3 stride-2 pools on the vector row kernel: padding on either side, ceil mode, other
        // heights and vertical strides; NaNs on first and later taps of windows in the vector body and the tails.
        var node = new Node("MaxPool", [new Value("x")], [new Value("y")], "", "pool");
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kh, kw]));
        node.SetAttribute(NodeAttribute.Ints("strides", [sy, 2]));
        node.SetAttribute(NodeAttribute.Ints("pads", [pad, pad, pad, pad]));
        node.SetAttribute(NodeAttribute.Int("ceil_mode", ceil));
        var x = RandomTensor(new Random(height * width + kh), 2, 3, height, width);
        foreach (int at in new[] { 4, 7, 32, width + 16, width + 19, 2 * width + 40, 3 * width - 1 }) x.As<float>()[at % x.Length] = float.NaN;
        foreach (var registry in new[] { Fast, FastTwoThreads })
        {
            var reference = new KernelContext(node, 22, [x]);
            OperatorRegistry.Default.Get(node).Execute(reference);
            var fast = new KernelContext(node, 22, [x]);
            registry.Get(node).Execute(fast);
            Assert.Equal(((Tensor)reference.Outputs[0]!).ToFloatArray(), ((Tensor)fast.Outputs[0]!).ToFloatArray());
        }
    }

    [Theory]
    [InlineData(3, 2)]
    [InlineData(7, 17)]
    [InlineData(17, 7)]
    [InlineData(2, 255)]
    [InlineData(4, 64)]
    public void Two_by_two_max_pooling_matches_the_reference(int height, int width)
    {
        var node = new Node("MaxPool", [new Value("x")], [new Value("y")], "", "pool");
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [2, 2]));
        node.SetAttribute(NodeAttribute.Ints("strides", [2, 2]));
        var x = RandomTensor(new Random(height * width), 2, 3, height, width);
        // NaNs on each tap of a window (first, second, bottom row), in the vector body and the scalar tail.
        foreach (int at in new[] { 5, 32, width + 16, width + 19, 2 * width + 40 }) x.As<float>()[at % x.Length] = float.NaN;
        var reference = new KernelContext(node, 22, [x]);
        OperatorRegistry.Default.Get(node).Execute(reference);
        var fast = new KernelContext(node, 22, [x]);
        Fast.Get(node).Execute(fast);
        Assert.Equal(((Tensor)reference.Outputs[0]!).ToFloatArray(), ((Tensor)fast.Outputs[0]!).ToFloatArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Concat_matches_the_reference_including_empty_inputs(int axis)
    {
        var random = new Random(axis + 5);
        int[] Shape(int along) => axis switch { 0 => [along, 7, 17], 1 => [2, along, 17], _ => [2, 7, along] };
        var node = new Node("Concat", [new Value("a"), new Value("b"), new Value("c")], [new Value("y")], "", "concat");
        node.SetAttribute(NodeAttribute.Int("axis", axis));
        Check(Fast, node, [RandomTensor(random, Shape(1)), RandomTensor(random, Shape(0)), RandomTensor(random, Shape(255))], $"concat axis {axis}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Transposed_convolution_matches_the_reference_on_random_shapes(int seed)
    {
        var random = new Random(seed * 13);
        for (int trial = 0; trial < 8; trial++)
        {
            int group = random.Next(1, 3), inChannels = group * random.Next(1, 4), groupOut = random.Next(1, 4);
            int height = EdgeSizes[random.Next(3)], width = EdgeSizes[random.Next(EdgeSizes.Length)];
            if (height * width > 1000) height = 1;
            int kh = random.Next(1, 4), kw = random.Next(1, 4), sy = random.Next(1, 4), sx = random.Next(1, 4), dx = random.Next(1, 3);
            int[] pads = [random.Next(0, kh), random.Next(0, kw), random.Next(0, kh), random.Next(0, kw)];
            if (sy * (height - 1) + kh - pads[0] - pads[2] < 1 || sx * (width - 1) + (kw - 1) * dx + 1 - pads[1] - pads[3] < 1) continue;
            var node = Conv(group, kh, kw, sy, sx, 1, dx, pads, trial % 3 == 0 ? "Relu" : "");
            node.OpType = node.Domain == "tessera" ? "FusedConvTranspose" : "ConvTranspose";
            if (trial % 4 == 1) node.SetAttribute(NodeAttribute.Ints("output_padding", [sy - 1, sx - 1]));
            var inputs = new[] { RandomTensor(random, 1, inChannels, height, width), RandomTensor(random, inChannels, groupOut, kh, kw), RandomTensor(random, group * groupOut) };
            Check(trial % 2 == 0 ? Fast : FastTwoThreads, node, inputs,
                $"conv transpose g{group} {inChannels}->{group * groupOut} {height}x{width} k{kh}x{kw} s{sy},{sx} dx{dx} pads {string.Join(",", pads)}");
        }
    }

    [Theory]
    [InlineData(1, 7, 17, "Sigmoid")]
    [InlineData(3, 17, 7, "Relu")]
    [InlineData(1, 1, 255, "")]
    [InlineData(2, 5, 1, "")]
    public void Stride_two_upsampling_transposed_convolution_matches_the_reference(int outChannels, int height, int width, string activation)
    {
        // det's ConvTranspose shape (2x2 kernel, stride 2, no padding; its last one has a single output channel):
        // the interleaving row kernel, on one thread and on two with every row split between them.
        var random = new Random(outChannels * 100 + height + width);
        var node = Conv(1, 2, 2, 2, 2, 1, 1, [0, 0, 0, 0], activation);
        node.OpType = node.Domain == "tessera" ? "FusedConvTranspose" : "ConvTranspose";
        var inputs = new[] { RandomTensor(random, 2, 4, height, width), RandomTensor(random, 4, outChannels, 2, 2), RandomTensor(random, outChannels) };
        Check(Fast, node, inputs, $"upsampling conv transpose 1 thread {outChannels} {height}x{width}");
        Check(FastTwoThreads, node, inputs, $"upsampling conv transpose 2 threads {outChannels} {height}x{width}");
    }

    [Theory]
    [InlineData("Softmax", 13, new[] { 3, 255 }, -1)]
    [InlineData("Softmax", 13, new[] { 2, 7, 17 }, 2)]
    [InlineData("Softmax", 11, new[] { 2, 7, 17 }, 1)]
    [InlineData("LogSoftmax", 13, new[] { 17, 1 }, -1)]
    [InlineData("LogSoftmax", 13, new[] { 0, 7 }, -1)]
    [InlineData("Softmax", 13, new[] { 2, 7, 17 }, 1)]
    public void Softmax_matches_the_reference(string op, int opset, int[] shape, int axis)
    {
        var node = new Node(op, [new Value("x")], [new Value("y")], "", op);
        node.SetAttribute(NodeAttribute.Int("axis", axis));
        var x = Tensor.Create(shape, RandomTensor(new Random(shape.Sum()), shape).ToFloatArray().Select(v => v * 20).ToArray());
        Tensor Run(OperatorRegistry registry)
        {
            var context = new KernelContext(node, opset, [x]);
            registry.Get(node).Execute(context);
            return (Tensor)context.Outputs[0]!;
        }
        var e = Run(OperatorRegistry.Default).ToFloatArray();
        var a = Run(Fast).ToFloatArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5 * Math.Max(1, Math.Abs(e[i])), $"{op} at {i}: {a[i]} vs {e[i]}");
    }

    [Theory]
    [InlineData(1, 1, 17, 7, "forward", true)]
    [InlineData(7, 2, 1, 17, "reverse", false)]
    [InlineData(17, 1, 7, 1, "forward", false)]
    public void Lstm_matches_the_reference(int seq, int batch, int input, int hidden, string direction, bool withState)
    {
        var random = new Random(seq * 7 + hidden);
        var node = new Node("LSTM", Enumerable.Range(0, 7).Select(i => i == 4 ? null : new Value($"i{i}")), [new Value("y"), new Value("yh"), new Value("yc")], "", "lstm");
        node.SetAttribute(NodeAttribute.Int("hidden_size", hidden));
        node.SetAttribute(NodeAttribute.String("direction", direction));
        Tensor?[] inputs =
        [
            RandomTensor(random, seq, batch, input), RandomTensor(random, 1, 4 * hidden, input), RandomTensor(random, 1, 4 * hidden, hidden),
            RandomTensor(random, 1, 8 * hidden), null, withState ? RandomTensor(random, 1, batch, hidden) : null, withState ? RandomTensor(random, 1, batch, hidden) : null,
        ];
        KernelContext Run(OperatorRegistry registry)
        {
            var context = new KernelContext(node, 14, inputs.Cast<DataValue?>().ToList());
            registry.Get(node).Execute(context);
            return context;
        }
        var expected = Run(OperatorRegistry.Default);
        var actual = Run(Fast);
        for (int o = 0; o < 3; o++)
        {
            var e = (Tensor)expected.Outputs[o]!;
            var a = (Tensor)actual.Outputs[o]!;
            Assert.Equal(e.Shape, a.Shape);
            var ev = e.ToFloatArray();
            var av = a.ToFloatArray();
            for (int i = 0; i < ev.Length; i++) Assert.True(Math.Abs(ev[i] - av[i]) <= 1e-5, $"output {o} at {i}: {av[i]} vs {ev[i]}");
        }
        Assert.IsType<Operators.FastLstm>(Fast.Get(node));
    }
}
