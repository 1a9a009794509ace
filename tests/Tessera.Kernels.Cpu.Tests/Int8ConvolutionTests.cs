using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Kernels.Cpu.Int8;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The fast int8 convolution against the integer executor's reference step, byte for byte, on every
/// instruction set this processor supports: random shapes with sizes 0, 1, 7, 17 and 255, negative values,
/// zero points, per-channel and per-tensor multipliers with left and right shifts, clamps, strides, padding,
/// dilation, groups and depthwise.</summary>
public sealed class Int8ConvolutionTests
{
    public static TheoryData<Int8Isa> Isas()
    {
        var data = new TheoryData<Int8Isa>();
        foreach (var isa in Enum.GetValues<Int8Isa>().Where(Int8Gemm.IsSupported)) data.Add(isa);
        return data;
    }

    // (batch, channels, height, width, outChannels, group, kernel, stride, pad, dilation)
    private static readonly (int N, int C, int H, int W, int M, int G, int K, int S, int P, int D)[] Cases =
    [
        (1, 16, 17, 17, 24, 1, 1, 1, 0, 1),     // pointwise, partial last tile
        (1, 17, 7, 7, 9, 1, 1, 1, 0, 1),        // pointwise, channels not a multiple of 4, rows not of 8
        (2, 3, 17, 17, 16, 1, 3, 2, 1, 1),      // stem: 3x3 stride 2 pad 1, batch 2
        (1, 8, 7, 17, 17, 1, 3, 1, 1, 1),       // 3x3 same padding
        (1, 5, 17, 7, 7, 1, 5, 2, 2, 1),        // 5x5 stride 2
        (1, 4, 17, 17, 8, 1, 3, 1, 2, 2),       // dilation 2
        (1, 8, 9, 9, 12, 4, 3, 1, 1, 1),        // grouped (2 in, 3 out per group)
        (1, 16, 17, 17, 16, 16, 3, 1, 1, 1),    // depthwise 3x3
        (1, 7, 17, 17, 7, 7, 5, 2, 2, 1),       // depthwise 5x5 stride 2
        (1, 3, 7, 255, 3, 3, 3, 2, 1, 1),       // depthwise, wide rows
        (1, 4, 9, 9, 4, 4, 3, 1, 2, 2),         // depthwise dilation 2
        (1, 1, 1, 1, 1, 1, 1, 1, 0, 1),         // size 1 everywhere
        (1, 255, 1, 1, 7, 1, 1, 1, 0, 1),       // K = 255, one position
        (1, 4, 1, 1, 255, 1, 1, 1, 0, 1),       // 255 output channels
        (0, 4, 5, 5, 8, 1, 3, 1, 1, 1),         // empty batch
        (1, 6, 3, 4, 5, 1, 3, 3, 0, 1),         // one output position, stride 3
        (1, 3, 7, 255, 8, 1, 5, 2, 2, 1),       // stem 5x5 stride 2, wide rows (16-column even-byte gathers)
        (1, 3, 5, 66, 5, 1, 3, 2, 0, 1),        // stride 2 without padding, even width (a gather ending at the row's end)
        (1, 2, 9, 71, 4, 1, 3, 2, 1, 2),        // stride 2, dilation 2, odd width
        (1, 5, 5, 70, 6, 1, 3, 1, 1, 1),        // 3x3 stride 1, wide rows (taps read straight from the input row)
        (1, 4, 6, 67, 5, 1, 3, 1, 2, 2),        // 3x3 stride 1, dilation 2, wide rows
    ];

