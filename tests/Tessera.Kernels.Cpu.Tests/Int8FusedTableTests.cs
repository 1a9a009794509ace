using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Kernels.Cpu.Int8;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>Elementwise int8 tables joined into the step before them (round i8det): the AVX2 256-entry lookup, Add and
/// Mul by a one-value constant as tables, chains of tables as one, tables in a convolution's or transposed
/// convolution's epilogue, and the transposed convolution whose kernel tiles its output; each against the integer
/// executor, byte for byte.</summary>
public sealed class Int8FusedTableTests
{
    public static TheoryData<Int8Isa> Isas()
    {
        var data = new TheoryData<Int8Isa>();
        foreach (var isa in Enum.GetValues<Int8Isa>().Where(Int8Gemm.IsSupported)) data.Add(isa);
        return data;
    }

    /// <summary><see cref="ByteTable.Unary(ReadOnlySpan{sbyte}, ReadOnlySpan{sbyte}, ReadOnlySpan{byte}, Span{sbyte})"/>
    /// (AVX2: sixteen VPSHUFB on block differences) against row[(byte)x] on every int8 value, lengths 0-130 (partial
    /// 32-value steps), offsets 0-33, in place and not, with the differences given and made inside; rows random,
    /// constant, the identity and with every block equal to its neighbour but one byte.</summary>
    [Fact]
    public void Unary_table_equals_the_row_in_place_and_at_every_offset()
    {
        var random = new Random(81);
        var rows = new List<sbyte[]>
        {
            Enumerable.Range(0, 256).Select(_ => (sbyte)random.Next(-128, 128)).ToArray(),
            Enumerable.Range(0, 256).Select(i => (sbyte)i).ToArray(),
            Enumerable.Repeat((sbyte)-128, 256).ToArray(),
            Enumerable.Range(0, 256).Select(i => (sbyte)(i % 16 == 3 ? i : 77)).ToArray(),
        };
        var source = new sbyte[400];
        for (int i = 0; i < source.Length; i++) source[i] = (sbyte)(i < 256 ? i - 128 : random.Next(-128, 128));
        foreach (var row in rows)
        {
            var deltas = ByteTable.Deltas(row);
            foreach (int length in new[] { 0, 1, 31, 32, 33, 63, 64, 65, 97, 130, 256 })
            foreach (int offset in new[] { 0, 1, 7, 31, 33 })
            foreach (bool inPlace in new[] { false, true })
            foreach (bool given in new[] { false, true })
            {
                var x = source.AsSpan(offset, length).ToArray();
                var y = inPlace ? x : new sbyte[length + 3];
                if (given) ByteTable.Unary(x, row, deltas, y.AsSpan(0, length));
                else ByteTable.Unary(x, row, y.AsSpan(0, length));
                for (int i = 0; i < length; i++)
                {
                    sbyte want = row[(byte)source[offset + i]];
                    if (y[i] != want) Assert.Fail($"length {length}, offset {offset}, in place {inPlace}, deltas given {given}: value {source[offset + i]} gave {y[i]}, the row {want}");
                }
                if (!inPlace) Assert.True(y.AsSpan(length).SequenceEqual(new sbyte[3]), "wrote past the output");
            }
        }
    }

    // (channels, height, width, outChannels, group, kernel, stride, pad, batch)
    private static readonly (int C, int H, int W, int M, int G, int K, int S, int P, int N)[] Convolutions =
    [
        (16, 17, 17, 24, 1, 1, 1, 0, 1),    // pointwise GEMM
        (8, 7, 17, 17, 1, 3, 1, 1, 1),      // 3x3 im2col GEMM
        (7, 17, 35, 7, 7, 3, 1, 1, 1),      // depthwise 3x3 stride 1 (AVX2: two-row kernel)
        (17, 17, 33, 17, 17, 3, 2, 1, 1),   // depthwise 3x3 stride 2
        (7, 17, 19, 7, 7, 5, 1, 2, 2),      // depthwise 5x5 (pair plane), batch 2
        (1, 7, 7, 1, 1, 5, 2, 2, 1),        // depthwise 5x5 stride 2, one channel
        (3, 17, 33, 16, 1, 3, 2, 1, 1),     // stem: 3 channels, 3x3 stride 2
        (3, 1, 1, 5, 1, 1, 1, 0, 1),        // one position
    ];

