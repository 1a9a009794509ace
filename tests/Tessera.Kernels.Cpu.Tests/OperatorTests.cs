using Tessera.Core;
using Tessera.Kernels.Cpu.Gemm;
using Tessera.Ops;
using static Tessera.Kernels.Cpu.Tests.KernelCheck;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>Each fast operator against its reference kernel (the specification) on random inputs:
/// convolutions of every shape class (pointwise, general, grouped, depthwise, 1-D, strided, dilated,
/// padded, odd sizes 1, 7, 17) with fused activations, broadcast arithmetic, activations and pools.</summary>
public sealed class OperatorTests
{
    // Every node on its parallel path, however small (the session default runs small nodes on one thread).
    private static readonly OperatorRegistry Fast = CpuBackend.CreateOperators(2, serialBelowElements: 0);

    /// <summary>Runs one node on the fast registry and on the reference and compares the first output.</summary>
    private static void Check(Node node, Tensor?[] inputs, string label) => KernelCheck.Check(Fast, node, inputs, label);

    private static Node Conv(string op, int group, int[] kernel, int[] strides, int[] dilations, int[] pads, string activation = "")
    {
        var node = new Node(op, [new Value("x"), new Value("w"), new Value("b")], [new Value("y")], op == "FusedConv" ? "tessera" : "", "conv");
        node.SetAttribute(NodeAttribute.Int("group", group));
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", kernel.Select(k => (long)k).ToArray()));
        node.SetAttribute(NodeAttribute.Ints("strides", strides.Select(k => (long)k).ToArray()));
        node.SetAttribute(NodeAttribute.Ints("dilations", dilations.Select(k => (long)k).ToArray()));
        node.SetAttribute(NodeAttribute.Ints("pads", pads.Select(k => (long)k).ToArray()));
        if (activation.Length > 0)
        {
            node.SetAttribute(NodeAttribute.String("activation", activation));
            node.SetAttribute(NodeAttribute.Floats("activation_params", activation switch { "Clip" => [0f, 6f], "LeakyRelu" => [0.1f], "HardSigmoid" => [0.25f, 0.4f], _ => [] }));
        }
        return node;
    }

    [Theory]
    [InlineData(1, 8, 7, 17, 16, 1, 1, 1, 0, "Relu")]
    [InlineData(2, 3, 17, 7, 5, 3, 1, 1, 1, "Clip")]
    [InlineData(1, 16, 9, 9, 24, 3, 2, 1, 1, "HardSwish")]
    [InlineData(1, 7, 1, 1, 7, 1, 1, 1, 0, "")]
    [InlineData(1, 4, 12, 10, 6, 5, 1, 2, 2, "LeakyRelu")]
    [InlineData(1, 17, 11, 13, 17, 3, 1, 1, 1, "Sigmoid")]
    [InlineData(1, 16, 16, 16, 16, 5, 2, 1, 2, "Silu")]
    [InlineData(1, 8, 10, 10, 12, 3, 1, 1, 1, "HardSigmoid")]
    public void Convolution_matches_the_reference(int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int dilation, int pad, string activation)
    {
        var random = new Random(channels * 31 + height);
        foreach (int group in channels == outChannels ? (int[])[1, channels] : channels % 2 == 0 && outChannels % 2 == 0 ? [1, 2] : [1])
        {
            var node = Conv(activation.Length > 0 ? "FusedConv" : "Conv", group, [kernel, kernel], [stride, stride], [dilation, dilation], [pad, pad, pad, pad], activation);
            var inputs = new[] { RandomTensor(random, batch, channels, height, width), RandomTensor(random, outChannels, channels / group, kernel, kernel), RandomTensor(random, outChannels) };
            Check(node, inputs, $"conv group {group}");
        }
    }

    [Fact]
    public void One_dimensional_convolution_without_bias_matches_the_reference()
    {
        var random = new Random(1);
        var node = new Node("Conv", [new Value("x"), new Value("w")], [new Value("y")], "", "conv1d");
        node.SetAttribute(NodeAttribute.Ints("strides", [3]));
        node.SetAttribute(NodeAttribute.Ints("pads", [2, 1]));
        Check(node, [RandomTensor(random, 1, 5, 255), RandomTensor(random, 9, 5, 7)], "conv1d");
    }