    [Theory]
    [MemberData(nameof(Isas))]
    public void Fast_int8_convolution_equals_the_reference_step(Int8Isa isa)
    {
        var random = new Random(11);
        for (int i = 0; i < Cases.Length; i++)
        {
            foreach (bool perChannel in new[] { true, false })
            foreach (bool weightZero in new[] { false, true })
            foreach (int threads in new[] { 1, 2 })
            {
                var c = Cases[i];
                Check(random, c, perChannel, weightZero, isa, threads, $"case {i} {c} perChannel={perChannel} weightZero={weightZero} threads={threads}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void One_dimensional_convolution_equals_the_reference_step(Int8Isa isa)
    {
        var random = new Random(12);
        var node = new Node("Conv", [new Value("x"), new Value("w")], [new Value("y")], "", "conv1d");
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [7]));
        node.SetAttribute(NodeAttribute.Ints("strides", [3]));
        node.SetAttribute(NodeAttribute.Ints("dilations", [2]));
        node.SetAttribute(NodeAttribute.Ints("pads", [4, 1]));
        var x = RandomBytes(random, 2 * 5 * 300);
        var w = RandomBytes(random, 9 * 5 * 7);
        var requantizer = Requantizer.FromRealMultipliers(Enumerable.Range(0, 9).Select(_ => random.NextDouble() * 0.01).ToArray(), -3, -100, 90);
        var step = new ConvolutionStep(node, "x", "y", 5, Tensor.Create([9, 5, 7], w), [0], RandomInts(random, 9, 2000), requantizer, unsigned: false);
        Compare(step, Tensor.Create([2, 5, 300], x), isa, 2, "1-D");
    }

    /// <summary>Depthwise convolutions (the int16 pair-plane kernel) at the ends of the int16 range: input zero
    /// points -128 and 127, weight zero points -128 and 127 (so x - zx and w - zw reach -255 and 255), inputs and
    /// weights filled with extremes, sizes 1, 7 and 17, kernels 1/3/5 (odd heights: the unpaired last row),
    /// strides 1 and 2, padding, dilation, per-channel multipliers.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Depthwise_convolution_at_extreme_zero_points_equals_the_reference_step(Int8Isa isa)
    {
        var random = new Random(13);
        int count = 0;
        foreach (int size in new[] { 1, 7, 17 })
        foreach (int kernel in new[] { 5, 3, 1 })
        foreach (int stride in new[] { 1, 2 })
        foreach (int inputZero in new[] { -128, 127, 3 })
        {
            int pad = random.Next(0, kernel), dilation = kernel > 1 && random.Next(4) == 0 ? 2 : 1;
            int channels = random.Next(1, 18), width = size == 17 ? 35 : size;
            if ((size + 2 * pad - dilation * (kernel - 1) - 1) < 0) pad = kernel;
            var node = Depthwise("dw", channels, kernel, stride, pad, dilation);
            // Extremes: the input opposite its zero point, the weights opposite theirs, in runs.
            sbyte far = inputZero < 0 ? sbyte.MaxValue : sbyte.MinValue;
            var x = RandomBytes(random, channels * size * width);
            for (int i = 0; i < x.Length; i++) if (i / 13 % 3 == 0) x[i] = far;
            var w = RandomBytes(random, channels * kernel * kernel);
            int[] zeros = Enumerable.Range(0, channels).Select(m => m % 3 == 0 ? -128 : m % 3 == 1 ? 127 : 0).ToArray();
            for (int i = 0; i < w.Length; i++)
            {
                int m = i / (kernel * kernel);
                if (i % 2 == 0) w[i] = zeros[m] < 0 ? sbyte.MaxValue : zeros[m] > 0 ? sbyte.MinValue : w[i];
            }
            // Multipliers around 1 / (255 * 255 * taps) keep the outputs near the middle of int8, a few saturate.
            double typical = 1.0 / (255.0 * 255 * kernel * kernel) * 64;
            var real = Enumerable.Range(0, channels).Select(m => typical * Math.Exp(random.NextDouble() * 4 - 2) * (m % 5 == 2 ? 64 : 1)).ToArray();
            var requantizer = Requantizer.FromRealMultipliers(real, random.Next(-20, 21), -128, 127);
            var xt = Tensor.Create([1, channels, size, width], x);
            var step = new ConvolutionStep(node, "x", "y", inputZero, Tensor.Create([channels, 1, kernel, kernel], w), zeros, RandomInts(random, channels, 5000), requantizer, unsigned: false);
            foreach (int threads in new[] { 1, 2 })
                Compare(step, xt, isa, threads, $"depthwise {channels}x{size}x{width} k{kernel} s{stride} p{pad} d{dilation} zx={inputZero} threads={threads}");
            count++;
        }
        Assert.Equal(54, count);
    }

    /// <summary>3x3 depthwise at stride 1 and dilation 1 (under AVX2 the two-row kernel on the int16 plane, no pair
    /// plane) and at stride 2, with padding 0-2: heights 1, 2, 7, 17 and 255 and an empty batch (odd heights: the last pass has one
    /// row), widths 1, 7, 16, 17, 33 and 255 (partial and whole 16-column blocks), input zero points -128, 127 and 3
    /// with inputs opposite, weight zero points -128, 127 and 0 with weights opposite (x - zx and w - zw at +-255).</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Depthwise_3x3_rows_equal_the_reference_step(Int8Isa isa)
    {
        var random = new Random(15);
        int count = 0;
        foreach (int size in new[] { 0, 1, 2, 7, 17, 255 })
        foreach (int width in new[] { 1, 7, 16, 17, 33, 255 })
        foreach (int stride in new[] { 1, 2 })
        {
            if (size * width > 17 * 255 && width > 17) continue;
            // Size 0: an empty batch of 7-row planes.
            int batch = size == 0 ? 0 : 1, height = size == 0 ? 7 : size;
            int pad = random.Next(0, 3), inputZero = new[] { -128, 127, 3 }[random.Next(3)];
            if (height + 2 * pad < 3 || width + 2 * pad < 3) pad = 1;
            int channels = random.Next(1, 6);
            var node = Depthwise("dw3", channels, 3, stride, pad, 1);
            sbyte far = inputZero < 0 ? sbyte.MaxValue : sbyte.MinValue;
            var x = RandomBytes(random, batch * channels * height * width);
            for (int i = 0; i < x.Length; i++) if (i / 7 % 3 == 0) x[i] = far;
            var w = RandomBytes(random, channels * 9);
            int[] zeros = Enumerable.Range(0, channels).Select(m => m % 3 == 0 ? -128 : m % 3 == 1 ? 127 : 0).ToArray();
            for (int i = 0; i < w.Length; i++)
            {
                int m = i / 9;
                if (i % 3 != 1) w[i] = zeros[m] < 0 ? sbyte.MaxValue : zeros[m] > 0 ? sbyte.MinValue : w[i];
            }
            double typical = 1.0 / (255.0 * 255 * 9) * 64;
            var real = Enumerable.Range(0, channels).Select(m => typical * Math.Exp(random.NextDouble() * 4 - 2) * (m % 5 == 2 ? 64 : 1)).ToArray();
            var requantizer = Requantizer.FromRealMultipliers(real, random.Next(-20, 21), -128, 127);
            var step = new ConvolutionStep(node, "x", "y", inputZero, Tensor.Create([channels, 1, 3, 3], w), zeros, RandomInts(random, channels, 5000), requantizer, unsigned: false);
            Compare(step, Tensor.Create([batch, channels, height, width], x), isa, 1 + count % 2,
                $"depthwise 3x3 {batch}x{channels}x{height}x{width} s{stride} p{pad} zx={inputZero}");
            count++;
        }
        Assert.Equal(68, count);
    }

    /// <summary>3x3 depthwise at stride 2 (under AVX2 the kernel on the plane not split by stride, horizontal
    /// pairs, rows batched per requantization call) with every side padded apart (0-2, as TensorFlow's SAME
    /// padding leaves the bottom/right one more): heights 0 (empty batch), 1, 2, 7, 17 and 255, widths 1, 2, 7,
    /// 16, 17, 33 and 255 (so 1 to 128 outputs a row: batches of one row up to the whole plane, a batch boundary
    /// inside the plane), input zero points -128, 127 and 3 with inputs opposite, weight zero points -128, 127
    /// and 0 with weights opposite (x - zx and w - zw at +-255), 1 and 2 threads, and one plane stack large
    /// enough to be split over two threads.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Depthwise_3x3_stride_2_with_uneven_padding_equals_the_reference_step(Int8Isa isa)
    {
        var random = new Random(16);
        int count = 0;
        foreach (int size in new[] { 0, 1, 2, 7, 17, 255 })
        foreach (int width in new[] { 1, 2, 7, 16, 17, 33, 255 })
        {
            if (size * width > 17 * 255 && width > 17) continue;
            int batch = size == 0 ? 0 : 1, height = size == 0 ? 7 : size;
            int[] pads = [random.Next(0, 3), random.Next(0, 3), random.Next(0, 3), random.Next(0, 3)];
            if (height + pads[0] + pads[2] < 3) pads[2] = 3 - height - pads[0];
            if (width + pads[1] + pads[3] < 3) pads[3] = 3 - width - pads[1];
            int inputZero = new[] { -128, 127, 3 }[count % 3];
            foreach (int threads in new[] { 1, 2 })
                Stride2(random, isa, batch, random.Next(1, 6), height, width, pads, inputZero, threads);
            count++;
        }
        // 24 planes of 128x128: more than 2^18 multiply-adds, so two threads share the planes.
        Stride2(random, isa, 1, 24, 128, 128, [0, 0, 1, 1], -128, 2);
        Assert.Equal(40, count);
    }

    private static void Stride2(Random random, Int8Isa isa, int batch, int channels, int height, int width, int[] pads, int inputZero, int threads)
    {
        var node = Depthwise("dw3s2", channels, 3, 2, 0, 1);
        node.SetAttribute(NodeAttribute.Ints("pads", [.. pads.Select(v => (long)v)]));
        sbyte far = inputZero < 0 ? sbyte.MaxValue : sbyte.MinValue;
        var x = RandomBytes(random, batch * channels * height * width);
        for (int i = 0; i < x.Length; i++) if (i / 5 % 3 == 0) x[i] = far;
        var w = RandomBytes(random, channels * 9);
        int[] zeros = Enumerable.Range(0, channels).Select(m => m % 3 == 0 ? -128 : m % 3 == 1 ? 127 : 0).ToArray();
        for (int i = 0; i < w.Length; i++)
        {
            int m = i / 9;
            if (i % 3 != 2) w[i] = zeros[m] < 0 ? sbyte.MaxValue : zeros[m] > 0 ? sbyte.MinValue : w[i];
        }
        double typical = 1.0 / (255.0 * 255 * 9) * 64;
        var real = Enumerable.Range(0, channels).Select(m => typical * Math.Exp(random.NextDouble() * 4 - 2) * (m % 5 == 2 ? 64 : 1)).ToArray();
        var requantizer = Requantizer.FromRealMultipliers(real, random.Next(-20, 21), -128, 127);
        var step = new ConvolutionStep(node, "x", "y", inputZero, Tensor.Create([channels, 1, 3, 3], w), zeros, RandomInts(random, channels, 5000), requantizer, unsigned: false);
        Compare(step, Tensor.Create([batch, channels, height, width], x), isa, threads,
            $"depthwise 3x3 s2 {batch}x{channels}x{height}x{width} pads {string.Join(",", pads)} zx={inputZero} threads={threads}");
    }

    /// <summary>Convolutions of one to four input channels at stride 2 (under AVX2 the direct stem kernel, four output
    /// channels a pass): kernels 2-7 (odd widths: the unpaired last column), 1, 3, 4, 5 and 24 output channels (a
    /// partial last block), heights 1, 2, 7 and 17, widths 1, 2, 7, 16, 17, 33 and 255, every side padded apart
    /// (0-3), input zero points -128, 127 and 3 with inputs opposite, weight zero points -128, 127 and 0 with
    /// weights opposite, batches 0, 1 and 2, 1 and 2 threads, and one step large enough to be split over two
    /// threads.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Few_channel_stride_2_convolution_equals_the_reference_step(Int8Isa isa)
    {
        var random = new Random(17);
        int count = 0;
        foreach (int size in new[] { 1, 2, 7, 17 })
        foreach (int width in new[] { 1, 2, 7, 16, 17, 33, 255 })
        foreach (int kernel in new[] { 3, 5 })
        {
            int extra = random.Next(4);
            int k = extra == 0 ? random.Next(2, 8) : kernel;
            int[] pads = [random.Next(0, 4), random.Next(0, 4), random.Next(0, 4), random.Next(0, 4)];
            if (size + pads[0] + pads[2] < k) pads[2] = k - size - pads[0];
            if (width + pads[1] + pads[3] < k) pads[3] = k - width - pads[1];
            int batch = count % 9 == 4 ? 0 : count % 5 == 2 ? 2 : 1;
            Stem(random, isa, batch, random.Next(1, 5), new[] { 1, 3, 4, 5, 24 }[random.Next(5)], size, width, k, pads,
                new[] { -128, 127, 3 }[count % 3], 1 + count % 2);
            count++;
        }
        Stem(random, isa, 1, 3, 24, 130, 130, 5, [1, 1, 2, 2], 127, 2);
        Assert.Equal(56, count);
    }

    private static void Stem(Random random, Int8Isa isa, int batch, int channels, int outChannels, int height, int width, int kernel, int[] pads, int inputZero, int threads)
    {
        var node = new Node("Conv", [new Value("x"), new Value("w"), new Value("b")], [new Value("y")], "", "stem");
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kernel, kernel]));
        node.SetAttribute(NodeAttribute.Ints("strides", [2, 2]));
        node.SetAttribute(NodeAttribute.Ints("pads", [.. pads.Select(v => (long)v)]));
        node.SetAttribute(NodeAttribute.Ints("dilations", [1, 1]));
        sbyte far = inputZero < 0 ? sbyte.MaxValue : sbyte.MinValue;
        var x = RandomBytes(random, batch * channels * height * width);
        for (int i = 0; i < x.Length; i++) if (i / 5 % 3 == 0) x[i] = far;
        int taps = channels * kernel * kernel;
        var w = RandomBytes(random, outChannels * taps);
        int[] zeros = Enumerable.Range(0, outChannels).Select(m => m % 3 == 0 ? -128 : m % 3 == 1 ? 127 : 0).ToArray();
        for (int i = 0; i < w.Length; i++)
        {
            int m = i / taps;
            if (i % 3 != 2) w[i] = zeros[m] < 0 ? sbyte.MaxValue : zeros[m] > 0 ? sbyte.MinValue : w[i];
        }
        double typical = 1.0 / (255.0 * 255 * taps) * 64;
        var real = Enumerable.Range(0, outChannels).Select(m => typical * Math.Exp(random.NextDouble() * 4 - 2) * (m % 5 == 2 ? 64 : 1)).ToArray();
        var requantizer = Requantizer.FromRealMultipliers(real, random.Next(-20, 21), -128, 127);
        var step = new ConvolutionStep(node, "x", "y", inputZero, Tensor.Create([outChannels, channels, kernel, kernel], w), zeros, RandomInts(random, outChannels, 5000), requantizer, unsigned: false);
        Compare(step, Tensor.Create([batch, channels, height, width], x), isa, threads,
            $"stem {batch}x{channels}x{height}x{width} -> {outChannels} k{kernel} s2 pads {string.Join(",", pads)} zx={inputZero} threads={threads}");
    }

    /// <summary>The byte-quad depthwise kernel (AVX-VNNI, every w - zw a signed byte): weight zero points 0, -1 and
    /// 5 with the weights at the far ends of what still fits (w - zw = -128 and 127), input zero points -128, 127
    /// and 3 with the inputs opposite, heights 1, 7 and 17, odd widths (1, 7, 17, 35, 131), kernels 1/3/5/7
    /// (rows past the last quad's), strides 1, 2 and 3, padding up to past the kernel, dilation 2, and one plane
    /// large enough to run on two threads. Under AVX-VNNI the step must take the quad kernel; a channel whose
    /// w - zw leaves the byte range keeps the int16 kernel, equally exact.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Depthwise_byte_quad_kernel_equals_the_reference_step(Int8Isa isa)
    {
        var random = new Random(14);
        int count = 0;
        foreach (int size in new[] { 1, 7, 17 })
        foreach (int kernel in new[] { 5, 3, 7, 1 })
        foreach (int stride in new[] { 1, 2, 3 })
        foreach (int inputZero in new[] { -128, 127, 3 })
        {
            int width = new[] { 1, 7, 17, 35, 131 }[random.Next(5)];
            int dilation = kernel > 1 && random.Next(4) == 0 ? 2 : 1, extent = dilation * (kernel - 1) + 1;
            int pad = random.Next(0, kernel + 2);
            if (size + 2 * pad < extent || width + 2 * pad < extent) pad = extent;
            Run(random, isa, random.Next(1, 18), size, width, kernel, stride, pad, dilation, inputZero, fits: true, threads: 1 + count % 2);
            count++;
        }
        // Large enough (more than 2^18 values) for two threads; and one step whose weights leave the byte range.
        Run(random, isa, 24, 96, 131, 5, 1, 2, 1, -7, fits: true, threads: 2);
        Run(random, isa, 5, 17, 35, 3, 1, 1, 1, 127, fits: false, threads: 1);
        Assert.Equal(108, count);
    }

    /// <summary>A depthwise Conv (one channel a group) with a square kernel, stride, dilation and padding on every side.</summary>
    private static Node Depthwise(string name, int channels, int kernel, int stride, int pad, int dilation)
    {
        var node = new Node("Conv", [new Value("x"), new Value("w"), new Value("b")], [new Value("y")], "", name);
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kernel, kernel]));
        node.SetAttribute(NodeAttribute.Ints("strides", [stride, stride]));
        node.SetAttribute(NodeAttribute.Ints("pads", [pad, pad, pad, pad]));
        node.SetAttribute(NodeAttribute.Ints("dilations", [dilation, dilation]));
        node.SetAttribute(NodeAttribute.Int("group", channels));
        return node;
    }

    private static void Run(Random random, Int8Isa isa, int channels, int height, int width, int kernel, int stride, int pad, int dilation, int inputZero, bool fits, int threads)
    {
        var node = Depthwise("dwq", channels, kernel, stride, pad, dilation);
        sbyte far = inputZero < 0 ? sbyte.MaxValue : sbyte.MinValue;
        var x = RandomBytes(random, channels * height * width);
        for (int i = 0; i < x.Length; i++) if (i / 11 % 3 == 0) x[i] = far;
        int[] zeros = Enumerable.Range(0, channels).Select(m => m % 3 == 0 ? 0 : m % 3 == 1 ? -1 : 5).ToArray();
        if (!fits) zeros[0] = 127;
        var w = new sbyte[channels * kernel * kernel];
        for (int i = 0; i < w.Length; i++)
        {
            int m = i / (kernel * kernel), z = zeros[m];
            // The extremes that keep w - zw inside [-128, 127] (w itself inside int8), in runs; random between.
            int lowest = Math.Max(-128, -128 + z), highest = Math.Min(127, 127 + z);
            w[i] = (sbyte)(i % 4 == 0 ? lowest : i % 4 == 1 ? highest : random.Next(lowest, highest + 1));
            if (!fits && m == 0) w[i] = sbyte.MinValue;
        }
        double typical = 1.0 / (255.0 * 128 * kernel * kernel) * 64;
        var real = Enumerable.Range(0, channels).Select(m => typical * Math.Exp(random.NextDouble() * 4 - 2) * (m % 5 == 2 ? 64 : 1)).ToArray();
        var requantizer = Requantizer.FromRealMultipliers(real, random.Next(-20, 21), -128, random.Next(0, 128));
        var step = new ConvolutionStep(node, "x", "y", inputZero, Tensor.Create([channels, 1, kernel, kernel], w), zeros, RandomInts(random, channels, 5000), requantizer, unsigned: false);
        bool quads = new Int8Convolution(step, threads, isa).Parameters.Contains("depthwise-quads");
        Assert.Equal(fits && isa == Int8Isa.AvxVnni, quads);
        Compare(step, Tensor.Create([1, channels, height, width], x), isa, threads,
            $"quad depthwise {channels}x{height}x{width} k{kernel} s{stride} p{pad} d{dilation} zx={inputZero} threads={threads}");
    }

    private static void Check(Random random, (int N, int C, int H, int W, int M, int G, int K, int S, int P, int D) c, bool perChannel, bool weightZero, Int8Isa isa, int threads, string what)
    {
        var node = new Node("Conv", [new Value("x"), new Value("w"), new Value("b")], [new Value("y")], "", "conv");
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [c.K, c.K]));
        node.SetAttribute(NodeAttribute.Ints("strides", [c.S, c.S]));
        node.SetAttribute(NodeAttribute.Ints("pads", [c.P, c.P, c.P, c.P]));
        node.SetAttribute(NodeAttribute.Ints("dilations", [c.D, c.D]));
        node.SetAttribute(NodeAttribute.Int("group", c.G));
        int groupChannels = c.C / c.G;
        var x = Tensor.Create([c.N, c.C, c.H, c.W], RandomBytes(random, c.N * c.C * c.H * c.W));
        var w = Tensor.Create([c.M, groupChannels, c.K, c.K], RandomBytes(random, c.M * groupChannels * c.K * c.K));
        int[] zeros = weightZero ? Enumerable.Range(0, c.M).Select(_ => random.Next(-5, 6)).ToArray() : [0];
        // Multipliers around 1/(K * 128) keep most outputs inside int8; a few larger ones (left shifts) saturate.
        double typical = 1.0 / Math.Max(1, groupChannels * c.K * c.K) / 64;
        var real = Enumerable.Range(0, perChannel ? c.M : 1).Select(m => typical * Math.Exp(random.NextDouble() * 4 - 2) * (m % 7 == 3 ? 4096 : 1)).ToArray();
        var requantizer = Requantizer.FromRealMultipliers(real, random.Next(-20, 21), random.Next(-128, -60), random.Next(60, 128));
        int inputZero = random.Next(-30, 31);
        var step = new ConvolutionStep(node, "x", "y", inputZero, w, zeros, RandomInts(random, c.M, 5000), requantizer, unsigned: false);
        Compare(step, x, isa, threads, what);
    }

    private static void Compare(ConvolutionStep step, Tensor x, Int8Isa isa, int threads, string what)
    {
        var expected = new IntegerState();
        expected.SetInt8("x", x, unsigned: false);
        step.Execute(expected);
        var fast = new Int8Convolution(step, threads, isa);
        var actual = new IntegerState();
        actual.SetInt8("x", x, unsigned: false);
        fast.Execute(actual);
        var e = expected.Get("y");
        var a = actual.Get("y");
        Assert.Equal(e.Shape, a.Shape);
        var ev = e.As<sbyte>();
        var av = a.As<sbyte>();
        for (int i = 0; i < ev.Length; i++)
        {
            if (ev[i] != av[i]) Assert.Fail($"{isa} {what}: element {i} is {av[i]}, the reference step gives {ev[i]}");
        }
    }

    private static sbyte[] RandomBytes(Random random, int count)
    {
        var data = new sbyte[count];
        for (int i = 0; i < count; i++) data[i] = (sbyte)random.Next(-128, 128);
        return data;
    }

    private static int[] RandomInts(Random random, int count, int magnitude) =>
        Enumerable.Range(0, count).Select(_ => random.Next(-magnitude, magnitude + 1)).ToArray();
}