    /// <summary>conv -> HardSigmoid -> Mul by the conv's output (HardSwish) -> Mul by a constant -> Add of a constant,
    /// PP-OCRv4 det's activation: one step (the tables composed in the convolution's epilogue) on every kernel path
    /// (pointwise and im2col GEMM, the depthwise kernels, the stem), with int8 and uint8 constants of rank 1 and 0 on
    /// either side, 1 and 2 threads; with the convolution's output also a graph output the tables stay one table
    /// step after it; every value equals the executor's.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Tables_after_a_convolution_run_in_its_epilogue(Int8Isa isa)
    {
        var random = new Random(82);
        var hardSigmoid = Enumerable.Range(-128, 256).Select(v => (sbyte)Math.Clamp((v + 128) / 2 - 128 + random.Next(-3, 4), -128, 127)).ToArray();
        int index = 0;
        foreach (var c in Convolutions)
        foreach (bool secondUse in new[] { false, true })
        {
            var conv = Convolution(random, c, "x", "h");
            var lookup = new LookupStep("hs.gate", "HardSigmoid", "h", "s", hardSigmoid, unsigned: false);
            var swish = new BinaryStep("hs.mul", "Mul", "h", "s", "hs", Pick(Int8TableTests.MulParameterSets(), index), unsigned: false);
            bool unsignedConstants = index % 2 == 1, constantLeft = index % 3 == 0;
            var scale = new BinaryStep("lab.mul", "Mul", constantLeft ? "w0" : "hs", constantLeft ? "hs" : "w0", "m", Pick(Int8TableTests.MulParameterSets(), index + 1), unsigned: false);
            var shift = new BinaryStep("lab.add", "Add", "m", "w1", "out", Pick(Int8TableTests.AddParameterSets(), index), unsigned: unsignedConstants);
            var constants = new Dictionary<string, Tensor>
            {
                ["w0"] = unsignedConstants ? Tensor.Create([1], new[] { (byte)random.Next(0, 256) }) : Tensor.Create([1], new[] { (sbyte)random.Next(-128, 128) }),
                ["w1"] = Tensor.Create(index % 4 == 2 ? [] : [1], new[] { (sbyte)random.Next(-128, 128) }),
            };
            var program = new IntegerProgram([conv, lookup, swish, scale, shift], [], constants, ["x"], secondUse ? ["out", "h"] : ["out"], new Dictionary<string, string>());
            var x = Tensor.Create([c.N, c.C, c.H, c.W], Bytes(random, c.N * c.C * c.H * c.W));
            foreach (int threads in new[] { 1, 2 })
            {
                var fast = CpuIntegerProgram.Accelerate(program, threads, isa);
                string what = $"{isa} {c} second use {secondUse}, {threads} thread(s)";
                Assert.True(fast.Steps.All(CpuIntegerProgram.IsFast), what);
                Assert.Equal(secondUse ? 2 : 1, fast.Steps.Count);
                Assert.Equal(secondUse ? "int.Mul(HardSigmoid)+Mul+Add" : "int.Conv+Mul(HardSigmoid)+Mul+Add", fast.Steps[^1].Kind);
                Equal(program, fast, new Dictionary<string, Tensor> { ["x"] = x }, secondUse ? ["out", "h"] : ["out"], what);
            }
            index++;
        }
    }