    [Fact]
    public void Convolution_with_output_perm_writes_nhwc()
    {
        var random = new Random(2);
        var node = Conv("FusedConv", 1, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], "Relu");
        node.SetAttribute(NodeAttribute.Ints("output_perm", [0, 2, 3, 1]));
        Check(node, [RandomTensor(random, 1, 6, 9, 11), RandomTensor(random, 10, 6, 3, 3), RandomTensor(random, 10)], "conv nhwc");
    }

    [Theory]
    [InlineData("Add", new[] { 2, 3, 4, 5 }, new[] { 2, 3, 4, 5 })]
    [InlineData("Sub", new[] { 1, 6, 7, 7 }, new[] { 1, 6, 1, 1 })]
    [InlineData("Div", new[] { 1, 1, 1 }, new[] { 2, 7, 17 })]
    [InlineData("Mul", new[] { 3, 17 }, new[] { 17 })]
    [InlineData("Sub", new[] { 17 }, new[] { 2, 5, 17 })]
    [InlineData("Div", new[] { 2, 6, 1, 1 }, new[] { 2, 6, 5, 5 })]
    [InlineData("Mul", new[] { 4, 1, 5 }, new[] { 4, 3, 5 })]
    [InlineData("Add", new[] { 0, 3 }, new[] { 3 })]
    public void Broadcast_arithmetic_matches_the_reference(string op, int[] left, int[] right)
    {
        var random = new Random(left.Sum() + right.Length);
        var b = RandomTensor(random, right);
        if (op == "Div") b = Tensor.Create(right, b.ToFloatArray().Select(v => v + MathF.CopySign(0.5f, v)).ToArray());
        Check(new Node(op, [new Value("a"), new Value("b")], [new Value("y")], "", op), [RandomTensor(random, left), b], op);
    }

    [Theory]
    [InlineData("Relu", "")]
    [InlineData("Sigmoid", "")]
    [InlineData("Tanh", "")]
    [InlineData("LeakyRelu", "")]
    [InlineData("HardSigmoid", "")]
    [InlineData("HardSwish", "")]
    [InlineData("Silu", "tessera")]
    public void Activations_match_the_reference(string op, string domain)
    {
        var random = new Random(op.Length);
        var x = Tensor.Create([3, 255], RandomTensor(random, 3, 255).ToFloatArray().Select(v => v * 8).ToArray());
        Check(new Node(op, [new Value("x")], [new Value("y")], domain, op), [x], op);
    }

    [Theory]
    [InlineData("MaxPool", 2, 2, 0, 0, 0)]
    [InlineData("MaxPool", 3, 2, 1, 1, 0)]
    [InlineData("AveragePool", 3, 1, 1, 0, 0)]
    [InlineData("AveragePool", 3, 2, 1, 1, 1)]
    [InlineData("AveragePool", 2, 2, 0, 1, 0)]
    public void Pools_match_the_reference(string op, int kernel, int stride, int pad, int ceil, int includePad)
    {
        var node = new Node(op, [new Value("x")], [new Value("y")], "", op);
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kernel, kernel]));
        node.SetAttribute(NodeAttribute.Ints("strides", [stride, stride]));
        node.SetAttribute(NodeAttribute.Ints("pads", [pad, pad, pad, pad]));
        node.SetAttribute(NodeAttribute.Int("ceil_mode", ceil));
        node.SetAttribute(NodeAttribute.Int("count_include_pad", includePad));
        Check(node, [RandomTensor(new Random(kernel), 2, 3, 17, 7)], op);
        Check(new Node("GlobalAveragePool", [new Value("x")], [new Value("y")], "", "gap"), [RandomTensor(new Random(4), 2, 3, 7, 17)], "global average");
    }

    [Theory]
    [InlineData(1, 17, 255, 7, false, false)]
    [InlineData(2, 7, 17, 1, true, false)]
    [InlineData(3, 7, 17, 255, false, true)]
    public void MatMul_and_Gemm_match_the_reference(int batch, int m, int k, int n, bool transA, bool transB)
    {
        var random = new Random(m + k + n);
        var matmul = new Node("MatMul", [new Value("a"), new Value("b")], [new Value("y")], "", "matmul");
        Check(matmul, [RandomTensor(random, batch, m, k), RandomTensor(random, k, n)], "matmul 2-D weights");
        Check(matmul, [RandomTensor(random, batch, m, k), RandomTensor(random, batch, k, n)], "batched matmul");
        var gemm = new Node("Gemm", [new Value("a"), new Value("b"), new Value("c")], [new Value("y")], "", "gemm");
        gemm.SetAttribute(NodeAttribute.Int("transA", transA ? 1 : 0));
        gemm.SetAttribute(NodeAttribute.Int("transB", transB ? 1 : 0));
        gemm.SetAttribute(NodeAttribute.Float("beta", 0.5f));
        var a = transA ? RandomTensor(random, k, m) : RandomTensor(random, m, k);
        var b = transB ? RandomTensor(random, n, k) : RandomTensor(random, k, n);
        Check(gemm, [a, b, RandomTensor(random, n)], "gemm column bias");
        Check(gemm, [a, b, RandomTensor(random, m, n)], "gemm residual");
    }

    [Fact]
    public void Every_processor_kernel_gives_the_same_convolution()
    {
        var random = new Random(9);
        var node = Conv("Conv", 1, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1]);
        Tensor?[] inputs = [RandomTensor(random, 1, 5, 13, 11), RandomTensor(random, 19, 5, 3, 3), RandomTensor(random, 19)];
        var results = GemmShape.Supported.Select(kind =>
        {
            var context = new KernelContext(node, 22, inputs.Cast<DataValue?>().ToList());
            CpuBackend.CreateOperators(1, shape: GemmShape.For(kind)).Get(node).Execute(context);
            return ((Tensor)context.Outputs[0]!).ToFloatArray();
        }).ToList();
        foreach (var r in results.Skip(1)) Assert.Equal(results[0], r, (x, y) => Math.Abs(x - y) <= 1e-5f);
    }

    private static Tensor ToHalf(Tensor t) => Tensor.Create(t.Shape, t.ToFloatArray().Select(v => (Half)v).ToArray());

    /// <summary>Float16 nodes run on the float32 kernels: the output is float16, equals the float32 fast kernel's
    /// result on the widened inputs rounded to float16 (so the fast kernel ran), and is within one float16 step
    /// (2^-10 relative) of the reference, which accumulates in double. A constant weight is widened once and
    /// the second run gives the same answer.</summary>
    [Fact]
    public void Float16_nodes_run_on_the_float32_kernels()
    {
        var random = new Random(16);
        var conv = Conv("Conv", 1, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1]);
        conv.Inputs[1]!.Constant = ToHalf(RandomTensor(random, 8, 4, 3, 3));
        var cases = new List<(Node Node, Tensor[] Inputs, string Label)>
        {
            (conv, [ToHalf(RandomTensor(random, 1, 4, 9, 11)), conv.Inputs[1]!.Constant!, ToHalf(RandomTensor(random, 8))], "conv 3x3"),
            (Conv("Conv", 6, [3, 3], [2, 2], [1, 1], [1, 1, 1, 1]), [ToHalf(RandomTensor(random, 1, 6, 17, 7)), ToHalf(RandomTensor(random, 6, 1, 3, 3)), ToHalf(RandomTensor(random, 6))], "depthwise"),
            (new Node("MatMul", [new Value("a"), new Value("b")], [new Value("y")], "", "matmul"), [ToHalf(RandomTensor(random, 7, 255)), ToHalf(RandomTensor(random, 255, 17))], "matmul"),
            (new Node("Add", [new Value("a"), new Value("b")], [new Value("y")], "", "add"), [ToHalf(RandomTensor(random, 2, 3, 5)), ToHalf(RandomTensor(random, 5))], "add"),
            (new Node("Relu", [new Value("x")], [new Value("y")], "", "relu"), [ToHalf(RandomTensor(random, 3, 17))], "relu"),
        };
        foreach (var (node, inputs, label) in cases)
        {
            Tensor Run(OperatorRegistry registry, Tensor[] values)
            {
                var context = new KernelContext(node, 22, values.Cast<DataValue?>().ToList());
                registry.Get(node).Execute(context);
                return (Tensor)context.Outputs[0]!;
            }
            var expected = Run(OperatorRegistry.Default, inputs);
            var actual = Run(Fast, inputs);
            Assert.Equal(DataType.Float16, actual.DataType);
            Assert.Equal(expected.Shape, actual.Shape);
            var single = Run(Fast, inputs.Select(t => Tensor.Create(t.Shape, t.ToFloatArray())).ToArray());
            Assert.Equal(single.ToFloatArray().Select(v => (float)(Half)v), actual.ToFloatArray());
            var e = expected.ToFloatArray();
            var a = actual.ToFloatArray();
            for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= Math.Max(Math.Abs(e[i]), 1e-3f) * MathF.Pow(2, -10), $"{label} at {i}: {a[i]} vs {e[i]}");
            Assert.Equal(a, Run(Fast, inputs).ToFloatArray());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Slice_matches_the_reference_on_random_boxes(int seed)
    {
        var random = new Random(seed * 101);
        for (int trial = 0; trial < 20; trial++)
        {
            int rank = random.Next(1, 5);
            var shape = Enumerable.Range(0, rank).Select(_ => random.Next(1, 9)).ToArray();
            // Some axes, in any order, negative ones too; starts/ends past the ends and negative; explicit unit steps or none.
            var axes = Enumerable.Range(0, rank).OrderBy(_ => random.Next()).Take(random.Next(1, rank + 1)).ToArray();
            long[] Bounds() => axes.Select(a => (long)random.Next(-shape[a] - 2, shape[a] + 3)).ToArray();
            var starts = Bounds();
            var ends = Bounds();
            if (trial % 5 == 0) ends[0] = long.MaxValue;
            var inputs = new List<Tensor?>
            {
                RandomTensor(random, shape),
                Tensor.FromInt64s(DataType.Int64, [axes.Length], starts),
                Tensor.FromInt64s(DataType.Int64, [axes.Length], ends),
                Tensor.FromInt64s(DataType.Int64, [axes.Length], axes.Select(a => (long)(trial % 2 == 0 ? a - rank : a)).ToArray()),
            };
            if (trial % 3 == 0) inputs.Add(Tensor.FromInt64s(DataType.Int64, [axes.Length], Enumerable.Repeat(1L, axes.Length).ToArray()));
            var node = new Node("Slice", inputs.Select((_, i) => new Value($"i{i}")), [new Value("y")], "", "slice");
            Assert.IsType<Operators.FastSlice>(Fast.Get(node));
            Check(node, [.. inputs], $"slice [{string.Join(",", shape)}] axes {string.Join(",", axes)} starts {string.Join(",", starts)} ends {string.Join(",", ends)}");
        }
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(3.0)]
    [InlineData(-1.0)]
    public void Pow_matches_the_reference(double exponent)
    {
        // Exponent 2 runs as x * x; other exponents on the reference.
        var node = new Node("Pow", [new Value("x"), new Value("e")], [new Value("y")], "", "pow");
        var x = RandomTensor(new Random(7), 3, 129, 4);
        Check(node, [x, Tensor.Scalar((float)exponent)], $"pow {exponent}");
        var context = new KernelContext(node, 22, [x, Tensor.Scalar((float)exponent)]);
        Fast.Get(node).Execute(context);
        var y = ((Tensor)context.Outputs[0]!).ToFloatArray();
        var xs = x.ToFloatArray();
        for (int i = 0; i < xs.Length; i++) Assert.Equal((float)Math.Pow(xs[i], exponent), y[i]);
    }

    [Theory]
    [InlineData("asymmetric", "floor")]
    [InlineData("half_pixel", "round_prefer_floor")]
    [InlineData("align_corners", "round_prefer_ceil")]
    [InlineData("pytorch_half_pixel", "ceil")]
    [InlineData("tf_half_pixel_for_nn", "floor")]
    public void Nearest_resize_copies_what_the_reference_copies(string transform, string nearestMode)
    {
        // Scales up by 2, 4, 8 (det's FPN), by uneven factors and down; sizes too; a linear node stays on the reference.
        var random = new Random(transform.Length * 31 + nearestMode.Length);
        float[][] scaleSets = [[1, 1, 2, 2], [1, 1, 8, 8], [1, 1, 4, 2], [1, 1, 1.5f, 2.5f], [1, 1, 0.5f, 0.7f], [1, 2, 1, 3], [1, 1, 1, 1]];
        foreach (var scales in scaleSets)
        {
            var shape = new[] { random.Next(1, 3), random.Next(1, 5), random.Next(1, 12), random.Next(1, 20) };
            var node = new Node("Resize", [new Value("x"), new Value("roi"), new Value("scales")], [new Value("y")], "", "resize");
            node.SetAttribute(NodeAttribute.String("mode", "nearest"));
            node.SetAttribute(NodeAttribute.String("coordinate_transformation_mode", transform));
            node.SetAttribute(NodeAttribute.String("nearest_mode", nearestMode));
            Assert.IsType<Operators.FastResize>(Fast.Get(node));
            var x = RandomTensor(random, shape);
            var inputs = new Tensor?[] { x, Tensor.Create([0], Array.Empty<float>()), Tensor.Create([4], scales) };
            var expected = RunNode(OperatorRegistry.Default, node, inputs);
            var actual = RunNode(Fast, node, inputs);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.ToFloatArray(), actual.ToFloatArray());
        }
        var sized = new Node("Resize", [new Value("x"), new Value("roi"), new Value("scales"), new Value("sizes")], [new Value("y")], "", "resize");
        sized.SetAttribute(NodeAttribute.String("coordinate_transformation_mode", transform));
        sized.SetAttribute(NodeAttribute.String("nearest_mode", nearestMode));
        var input = RandomTensor(random, 1, 3, 7, 17);
        var sizedInputs = new Tensor?[] { input, null, null, Tensor.FromInt64s(DataType.Int64, [4], [1, 3, 20, 9]) };
        Assert.Equal(RunNode(OperatorRegistry.Default, sized, sizedInputs).ToFloatArray(), RunNode(Fast, sized, sizedInputs).ToFloatArray());
        var linear = new Node("Resize", [new Value("x"), new Value("roi"), new Value("scales")], [new Value("y")], "", "resize");
        linear.SetAttribute(NodeAttribute.String("mode", "linear"));
        linear.SetAttribute(NodeAttribute.String("coordinate_transformation_mode", transform == "tf_half_pixel_for_nn" ? "asymmetric" : transform));
        Check(linear, [input, Tensor.Create([0], Array.Empty<float>()), Tensor.Create([4], new float[] { 1, 1, 2, 2 })], "linear resize");
    }

    [Fact]
    public void Casts_between_float16_and_float32_match_the_reference_bit_for_bit()
    {
        // Ties to even, subnormals, overflow to infinity, NaN, signed zero; random values of both magnitudes.
        var random = new Random(16);
        float[] special = [0f, -0f, 1f + 1f / 2048, 1f + 3f / 2048, 65504f, 65520f, 1e6f, -1e6f, 6e-8f, 3e-8f, 1e-5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        var singles = special.Concat(Enumerable.Range(0, 1000).Select(i => (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-9, 6))))).ToArray();
        var narrow = new Node("Cast", [new Value("x")], [new Value("y")], "", "cast");
        narrow.SetAttribute(NodeAttribute.Int("to", (long)DataType.Float16));
        var x = Tensor.Create([singles.Length], singles);
        Assert.IsType<Operators.FastCast>(Fast.Get(narrow));
        var expected = RunNode(OperatorRegistry.Default, narrow, [x]).As<Half>().ToArray();
        var actual = RunNode(Fast, narrow, [x]).As<Half>().ToArray();
        Assert.Equal(expected.Select(BitConverter.HalfToUInt16Bits), actual.Select(BitConverter.HalfToUInt16Bits));
        var widen = new Node("Cast", [new Value("x")], [new Value("y")], "", "cast");
        widen.SetAttribute(NodeAttribute.Int("to", (long)DataType.Float32));
        var halves = Tensor.Create([expected.Length], expected);
        Assert.Equal(RunNode(OperatorRegistry.Default, widen, [halves]).ToFloatArray().Select(BitConverter.SingleToInt32Bits),
            RunNode(Fast, widen, [halves]).ToFloatArray().Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0f)]
    [InlineData(-2.5f)]
    public void ConstantOfShape_fills_float32_like_the_reference(float? fill)
    {
        var node = new Node("ConstantOfShape", [new Value("shape")], [new Value("y")], "", "fill");
        if (fill is { } f) node.SetAttribute(NodeAttribute.FromTensor("value", Tensor.Create([1], new[] { f })));
        Assert.IsType<Operators.FastConstantOfShape>(Fast.Get(node));
        foreach (long[] dims in new long[][] { [], [0], [1], [7], [1, 17, 7], [1, 24, 32, 32], [3, 0, 2] })
        {
            var shape = Tensor.FromInt64s(DataType.Int64, [dims.Length], dims);
            var expected = RunNode(OperatorRegistry.Default, node, [shape]);
            // Arena buffers come back used: the fill must overwrite whatever they held.
            var context = new KernelContext(node, 22, [shape], null, new StaleBuffers());
            Fast.Get(node).Execute(context);
            var actual = (Tensor)context.Outputs[0]!;
            Assert.Equal(expected.DataType, actual.DataType);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.ToFloatArray(), actual.ToFloatArray());
        }
        // A value of another type stays with the reference.
        var integer = new Node("ConstantOfShape", [new Value("shape")], [new Value("y")], "", "fill");
        integer.SetAttribute(NodeAttribute.FromTensor("value", Tensor.FromInt64s(DataType.Int64, [1], [3])));
        var dims2 = Tensor.FromInt64s(DataType.Int64, [2], [2, 3]);
        Assert.Equal(RunNode(OperatorRegistry.Default, integer, [dims2]).As<long>().ToArray(), RunNode(Fast, integer, [dims2]).As<long>().ToArray());
    }

    /// <summary>Hands out buffers full of NaN, as a reused arena array may hold anything.</summary>
    private sealed class StaleBuffers : IBufferProvider
    {
        public float[] RentFloats(int length)
        {
            var buffer = new float[length];
            Array.Fill(buffer, float.NaN);
            return buffer;
        }

        public bool CanOverwriteInput(KernelContext context, int input) => false;
    }

    private static Tensor RunNode(OperatorRegistry registry, Node node, Tensor?[] inputs)
    {
        var context = new KernelContext(node, 22, inputs.Cast<DataValue?>().ToList());
        registry.Get(node).Execute(context);
        return (Tensor)context.Outputs[0]!;
    }

    [Fact]
    public void A_serial_scope_keeps_every_chunk_on_the_calling_thread()
    {
        int caller = Environment.CurrentManagedThreadId;
        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();
        using (CpuParallel.Serial(true))
        {
            using (CpuParallel.Serial(false)) CpuParallel.For(64, 2, _ => seen.Add(Environment.CurrentManagedThreadId));
        }
        Assert.Equal(64, seen.Count);
        Assert.All(seen, id => Assert.Equal(caller, id));
        seen.Clear();
        CpuParallel.For(8, 2, i => seen.Add(i));
        Assert.Equal(Enumerable.Range(0, 8), seen.Order());
    }
}