/// <summary>The other fast int8 steps against their reference steps, byte for byte: Add and Mul (equal shapes,
/// a per-channel operand on either side, a scalar, sizes 0/1/7/17/255), the transposed convolution and MaxPool.</summary>
public sealed class Int8StepTests
{
    private static readonly int[][][] BinaryShapes =
    [
        [[1, 16, 17, 17], [1, 16, 17, 17]],
        [[1, 7], [1, 7]],
        [[255], [255]],
        [[1], [1]],
        [[0, 3], [0, 3]],
        [[1, 16, 17, 7], [1, 16, 1, 1]],
        [[1, 17, 1, 1], [1, 17, 7, 7]],
        [[2, 3, 255], [1]],
        [[3, 5, 7], [3, 1, 1]],
        [[1, 3, 4, 5], [5]],            // not per-outer: the reference step runs
    ];

    [Fact]
    public void Fast_add_and_mul_equal_the_reference_steps()
    {
        var random = new Random(21);
        foreach (var shapes in BinaryShapes)
        foreach (bool multiply in new[] { false, true })
        foreach (int threads in new[] { 1, 2 })
        {
            int[] p = multiply
                ? MulParameters(random)
                : AddParameters(random);
            var step = new BinaryStep("op", multiply ? "Mul" : "Add", "a", "b", "y", p, unsigned: false);
            var a = Tensor.Create(shapes[0], Bytes(random, shapes[0]));
            var b = Tensor.Create(shapes[1], Bytes(random, shapes[1]));
            Same(step, new Int8Binary(step, threads), [("a", a), ("b", b)], $"{(multiply ? "Mul" : "Add")} {string.Join("x", shapes[0])} . {string.Join("x", shapes[1])}");
        }
    }