    /// <summary>A table is not joined into a step when its input has another reader, and an Add or Mul whose constant has
    /// more than one value, or of rank 2, stays a binary step; the results still equal the executor's.</summary>
    [Fact]
    public void Tables_stay_apart_where_a_value_has_another_reader_or_the_constant_is_not_one_value()
    {
        var random = new Random(83);
        var c = (C: 4, H: 5, W: 2, M: 6, G: 1, K: 1, S: 1, P: 0, N: 1);
        var conv = Convolution(random, c, "x", "h");
        var table = Enumerable.Range(0, 256).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
        var first = new LookupStep("t1", "Sigmoid", "h", "a", table, unsigned: false);
        var second = new LookupStep("t2", "Tanh", "a", "b", table.Reverse().ToArray(), unsigned: false);
        // "a" is read by t2 and by the Add: t2 is not joined into t1, t1 is joined into the conv.
        var add = new BinaryStep("add", "Add", "a", "b", "c", Pick(Int8TableTests.AddParameterSets(), 1), unsigned: false);
        var wide = new BinaryStep("mul", "Mul", "c", "k2", "d", Pick(Int8TableTests.MulParameterSets(), 2), unsigned: false);
        var square = new BinaryStep("mul2", "Mul", "d", "k3", "out", Pick(Int8TableTests.MulParameterSets(), 3), unsigned: false);
        var constants = new Dictionary<string, Tensor>
        {
            ["k2"] = Tensor.Create([2], new sbyte[] { 3, -9 }),
            ["k3"] = Tensor.Create([1, 1], new sbyte[] { 5 }),
        };
        var program = new IntegerProgram([conv, first, second, add, wide, square], [], constants, ["x"], ["out"], new Dictionary<string, string>());
        // k2 broadcasts on the last axis: width 2.
        var x = Tensor.Create([1, 4, 5, 2], Bytes(random, 4 * 5 * 2));
        foreach (int threads in new[] { 1, 2 })
        {
            var fast = CpuIntegerProgram.Accelerate(program, threads);
            Assert.Equal(["int.Conv+Lookup(Sigmoid)", "int.Lookup(Tanh)", "int.Add", "int.Mul", "int.Mul"], fast.Steps.Select(s => s.Kind).ToArray());
            Assert.IsType<Int8Binary>(fast.Steps[3]);
            Assert.IsType<Int8Binary>(fast.Steps[4]);
            Equal(program, fast, new Dictionary<string, Tensor> { ["x"] = x }, ["out"], $"{threads} thread(s)");
        }
    }

    /// <summary>Transposed convolutions whose kernel equals the stride and that have no padding (the tiled path: GEMM
    /// rows interleaved into output rows): kernels 2 (the AVX2 interleave, widths 1-70) and 3, 1 to 24 output
    /// channels, per-channel weight zero points (column sums), 1-D, batch 2, 1 and 2 threads, every ISA; and the Sigmoid
    /// after the last one in its epilogue (a DB head), against the executor.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Transposed_convolution_tiling_its_output_equals_the_reference_step(Int8Isa isa)
    {
        var random = new Random(85);
        // (channels, outChannels, height, width, kernel, weightZero, rank 3)
        foreach (var (c, m, h, w, k, weightZero, oneD) in new[]
        {
            (24, 24, 5, 37, 2, false, false), (24, 1, 3, 70, 2, false, false), (7, 17, 2, 9, 2, true, false), (5, 3, 3, 1, 2, false, false),
            (3, 4, 5, 6, 3, true, false), (17, 9, 1, 1, 2, true, false), (6, 5, 1, 33, 2, false, true),
        })
        foreach (int threads in new[] { 1, 2 })
        {
            var node = new Node("ConvTranspose", [new Value("x"), new Value("w")], [new Value("y")], "", "deconv");
            node.SetAttribute(NodeAttribute.Ints("kernel_shape", oneD ? [k] : [k, k]));
            node.SetAttribute(NodeAttribute.Ints("strides", oneD ? [k] : [k, k]));
            int[] wShape = oneD ? [c, m, k] : [c, m, k, k];
            var weights = Tensor.Create(wShape, Bytes(random, (int)ShapeMath.ElementCount(wShape)));
            int[] zeros = weightZero ? Enumerable.Range(0, m).Select(_ => random.Next(-4, 5)).ToArray() : [0];
            var requantizer = Requantizer.FromRealMultipliers(Enumerable.Range(0, m).Select(_ => random.NextDouble() / (c * 64.0)).ToArray(), random.Next(-10, 10), -128, random.Next(0, 128));
            var bias = Enumerable.Range(0, m).Select(_ => random.Next(-3000, 3000)).ToArray();
            var step = new TransposedConvolutionStep(node, "x", "y", random.Next(-20, 20), weights, zeros, bias, requantizer, unsigned: false);
            int[] xShape = oneD ? [2, c, w] : [2, c, h, w];
            var x = Tensor.Create(xShape, Bytes(random, (int)ShapeMath.ElementCount(xShape)));
            string what = $"ConvTranspose {c}->{m} {h}x{w} k{k} zw {weightZero} 1-D {oneD} {isa} {threads} thread(s)";
            Int8StepTests.Same(step, new Int8ConvolutionTranspose(step, threads, isa), [("x", x)], what, runs: 2);
            // With a Sigmoid table after it: one step.
            var sigmoid = new LookupStep("sigmoid", "Sigmoid", "y", "p", Enumerable.Range(0, 256).Select(_ => (sbyte)random.Next(-128, 128)).ToArray(), unsigned: true);
            var program = new IntegerProgram([step, sigmoid], [], new Dictionary<string, Tensor>(), ["x"], ["p"], new Dictionary<string, string>());
            var fast = CpuIntegerProgram.Accelerate(program, threads, isa);
            Assert.Equal("int.ConvTranspose+Lookup(Sigmoid)", Assert.Single(fast.Steps).Kind);
            Equal(program, fast, new Dictionary<string, Tensor> { ["x"] = x }, ["p"], what + " + Sigmoid");
        }
    }

