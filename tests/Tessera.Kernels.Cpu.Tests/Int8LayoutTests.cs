using Tessera.Core;
using Tessera.Integer;
using Tessera.Kernels.Cpu.Int8;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The int8 nearest Resize, GlobalAveragePool, quantize and dequantize fast steps against the reference
/// steps, byte for byte (bit for bit for the float output): sizes 1, 7 and 17 (and parallel-sized ones at 1 and 2
/// threads), every nearest_mode and the usual coordinate modes at integer and fractional scales and sizes, zero
/// points at both ends, saturating and narrow clamps, ties, NaN and infinities; and which of them are fast under
/// each requantization profile.</summary>
public sealed class Int8LayoutTests
{
    private static Tensor RandomInt8(Random random, int[] shape) =>
        Tensor.Create(shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => (sbyte)random.Next(-128, 128)).ToArray());

    private static IntegerProgram One(IntegerStep step, string input) =>
        new([step], [], new Dictionary<string, Tensor>(), [input], ["y"], new Dictionary<string, string>());

    private static LayoutStep ResizeStep(string transform, string nearest, float[]? scales, long[]? sizes)
    {
        var node = new Node("Resize", [new Value("x"), new Value("roi"), new Value("scales"), new Value("sizes")], [new Value("y")], "", "resize");
        node.SetAttribute(NodeAttribute.String("mode", "nearest"));
        node.SetAttribute(NodeAttribute.String("coordinate_transformation_mode", transform));
        node.SetAttribute(NodeAttribute.String("nearest_mode", nearest));
        Tensor?[] constants = [null, Tensor.Create([0], Array.Empty<float>()),
            scales is null ? Tensor.Create([0], Array.Empty<float>()) : Tensor.Create([scales.Length], scales),
            sizes is null ? null : Tensor.Create([sizes.Length], sizes)];
        return new LayoutStep(node, 13, new Tessera.Ops.NN.Resize(), "x", constants, "y", unsigned: false);
    }

    [Theory]
    [InlineData("asymmetric", "floor")]
    [InlineData("half_pixel", "round_prefer_floor")]
    [InlineData("align_corners", "round_prefer_ceil")]
    [InlineData("pytorch_half_pixel", "ceil")]
    public void Nearest_resize_equals_the_reference_step(string transform, string nearest)
    {
        var random = new Random(transform.Length * 31 + nearest.Length);
        foreach (int[] shape in new[] { new[] { 1, 1, 1, 1 }, [1, 7, 7, 7], [1, 3, 17, 7], [2, 5, 7, 17], [1, 7, 17, 17] })
        foreach (float[] scales in new[] { new[] { 1f, 1, 2, 2 }, [1, 1, 4, 4], [1, 1, 8, 8], [1, 1, 16, 3], [1, 1, 0.5f, 1.5f], [1, 1, 1, 1], [1, 2, 3, 2] })
        foreach (int threads in new[] { 1, 2 })
        {
            var reference = ResizeStep(transform, nearest, scales, null);
            var fast = CpuIntegerProgram.Accelerate(One(reference, "x"), threads).Steps.Single();
            Assert.IsType<Int8Resize>(fast);
            Int8StepTests.Same(reference, fast, [("x", RandomInt8(random, shape))], $"{transform}/{nearest} {ShapeMath.Format(shape)} x {string.Join(",", scales)}, {threads} thread(s)", runs: 2);
        }
        // Sizes instead of scales (fractional ratios), and a new input shape on the same step (the map is rebuilt).
        var sized = ResizeStep(transform, nearest, null, [1, 7, 13, 29]);
        var fastSized = CpuIntegerProgram.Accelerate(One(sized, "x"), 2).Steps.Single();
        foreach (int[] shape in new[] { new[] { 1, 7, 17, 7 }, [1, 7, 1, 17], [1, 7, 7, 1] })
        {
            Int8StepTests.Same(sized, fastSized, [("x", RandomInt8(random, shape))], $"{transform}/{nearest} sizes from {ShapeMath.Format(shape)}", runs: 2);
        }
    }

    private static PoolStep GlobalPool(int zero, AverageRescale rescale, ActivationQuantization? shared = null)
    {
        var node = new Node("GlobalAveragePool", [new Value("x")], [new Value("y")], "", "gap");
        return new PoolStep(node, "x", "y", zero, rescale, unsigned: false, shared);
    }

    [Fact]
    public void Global_average_pool_equals_the_reference_step()
    {
        var random = new Random(71);
        // (zero point, ratio, output zero point, clamp): ordinary, saturating, tiny, narrow ReLU6-like clamp.
        (int Zero, double Ratio, int OutZero, int Min, int Max)[] parameters =
        [
            (0, 0.9, 3, -128, 127), (-128, 3.7, -20, -128, 127), (127, 0.002, 127, -128, 127), (5, 1.3, -128, -128, -90), (-7, 0.77, 0, 0, 6),
        ];
        foreach (var p in parameters)
        foreach (int[] shape in new[] { new[] { 1, 1, 1, 1 }, [1, 7, 7, 7], [2, 17, 17, 17], [1, 7, 17], [1, 1, 1, 33], [1, 32, 80, 80] })
        foreach (int threads in new[] { 1, 2 })
        {
            var reference = GlobalPool(p.Zero, new AverageRescale(p.Ratio, p.OutZero, p.Min, p.Max));
            var fast = CpuIntegerProgram.Accelerate(One(reference, "x"), threads).Steps.Single();
            Assert.IsType<Int8GlobalAveragePool>(fast);
            var x = RandomInt8(random, shape);
            // Planes of one value at the ends of the range (the largest sums of either sign).
            var data = x.As<sbyte>();
            int plane = shape.Length == 3 ? shape[2] : shape[2] * shape[3];
            data.AsSpan(0, plane).Fill(sbyte.MaxValue);
            if (data.Length >= 2 * plane) data.AsSpan(plane, plane).Fill(sbyte.MinValue);
            Int8StepTests.Same(reference, fast, [("x", x)], $"GlobalAveragePool {ShapeMath.Format(shape)} {p}, {threads} thread(s)", runs: 2);
        }
    }

    private static float[] Floats(Random random, int length, float scale)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (i % 11) switch
            {
                0 => (random.Next(-140, 140) + 0.5f) * scale, // ties, before and after the zero point
                1 => float.NaN,
                2 => random.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity,
                3 => (random.NextSingle() - 0.5f) * 1e30f,
                _ => (random.NextSingle() - 0.5f) * 300 * scale,
            };
        }
        return x;
    }

    [Fact]
    public void Quantize_and_dequantize_equal_the_reference_steps()
    {
        var random = new Random(83);
        foreach (var q in new[] { new ActivationQuantization(0.05f, 3), new ActivationQuantization(0.0031f, -128), new ActivationQuantization(1.7f, 127) })
        foreach (int length in new[] { 0, 1, 7, 17, 33, 1000, 70001 })
        foreach (int threads in new[] { 1, 2 })
        {
            var quantize = new QuantizeStep("q", "f", "y", q, unsigned: false);
            var fast = CpuIntegerProgram.Accelerate(One(quantize, "f"), threads).Steps.Single();
            Assert.IsType<Int8Quantize>(fast);
            var f = Tensor.Create([1, length], Floats(random, length, q.Scale));
            var expected = new IntegerState();
            var actual = new IntegerState();
            expected.Set("f", f);
            actual.Set("f", f);
            quantize.Execute(expected);
            fast.Execute(actual);
            fast.Execute(actual);
            Assert.Equal(expected.Get("y").As<sbyte>(), actual.Get("y").As<sbyte>());

            var dequantize = new DequantizeStep("d", "y", "z", q);
            var fastDequantize = CpuIntegerProgram.Accelerate(new IntegerProgram([dequantize], [], new Dictionary<string, Tensor>(), ["y"], ["z"], new Dictionary<string, string>()), threads).Steps.Single();
            Assert.IsType<Int8Dequantize>(fastDequantize);
            var all = Tensor.Create([1, length], Enumerable.Range(0, length).Select(i => (sbyte)(i * 37 + random.Next(256))).ToArray());
            expected.SetInt8("y", all, unsigned: false);
            actual.SetInt8("y", all, unsigned: false);
            dequantize.Execute(expected);
            fastDequantize.Execute(actual);
            var e = expected.Get("z").As<float>();
            var a = actual.Get("z").As<float>();
            Assert.Equal(e.Select(BitConverter.SingleToInt32Bits), a.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Resize_pool_and_conversions_are_fast_where_the_profile_allows_and_equal_the_executor()
    {
        // f -> quantize -> x; x -> GlobalAveragePool (shared quantization: averaged in float under Float/ArmNn) -> g;
        // x -> Resize x2 -> r; r -> dequantize -> y.
        var random = new Random(91);
        var xq = new ActivationQuantization(0.04f, -9);
        var quantize = new QuantizeStep("q", "f", "x", xq, unsigned: false);
        var pool = new PoolStep(new Node("GlobalAveragePool", [new Value("x")], [new Value("g")], "", "gap"), "x", "g", xq.ZeroPoint,
            new AverageRescale(1.0, xq.ZeroPoint, -128, 127), unsigned: false, xq);
        var resize = ResizeStep("asymmetric", "floor", [1, 1, 2, 2], null);
        var resizeX = new LayoutStep(resize.Node, resize.Opset, new Tessera.Ops.NN.Resize(), "x", [.. resize.Constants], "r", unsigned: false);
        var dequantize = new DequantizeStep("d", "r", "y", xq);
        var program = new IntegerProgram([quantize, pool, resizeX, dequantize], [], new Dictionary<string, Tensor>(), ["f"], ["y", "g"], new Dictionary<string, string>());
        var inputs = new Dictionary<string, Tensor> { ["f"] = Tensor.Create([1, 7, 17, 7], Floats(random, 7 * 17 * 7, xq.Scale)) };
        foreach (var profile in Enum.GetValues<RequantizationProfile>())
        foreach (int threads in new[] { 1, 2 })
        {
            var profiled = program.WithRequantization(profile);
            var fast = CpuIntegerProgram.Accelerate(profiled, threads);
            bool floatPool = profile is RequantizationProfile.Float or RequantizationProfile.ArmNn;
            // The OnnxRuntime profile runs nothing fast (its float32 arithmetic is the reference steps' alone).
            bool[] expectedFast = profile == RequantizationProfile.OnnxRuntime ? [false, false, false, false] : [true, !floatPool, true, true];
            Assert.Equal(expectedFast, fast.Steps.Select(CpuIntegerProgram.IsFast).ToArray());
            var expected = profiled.Run(inputs);
            var actual = fast.Run(inputs);
            foreach (var name in new[] { "x", "g", "r" })
            {
                Assert.True(expected.Get(name).As<sbyte>().AsSpan().SequenceEqual(actual.Get(name).As<sbyte>()), $"{profile}, {threads} thread(s): {name} differs");
            }
            Assert.Equal(expected.Get("y").As<float>(), actual.Get("y").As<float>());
        }
    }
    private static FloatNodeStep TransposeIsland(string input, string output, long[]? perm)
    {
        var node = new Node("Transpose", [new Value(input)], [new Value(output)], "", "transpose");
        if (perm is not null) node.SetAttribute(NodeAttribute.Ints("perm", perm));
        return new FloatNodeStep(node, 13, new Tessera.Ops.TensorOps.Permutations(), "an input is not a per-tensor dequantized int8/uint8 tensor");
    }

    [Fact]
    public void Transpose_island_read_by_a_quantize_runs_as_one_step_equal_to_the_executor()
    {
        // f -> Transpose (float island) -> t -> quantize -> y: one quantize-and-permute step, every byte the executor's.
        var random = new Random(97);
        var cases = new (int[] Shape, long[]? Perm)[]
        {
            ([1, 17, 7, 3], [0, 3, 1, 2]), ([1, 7, 17, 3], [0, 3, 1, 2]), ([1, 1, 1, 1], [0, 3, 1, 2]), ([0, 7, 7, 3], [0, 3, 1, 2]),
            ([1, 7, 0, 3], [0, 3, 1, 2]), ([2, 7, 17, 5], [0, 2, 3, 1]), ([1, 3, 17, 7], null), ([17, 7], [1, 0]), ([7], [0]),
            ([2, 3, 7, 17, 1], [4, 2, 0, 3, 1]), ([1, 256, 256, 3], [0, 3, 1, 2]),
        };
        foreach (var q in new[] { new ActivationQuantization(0.05f, 3), new ActivationQuantization(0.0031f, -128), new ActivationQuantization(1.7f, 127) })
        foreach (bool unsigned in new[] { false, true })
        foreach (var (shape, perm) in cases)
        foreach (int threads in new[] { 1, 2 })
        {
            var program = new IntegerProgram([TransposeIsland("f", "t", perm), new QuantizeStep("q", "t", "y", q, unsigned)], [],
                new Dictionary<string, Tensor>(), ["f"], ["y"], new Dictionary<string, string>());
            var fast = CpuIntegerProgram.Accelerate(program, threads);
            Assert.IsType<Int8QuantizeTranspose>(Assert.Single(fast.Steps));
            var inputs = new Dictionary<string, Tensor> { ["f"] = Tensor.Create(shape, Floats(random, (int)ShapeMath.ElementCount(shape), q.Scale)) };
            var expected = program.Run(inputs);
            var actual = fast.Run(inputs);
            fast.Run(inputs); // the reused arrays
            var what = $"{ShapeMath.Format(shape)} perm {(perm is null ? "reversed" : string.Join(",", perm))} {q.Scale}/{q.ZeroPoint} unsigned={unsigned}, {threads} thread(s)";
            Assert.True(expected.Get("y").Shape.AsSpan().SequenceEqual(actual.Get("y").Shape), what + ": shape");
            Assert.True(expected.Get("y").As<sbyte>().AsSpan().SequenceEqual(actual.Get("y").As<sbyte>()), what + ": values");
            Assert.Equal(expected.IsUnsigned("y"), actual.IsUnsigned("y"));
        }
        // The transposed float value read again (here: a graph output) keeps the two reference-form steps.
        var shared = new IntegerProgram([TransposeIsland("f", "t", [0, 3, 1, 2]), new QuantizeStep("q", "t", "y", new ActivationQuantization(0.05f, 3), false)], [],
            new Dictionary<string, Tensor>(), ["f"], ["y", "t"], new Dictionary<string, string>());
        Assert.DoesNotContain(CpuIntegerProgram.Accelerate(shared, 1).Steps, s => s is Int8QuantizeTranspose);
    }
}