    [Fact]
    public void Fast_transposed_convolution_equals_the_reference_step()
    {
        var random = new Random(22);
        // (channels, outChannels, height, width, kernel, stride, pad)
        foreach (var (c, m, h, w, k, s, pad) in new[] { (16, 8, 7, 17, 2, 2, 0), (5, 3, 7, 7, 3, 2, 1), (17, 9, 1, 1, 2, 2, 0), (3, 4, 5, 6, 4, 2, 1) })
        foreach (bool weightZero in new[] { false, true })
        foreach (int threads in new[] { 1, 2 })
        {
            var node = new Node("ConvTranspose", [new Value("x"), new Value("w")], [new Value("y")], "", "deconv");
            node.SetAttribute(NodeAttribute.Ints("kernel_shape", [k, k]));
            node.SetAttribute(NodeAttribute.Ints("strides", [s, s]));
            node.SetAttribute(NodeAttribute.Ints("pads", [pad, pad, pad, pad]));
            var weights = Tensor.Create([c, m, k, k], Bytes(random, [c, m, k, k]));
            int[] zeros = weightZero ? Enumerable.Range(0, m).Select(_ => random.Next(-4, 5)).ToArray() : [0];
            var requantizer = Requantizer.FromRealMultipliers(Enumerable.Range(0, m).Select(_ => random.NextDouble() / (c * 64.0)).ToArray(), random.Next(-10, 10), -128, random.Next(0, 128));
            var bias = Enumerable.Range(0, m).Select(_ => random.Next(-3000, 3000)).ToArray();
            var step = new TransposedConvolutionStep(node, "x", "y", random.Next(-20, 20), weights, zeros, bias, requantizer, unsigned: false);
            foreach (var isa in Enum.GetValues<Int8Isa>().Where(Int8Gemm.IsSupported))
            {
                var x = Tensor.Create([2, c, h, w], Bytes(random, [2, c, h, w]));
                Same(step, new Int8ConvolutionTranspose(step, threads, isa), [("x", x)], $"ConvTranspose {c}->{m} {h}x{w} k{k} s{s} p{pad} {isa}");
            }
        }
    }

