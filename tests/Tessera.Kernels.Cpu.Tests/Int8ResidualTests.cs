using System.Runtime.Intrinsics.X86;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Kernels.Cpu.Int8;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>A convolution whose only reader is a fixed-point Add runs the Add in its epilogue (one step, the
/// convolution's output not made): the fused program's output equals the integer executor's (the unfused
/// steps) byte for byte on random shapes (sizes 1, 7, 17, odd channel counts, pointwise and strided 3x3, the
/// convolution on either side of the Add, zero points at the ends, ReLU clamps, 1 and 2 threads), and the fusion
/// is not made where it would change what the program computes.</summary>
public sealed class Int8ResidualTests
{
    private static Node Conv(string name, int kernel, int stride)
    {
        var node = new Node("Conv", [new Value("in"), new Value("w")], [new Value("out")], "", name);
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kernel, kernel]));
        node.SetAttribute(NodeAttribute.Ints("pads", [kernel / 2, kernel / 2, kernel / 2, kernel / 2]));
        node.SetAttribute(NodeAttribute.Ints("strides", [stride, stride]));
        return node;
    }

    private static Tensor Random(Random random, int[] shape) =>
        Tensor.Create(shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => (sbyte)random.Next(-128, 128)).ToArray());

    private static ConvolutionStep ConvStep(Random random, string input, string output, int c, int m, int kernel, int stride, int zx, int weightZero = 0)
    {
        var requant = Requantizer.FromRealMultipliers(Enumerable.Range(0, m).Select(_ => (0.3 + random.NextDouble()) / (c * kernel * kernel * 64.0)).ToArray(),
            random.Next(-20, 20), -128, 127);
        return new ConvolutionStep(Conv("conv", kernel, stride), input, output, zx, Random(random, [m, c, kernel, kernel]), [weightZero],
            Enumerable.Range(0, m).Select(_ => random.Next(-5000, 5000)).ToArray(), requant, unsigned: false);
    }

    private static BinaryStep AddStep(string left, string right, int[] parameters) =>
        new("add", "Add", left, right, "y", parameters, unsigned: false,
            (new ActivationQuantization(0.05f, parameters[0]), new ActivationQuantization(0.04f, parameters[1]), new ActivationQuantization(0.07f, parameters[9])));

    [Fact]
    public void Convolution_with_its_residual_add_in_the_epilogue_equals_the_unfused_steps()
    {
        var random = new Random(41);
        // The table tests' sets, then Adds as the QDQ lowering makes them (most of which run as a line under AVX2).
        var parameters = Int8TableTests.AddParameterSets().Concat(Int8RequantizationTests.LoweredAddParameters(new Random(43), 10)).ToList();
        int cases = 0, lines = 0, tables = 0;
        // (channels in, channels out, height, width, kernel, stride, threads)
        (int C, int M, int H, int W, int K, int S, int T)[] shapes =
        [
            (1, 1, 1, 1, 1, 1, 1), (1, 3, 1, 1, 1, 1, 1), (7, 7, 7, 7, 1, 1, 1), (17, 17, 17, 17, 1, 1, 2), (3, 17, 7, 17, 1, 1, 1),
            (24, 24, 17, 7, 1, 1, 1), (17, 9, 17, 17, 3, 2, 1), (5, 7, 1, 17, 3, 1, 2), (7, 24, 7, 1, 3, 2, 1),
            (24, 24, 128, 96, 1, 1, 2), (24, 32, 64, 64, 3, 2, 2),
            // Rows of 32 values and more with tails (17x17 = 256 + 33 positions, 9x13, 33x3), odd channel counts.
            (24, 24, 17, 17, 1, 1, 1), (23, 25, 9, 13, 1, 1, 1), (48, 48, 33, 3, 1, 1, 1), (5, 33, 16, 16, 1, 1, 2),
            (24, 24, 19, 21, 1, 1, 1), (9, 16, 11, 35, 3, 1, 1), (24, 24, 16, 16, 1, 1, 1), (96, 96, 8, 8, 1, 1, 1),
        ];
        foreach (var (c, m, h, w, k, s, threads) in shapes)
        foreach (bool convOnLeft in new[] { true, false })
        {
            var p = parameters[cases++ % parameters.Count];
            var conv = ConvStep(random, "x", "h", c, m, k, s, zx: cases % 3 == 0 ? -128 : cases % 3 == 1 ? 127 : 5, weightZero: cases % 4 == 1 ? 3 : 0);
            int oh = (h + 2 * (k / 2) - k) / s + 1, ow = (w + 2 * (k / 2) - k) / s + 1;
            var add = convOnLeft ? AddStep("h", "r", p) : AddStep("r", "h", p);
            var program = new IntegerProgram([conv, add], [], new Dictionary<string, Tensor>(), ["x", "r"], ["y"], new Dictionary<string, string>());
            var inputs = new Dictionary<string, Tensor> { ["x"] = Random(random, [1, c, h, w]), ["r"] = Random(random, [1, m, oh, ow]) };
            var fast = CpuIntegerProgram.Accelerate(program, threads);
            string what = $"{c}->{m} {h}x{w} k{k} s{s}, conv {(convOnLeft ? "left" : "right")}, {threads} thread(s), Add [{string.Join(",", p)}]";
            // One input and one output channel is a depthwise convolution, which keeps its own kernel and the Add.
            Assert.Equal(c == 1 && m == 1 || !(Avx512Vbmi.IsSupported || Avx2.IsSupported) ? 2 : 1, fast.Steps.Count);
            if (fast.Steps.Count == 1)
            {
                var fused = Assert.Single(fast.Steps);
                Assert.Equal("int.Conv+Add", fused.Kind);
                Assert.Equal(["x", "r"], fused.Inputs);
                Assert.Equal(["y"], fused.Outputs);
                if (((Int8Convolution)fused).AddsByLine) lines++;
            }
            var expected = program.Run(inputs).Get("y");
            // Twice: the second run reuses the output array.
            for (int run = 0; run < 2; run++)
            {
                var actual = fast.Run(inputs).Get("y");
                Assert.Equal(expected.Shape, actual.Shape);
                Assert.True(expected.As<sbyte>().AsSpan().SequenceEqual(actual.As<sbyte>()), what);
            }
            // The same fused step kept on the Add's pair table (the epilogue for an Add without a line).
            if (fast.Steps.Count == 1)
            {
                var table = new Int8Convolution(conv, add, threads, Int8Gemm.Best, lines: false);
                Assert.False(table.AddsByLine);
                var state = new IntegerState();
                foreach (var (name, tensor) in inputs) state.Set(name, tensor);
                table.Execute(state);
                Assert.True(expected.As<sbyte>().AsSpan().SequenceEqual(state.Get("y").As<sbyte>()), what + ", pair table");
                tables++;
            }
        }
        // Under AVX2 without AVX512-VBMI, both epilogues ran: the Add as its line and as its pair table.
        if (Avx2.IsSupported && !Avx512Vbmi.IsSupported)
        {
            Assert.True(lines > 4, $"{lines} fused steps added by a line");
            Assert.True(tables > 2, $"{tables} fused steps added by the table");
        }
    }

    [Fact]
    public void Residual_add_is_not_fused_where_the_convolution_output_is_read_again_or_the_operand_comes_later()
    {
        var random = new Random(42);
        var p = Int8TableTests.AddParameterSets().Skip(2).First();
        var inputs = new Dictionary<string, Tensor> { ["x"] = Random(random, [1, 7, 9, 9]) };
        // The convolution's output is also a program output: both steps stay.
        var conv = ConvStep(random, "x", "h", 7, 7, 1, 1, 3);
        var twice = new IntegerProgram([conv, AddStep("h", "x", p)], [], new Dictionary<string, Tensor>(), ["x"], ["y", "h"], new Dictionary<string, string>());
        // The Add's other operand is made by a step after the convolution: both steps stay.
        var later = ConvStep(random, "x", "g", 7, 7, 3, 1, -9);
        var order = new IntegerProgram([ConvStep(random, "x", "h", 7, 7, 1, 1, 3), later, AddStep("g", "h", p)], [], new Dictionary<string, Tensor>(), ["x"], ["y"],
            new Dictionary<string, string>());
        // A depthwise convolution keeps its own kernel.
        var depthwiseNode = Conv("dw", 3, 1);
        depthwiseNode.SetAttribute(NodeAttribute.Int("group", 7));
        var depthwise = new ConvolutionStep(depthwiseNode, "x", "h", 3, Random(random, [7, 1, 3, 3]), [0], new int[7],
            Requantizer.FromRealMultipliers(Enumerable.Repeat(0.004, 7).ToArray(), 0), unsigned: false);
        var separate = new IntegerProgram([depthwise, AddStep("h", "x", p)], [], new Dictionary<string, Tensor>(), ["x"], ["y"], new Dictionary<string, string>());
        foreach (var (program, steps) in new[] { (twice, 2), (order, Avx512Vbmi.IsSupported || Avx2.IsSupported ? 2 : 3), (separate, 2) })
        {
            var fast = CpuIntegerProgram.Accelerate(program, 1);
            Assert.Equal(steps, fast.Steps.Count);
            var expected = program.Run(inputs);
            var actual = fast.Run(inputs);
            foreach (var name in program.Outputs) Assert.True(expected.Get(name).As<sbyte>().AsSpan().SequenceEqual(actual.Get(name).As<sbyte>()), name);
        }
    }
}