    private static void Equal(IntegerProgram program, IntegerProgram fast, Dictionary<string, Tensor> inputs, string[] names, string what)
    {
        var expected = program.Run(inputs);
        // Twice: the second run reuses the fast steps' arrays.
        fast.Run(inputs);
        var actual = fast.Run(inputs);
        foreach (var name in names)
        {
            var e = expected.Get(name);
            var a = actual.Get(name);
            Assert.True(e.Shape.AsSpan().SequenceEqual(a.Shape), $"{what}: {name} has shape [{string.Join(",", a.Shape)}], the executor's [{string.Join(",", e.Shape)}]");
            Assert.Equal(expected.IsUnsigned(name), actual.IsUnsigned(name));
            var ev = e.As<sbyte>();
            var av = a.As<sbyte>();
            for (int i = 0; i < ev.Length; i++)
            {
                if (ev[i] != av[i]) Assert.Fail($"{what}: {name}[{i}] is {av[i]}, the executor gives {ev[i]}");
            }
        }
    }

    private static ConvolutionStep Convolution(Random random, (int C, int H, int W, int M, int G, int K, int S, int P, int N) c, string input, string output)
    {
        var node = new Node("Conv", [new Value(input), new Value("w"), new Value("b")], [new Value(output)], "", "conv");
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [c.K, c.K]));
        node.SetAttribute(NodeAttribute.Ints("strides", [c.S, c.S]));
        node.SetAttribute(NodeAttribute.Ints("pads", [c.P, c.P, c.P, c.P]));
        node.SetAttribute(NodeAttribute.Int("group", c.G));
        int groupChannels = c.C / c.G;
        var w = Tensor.Create([c.M, groupChannels, c.K, c.K], Bytes(random, c.M * groupChannels * c.K * c.K));
        int[] zeros = Enumerable.Range(0, c.M).Select(m => m % 3 == 1 ? random.Next(-5, 6) : 0).ToArray();
        double typical = 1.0 / Math.Max(1, groupChannels * c.K * c.K) / 64;
        var real = Enumerable.Range(0, c.M).Select(_ => typical * Math.Exp(random.NextDouble() * 4 - 2)).ToArray();
        var requantizer = Requantizer.FromRealMultipliers(real, random.Next(-20, 21), -128, 127);
        return new ConvolutionStep(node, input, output, random.Next(-30, 31), w, zeros, Enumerable.Range(0, c.M).Select(_ => random.Next(-5000, 5001)).ToArray(), requantizer, unsigned: false);
    }

    private static int[] Pick(IEnumerable<int[]> sets, int index)
    {
        var all = sets.ToArray();
        return all[index % all.Length];
    }

    private static sbyte[] Bytes(Random random, int count)
    {
        var data = new sbyte[count];
        for (int i = 0; i < count; i++) data[i] = (sbyte)random.Next(-128, 128);
        return data;
    }
}