    [Fact]
    public void Fast_max_pool_equals_the_reference_step()
    {
        var random = new Random(23);
        foreach (var (k, s, pad, ceil) in new[] { (2, 2, 0, 0), (3, 2, 1, 0), (3, 2, 0, 1), (1, 1, 0, 0), (2, 2, 0, 1), (2, 2, 1, 0) })
        foreach (int threads in new[] { 1, 2 })
        foreach (int[] shape in new[] { new[] { 1, 7, 17, 255 }, [2, 5, 7, 7], [1, 3, 64, 66], [1, 2, 3, 33], [1, 1, 3, 3] })
        {
            var node = new Node("MaxPool", [new Value("x")], [new Value("y")], "", "pool");
            node.SetAttribute(NodeAttribute.Ints("kernel_shape", [k, k]));
            node.SetAttribute(NodeAttribute.Ints("strides", [s, s]));
            node.SetAttribute(NodeAttribute.Ints("pads", [pad, pad, pad, pad]));
            node.SetAttribute(NodeAttribute.Int("ceil_mode", ceil));
            var step = new PoolStep(node, "x", "y", 0, null, unsigned: false);
            var x = Tensor.Create(shape, Bytes(random, shape));
            // Runs of the extreme values (ties and the ends of the int16 pairing).
            x.As<sbyte>().AsSpan(0, Math.Min(x.Length, 40)).Fill(sbyte.MinValue);
            if (x.Length > 80) x.As<sbyte>().AsSpan(40, 40).Fill(sbyte.MaxValue);
            Same(step, new Int8MaxPool(step, threads), [("x", x)], $"MaxPool k{k} s{s} p{pad} ceil{ceil} {ShapeMath.Format(shape)}");
        }
    }

    private static int[] AddParameters(Random random)
    {
        // As the lowering derives them: a 20-bit left shift, both inputs to twice the larger scale, then the output.
        double sa = 0.01 + random.NextDouble() * 0.05, sb = 0.01 + random.NextDouble() * 0.05, so = 0.02 + random.NextDouble() * 0.08;
        double twice = 2 * Math.Max(sa, sb);
        var (ma, ea) = FixedPoint.QuantizeMultiplier(sa / twice);
        var (mb, eb) = FixedPoint.QuantizeMultiplier(sb / twice);
        var (mo, eo) = FixedPoint.QuantizeMultiplier(twice / ((1 << 20) * so));
        return [random.Next(-20, 20), random.Next(-20, 20), 20, ma, ea, mb, eb, mo, eo, random.Next(-10, 10), random.Next(-128, -100), random.Next(100, 128)];
    }

    private static int[] MulParameters(Random random)
    {
        var (m, e) = FixedPoint.QuantizeMultiplier(0.0005 + random.NextDouble() * 0.01);
        return [random.Next(-20, 20), random.Next(-20, 20), m, e, random.Next(-10, 10), -128, 127];
    }

    /// <summary>Runs both steps on the same inputs (the fast one <paramref name="runs"/> times, so a second run
    /// reuses its output array) and requires the same int8 output "y".</summary>
    internal static void Same(IntegerStep reference, IntegerStep fast, (string Name, Tensor Value)[] inputs, string what, int runs = 1)
    {
        var expected = new IntegerState();
        var actual = new IntegerState();
        foreach (var (name, value) in inputs)
        {
            expected.SetInt8(name, value, unsigned: false);
            actual.SetInt8(name, value, unsigned: false);
        }
        reference.Execute(expected);
        for (int run = 0; run < runs; run++) fast.Execute(actual);
        var e = expected.Get("y");
        var a = actual.Get("y");
        Assert.Equal(e.Shape, a.Shape);
        var ev = e.As<sbyte>();
        var av = a.As<sbyte>();
        for (int i = 0; i < ev.Length; i++)
        {
            if (ev[i] != av[i]) Assert.Fail($"{what}: element {i} is {av[i]}, the reference step gives {ev[i]}");
        }
    }

    private static sbyte[] Bytes(Random random, int[] shape)
    {
        var data = new sbyte[ShapeMath.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (sbyte)random.Next(-128, 128);
        return data;
    }
}
