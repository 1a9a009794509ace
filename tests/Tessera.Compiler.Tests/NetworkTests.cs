using Tessera.Compiler.Layers;
using Tessera.Simulator;
using Xunit.Abstractions;

namespace Tessera.Compiler.Tests;

/// <summary>A small MobileNet-like network (stem conv, depthwise-separable blocks, an inverted residual with
/// Add, pooling, a lookup activation, concat and a classifier) compiled into one program and checked end to
/// end against the layer oracles, plus the memory plan and failure checks.</summary>
public class NetworkTests(ITestOutputHelper output)
{
    internal static Network MobileNetLike(int size = 32)
    {
        var random = new Random(42);
        var network = new Network();
        var image = Make.Tensor("image", size, size, 3, random);
        network.Inputs.Add(image);
        Layer Add(Layer layer)
        {
            network.Layers.Add(layer);
            return layer;
        }
        var stem = Add(Make.Conv("stem", image, 16, new Window(3, 3, 2, 2, Padding: new Padding(0, 0, 1, 1)), 1, random, 0, 127, "stem:out"));
        var dw1 = Add(Make.Conv("dw1", stem.Output, 16, new Window(3, 3, Padding: Padding.Same(1)), 16, random, 0, 127, "dw1:out"));
        var pw1 = Add(Make.Conv("pw1", dw1.Output, 32, new Window(1, 1), 1, random, 0, 127, "pw1:out"));
        var expand = Add(Make.Conv("expand", pw1.Output, 64, new Window(1, 1), 1, random, 0, 127, "expand:out"));
        var dw2 = Add(Make.Conv("dw2", expand.Output, 64, new Window(3, 3, Padding: Padding.Same(1)), 64, random, 0, 127, "dw2:out"));
        var project = Add(Make.Conv("project", dw2.Output, 32, new Window(1, 1), 1, random, outputName: "project:out"));
        var sum = new NpuTensor("residual:out", project.Output.Height, project.Output.Width, 32, random.Next(-10, 10));
        var residual = Add(new ElementwiseLayer("residual", pw1.Output, project.Output, sum, false, Make.AddParameters(pw1.Output, project.Output, sum, random)));
        var conv = Add(Make.Conv("conv3x3", residual.Output, 32, new Window(3, 3, 2, 2, Padding: Padding.Same(1)), 1, random, outputName: "conv3x3:out"));
        var table = Enumerable.Range(-128, 256).Select(v => (sbyte)Math.Clamp(v * Math.Clamp(v + 64, 0, 128) / 128, -128, 127)).ToArray();
        var swish = Add(new LookupLayer("hardswish", conv.Output, conv.Output with { Name = "hardswish:out" }, table));
        var pool = Add(new MaxPoolLayer("maxpool", swish.Output, swish.Output with { Name = "maxpool:out", Height = swish.Output.Height / 2, Width = swish.Output.Width / 2 }, new Window(2, 2, 2, 2)));
        var branch = Add(Make.Conv("branch", pool.Output, 16, new Window(1, 1), 1, random, outputName: "branch:out"));
        var concat = Add(new ConcatLayer("concat", [pool.Output, branch.Output], new NpuTensor("concat:out", pool.Output.Height, pool.Output.Width, 48)));
        var (m, s) = Tessera.Hardware.FixedPoint.QuantizeMultiplier(1.0 / concat.Output.Pixels);
        var gap = Add(AveragePoolLayer.Global("gap", concat.Output, new NpuTensor("gap:out", 1, 1, 48), m, s));
        var flat = Add(new ReshapeLayer("flatten", gap.Output, gap.Output.Reshaped("flat", 1, 1, 48)));
        var fc = Make.Conv("classifier", flat.Output, 10, new Window(1, 1), 1, random, outputName: "logits");
        Add(ConvLayer.FullyConnected("classifier", flat.Output, fc.Output, fc.Weights, fc.Bias, fc.Multipliers, fc.Shifts));
        network.Outputs.AddRange(["logits", "residual:out"]);
        return network;
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void MobileNet_like_network_is_bit_exact_end_to_end(string config)
    {
        var network = MobileNetLike();
        var inputs = Make.Inputs(network.Inputs, new Random(7));
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, report) = NpuExecution.Run(compiled, inputs);
        foreach (var name in network.Outputs) Assert.Equal(expected[name], outputs[name]);
        Assert.True(expected["logits"].Distinct().Count() > 3);
        Assert.True(compiled.Memory.ArenaBytes < compiled.Memory.UnsharedBytes, "dead activations are reused");
        Assert.Equal(network.Layers.Count, report.Layers.Count);
        output.WriteLine(report.ToMarkdown());
    }

    /// <summary>A chain of convolutions (3x3 padded, strided, 1x1, depthwise, through a reshape) where each
    /// output feeds only the next layer: the compiler keeps the intermediates in the scratchpad (no DRAM round
    /// trip), the result stays bit-exact, and the program moves fewer DRAM bytes than the layers alone.</summary>
    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Fused_convolution_chain_is_bit_exact_and_skips_dram(string config)
    {
        var random = new Random(11);
        var network = new Network();
        var image = Make.Tensor("image", 12, 12, 16, random);
        network.Inputs.Add(image);
        var a = Make.Conv("a", image, 32, new Window(3, 3, Padding: Padding.Same(1)), 1, random, 0, 127, "a:out");
        var b = Make.Conv("b", a.Output, 40, new Window(3, 3, 2, 2, Padding: Padding.Same(1)), 1, random, 0, 127, "b:out");
        var c = Make.Conv("c", b.Output, 40, new Window(3, 3, Padding: Padding.Same(1)), 40, random, 0, 127, "c:out");
        var flat = new ReshapeLayer("r", c.Output, c.Output.Reshaped("r:out", c.Output.Pixels, 1, c.Output.Channels));
        var d = Make.Conv("d", flat.Output, 24, new Window(1, 1), 1, random, outputName: "d:out");
        network.Layers.AddRange([a, b, c, flat, d]);
        network.Outputs.Add("d:out");
        var inputs = Make.Inputs(network.Inputs, new Random(5));
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, report) = NpuExecution.Run(compiled, inputs);
        Assert.Equal(expected["d:out"], outputs["d:out"]);
        Assert.True(expected["d:out"].Distinct().Count() > 3);
        int fused = compiled.Layers.Count(l => l.Decision.Contains("kept in the scratchpad", StringComparison.Ordinal));
        output.WriteLine($"{config}: {fused} outputs kept on chip; {report.Total.TotalCycles} cycles, DRAM {report.DramBytes} bytes (layers alone {report.Layers.Sum(l => l.DramBytes)})");
        if (config != "tiny") Assert.Equal(3, fused);
        if (fused > 0) Assert.True(report.DramBytes < report.Layers.Sum(l => l.DramBytes));
        Assert.Equal(report.Total.TotalCycles, report.Layers.Sum(l => l.ProgramCycles));
        output.WriteLine(report.ToMarkdown());
    }

    [Theory]
    [InlineData("tiny", 11, 13, 40, 72)]
    [InlineData("small", 11, 13, 40, 72)]
    [InlineData("small", 9, 7, 64, 64)]
    [InlineData("small", 5, 5, 24, 104)]
    [InlineData("large", 11, 13, 40, 72)]
    [InlineData("large", 6, 10, 80, 48)]
    public void Concatenation_kept_for_the_next_squeeze_is_bit_exact_and_skips_dram(string config, int height, int width, int e1Channels, int e3Channels)
    {
        // Two SqueezeNet fire modules: squeeze 1x1, expand 1x1 (rescaled by an Add fused into its epilogue), expand 3x3,
        // concatenation, and the next squeeze reading only the concatenation. Both expands write their slices of the
        // concatenation into one region of the scratchpad (pixel pitch = the concatenation's channels), nothing is
        // stored, and the next squeeze reads its input there: the concatenation has no DRAM buffer.
        var random = new Random(17 + e1Channels + height);
        var network = new Network();
        var x = Make.Tensor("image", height, width, 24, random);
        network.Inputs.Add(x);
        for (int fire = 1; fire <= 2; fire++)
        {
            var squeeze = Make.Conv($"squeeze{fire}", x, 16, new Window(1, 1), 1, random, 0, 127, $"squeeze{fire}:out");
            var e1 = Make.Conv($"e1_{fire}", squeeze.Output, e1Channels, new Window(1, 1), 1, random, 0, 127, $"e1_{fire}:out");
            var e3 = Make.Conv($"e3_{fire}", squeeze.Output, e3Channels, new Window(3, 3, Padding: Padding.Same(1)), 1, random, 0, 127, $"e3_{fire}:out");
            var rescaled = new NpuTensor($"rescale{fire}:out", height, width, e1Channels, random.Next(-10, 10));
            var rescale = new ElementwiseLayer($"rescale{fire}", e1.Output, e1.Output, rescaled, false, Make.AddParameters(e1.Output, e1.Output, rescaled, random));
            var concat = new ConcatLayer($"concat{fire}", [rescale.Output, e3.Output], new NpuTensor($"concat{fire}:out", height, width, e1Channels + e3Channels, random.Next(-5, 5)));
            network.Layers.AddRange([squeeze, e1, e3, rescale, concat]);
            x = concat.Output;
        }
        var after = Make.Conv("after", x, 8, new Window(1, 1), 1, random, outputName: "after:out");
        network.Layers.Add(after);
        network.Outputs.Add("after:out");
        var inputs = Make.Inputs(network.Inputs, new Random(5));
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        output.WriteLine(string.Join("\n", compiled.Layers.Select(l => $"{l.Layer.Name}: {l.Decision}")));
        Assert.Equal(expected["after:out"], outputs["after:out"]);
        Assert.True(expected["after:out"].Distinct().Count() > 3);
        if (config == "tiny") return;
        foreach (var consumer in new[] { "squeeze2", "after" })
        {
            Assert.Contains("input read from the scratchpad", compiled.Layers.Single(l => l.Layer.Name == consumer).Decision, StringComparison.Ordinal);
        }
        foreach (var name in new[] { "e1_1", "e3_1", "e1_2", "e3_2" })
        {
            var plan = compiled.Layers.Single(l => l.Layer.Name == name);
            Assert.Contains("kept in the scratchpad", plan.Decision, StringComparison.Ordinal);
            Assert.DoesNotContain(compiled.Program.Instructions.Skip(plan.FirstInstruction).Take(plan.InstructionCount), i => i.Opcode == Tessera.Hardware.Opcode.Store);
        }
        // No DRAM buffer for the kept concatenations: without placement and keeping, every part, rescale and
        // concatenation has one (4 concatenations' bytes more); placement alone saves 2 of them, keeping 2 more.
        long concatBytes = (long)height * width * (e1Channels + e3Channels);
        var stored = MemoryPlan.Build(network);
        Assert.True(compiled.Memory.UnsharedBytes <= stored.UnsharedBytes - 3 * concatBytes, $"{compiled.Memory.UnsharedBytes} vs {stored.UnsharedBytes}");
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Concat_by_placement_is_bit_exact_and_copies_nothing(string config)
    {
        // A SqueezeNet fire module: squeeze 1x1, expand 1x1 rescaled by an Add, expand 3x3; both concat parts are
        // written by their producers straight into their channel slices (strided stores), and a third part that
        // another layer also reads keeps its buffer and is stored a second time into its slice by its producer.
        var random = new Random(13);
        var network = new Network();
        var image = Make.Tensor("image", 11, 13, 24, random);
        network.Inputs.Add(image);
        var squeeze = Make.Conv("squeeze", image, 16, new Window(1, 1), 1, random, 0, 127, "squeeze:out");
        var e1 = Make.Conv("e1", squeeze.Output, 40, new Window(1, 1), 1, random, 0, 127, "e1:out");
        var e3 = Make.Conv("e3", squeeze.Output, 72, new Window(3, 3, Padding: Padding.Same(1)), 1, random, 0, 127, "e3:out");
        var rescaled = new NpuTensor("rescale:out", e1.Output.Height, e1.Output.Width, 40, random.Next(-10, 10));
        var rescale = new ElementwiseLayer("rescale", e1.Output, e1.Output, rescaled, false, Make.AddParameters(e1.Output, e1.Output, rescaled, random));
        var concat = new ConcatLayer("concat", [rescale.Output, e3.Output, squeeze.Output], new NpuTensor("concat:out", 11, 13, 128, 3));
        var after = Make.Conv("after", concat.Output, 8, new Window(1, 1), 1, random, outputName: "after:out");
        network.Layers.AddRange([squeeze, e1, e3, rescale, concat, after]);
        network.Outputs.AddRange(["concat:out", "after:out"]);
        var inputs = Make.Inputs(network.Inputs, new Random(5));
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        Assert.Equal(expected["concat:out"], outputs["concat:out"]);
        Assert.Equal(expected["after:out"], outputs["after:out"]);
        Assert.Contains("every part written into its channel slice by its producer", compiled.Layers.Single(l => l.Layer.Name == "concat").Decision, StringComparison.Ordinal);
        Assert.Contains("also stored into a 128-channel concatenation", compiled.Layers.Single(l => l.Layer.Name == "squeeze").Decision, StringComparison.Ordinal);
        Assert.Contains("written in place into a 128-channel concatenation", compiled.Layers.Single(l => l.Layer.Name == "e3").Decision, StringComparison.Ordinal);
        // The rescale (e1 + e1) runs in e1's epilogue, whose band stores write it into its slice.
        var e1Decision = compiled.Layers.Single(l => l.Layer.Name == "e1").Decision;
        Assert.Contains("fused into the epilogue", e1Decision, StringComparison.Ordinal);
        Assert.Contains("written in place into a 128-channel concatenation", e1Decision, StringComparison.Ordinal);
        Assert.Equal(0, compiled.Layers.Single(l => l.Layer.Name == "rescale").InstructionCount);
        // The parts written in place have no buffer of their own: their addresses are the concatenation's slices.
        Assert.Equal(compiled.Memory["concat:out"] + 40, compiled.Memory["e3:out"]);
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Rescale_of_a_convolution_fused_into_its_epilogue_is_bit_exact(string config)
    {
        // A concatenation part's rescale (x + x with the concatenation's scale) that is not the next layer: the
        // convolution combines its requantized tile with itself and stores the rescaled tile, into its concatenation
        // slice (a) or, when another layer also reads the rescaled tensor, into its own buffer (b, a network output
        // too); several bands (60x50 pixels), odd channel counts, no loads of the convolution's own output.
        var random = new Random(23);
        var network = new Network();
        var image = Make.Tensor("image", 60, 50, 12, random);
        network.Inputs.Add(image);
        var a = Make.Conv("a", image, 40, new Window(1, 1), 1, random, 0, 127, "a:out");
        var b = Make.Conv("b", image, 24, new Window(3, 3, Padding: Padding.Same(1)), 1, random, -128, 127, "b:out");
        var c = Make.Conv("c", image, 36, new Window(3, 3, Padding: Padding.Same(1)), 1, random, -20, 100, "c:out");
        var aRescaled = new NpuTensor("ra:out", 60, 50, 40, random.Next(-10, 10));
        var ra = new ElementwiseLayer("ra", a.Output, a.Output, aRescaled, false, Make.AddParameters(a.Output, a.Output, aRescaled, random));
        var cRescaled = new NpuTensor("rc:out", 60, 50, 36, random.Next(-10, 10));
        var rc = new ElementwiseLayer("rc", c.Output, c.Output, cRescaled, false, Make.AddParameters(c.Output, c.Output, cRescaled, random));
        var concat = new ConcatLayer("concat", [ra.Output, b.Output], new NpuTensor("concat:out", 60, 50, 64, 3));
        var after = Make.Conv("after", rc.Output, 8, new Window(1, 1), 1, random, outputName: "after:out");
        network.Layers.AddRange([a, b, c, ra, concat, rc, after]);
        network.Outputs.AddRange(["concat:out", "rc:out", "after:out"]);
        var inputs = Make.Inputs(network.Inputs, new Random(29));
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        foreach (var name in network.Outputs) Assert.Equal(expected[name], outputs[name]);
        foreach (var (conv, rescale) in new[] { ("a", "ra"), ("c", "rc") })
        {
            var plan = compiled.Layers.Single(l => l.Layer.Name == conv);
            Assert.Contains($"'{rescale}' fused into the epilogue", plan.Decision, StringComparison.Ordinal);
            Assert.Equal(0, compiled.Layers.Single(l => l.Layer.Name == rescale).InstructionCount);
        }
        Assert.Contains("written in place into a 64-channel concatenation", compiled.Layers.Single(l => l.Layer.Name == "a").Decision, StringComparison.Ordinal);
        Assert.Equal(0, compiled.Layers.Single(l => l.Layer.Name == "concat").InstructionCount);
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Residual_add_fused_into_the_convolution_is_bit_exact(string config)
    {
        // The inverted residual's Add (pw1 + project) runs in the projection's epilogue: project's output never
        // goes to DRAM, the Add layer has no instructions; a residual Add whose operand is read twice is not fused.
        var network = MobileNetLike();
        var inputs = Make.Inputs(network.Inputs, new Random(9));
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        foreach (var name in network.Outputs) Assert.Equal(expected[name], outputs[name]);
        Assert.Contains("fused into the epilogue", compiled.Layers.Single(l => l.Layer.Name == "project").Decision, StringComparison.Ordinal);
        var residual = compiled.Layers.Single(l => l.Layer.Name == "residual");
        Assert.Equal(0, residual.InstructionCount);
    }

    [Theory]
    [InlineData("small", 1)]
    [InlineData("small", 2)]
    [InlineData("large", 1)]
    [InlineData("large", 2)]
    public void Row_pairs_on_idle_columns_are_bit_exact(string config, int stride)
    {
        // 16 output channels fill half of small's 32 columns (32 of large's 64 with 32 channels): output rows are
        // computed in pairs on both halves; stride 2 (5x5 kernel) takes KernelHeight + 2 input row offsets per pair.
        // An odd output width rules out column pairs, which the cost model prefers where both apply.
        var random = new Random(17 + stride);
        int channels = config == "small" ? 16 : 32;
        var conv = Make.Conv("c", Make.Tensor("x", 12 * stride, 47 * stride, channels, random), channels, new Window(1 + 2 * stride, 1 + 2 * stride, stride, stride, Padding: Padding.Same(stride)), 1, random, -100, 120);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), conv);
        Assert.Contains("output rows in pairs", compiled.Layers.Single().Decision, StringComparison.Ordinal);
        var inputs = Make.Inputs(conv.Inputs, random);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        Assert.Equal(LayerOracle.Run(conv, [inputs["x"]]), outputs[conv.Output.Name]);
    }

    [Theory]
    [InlineData("small", 1, 16)]
    [InlineData("small", 2, 16)]
    [InlineData("small", 1, 3)]
    [InlineData("large", 1, 32)]
    public void Column_pairs_on_idle_columns_are_bit_exact(string config, int stride, int inputChannels)
    {
        // Output pixels x and x + 1 on both halves of the columns, one k over the bytes both windows span (3x3 over 16
        // channels: 64 = two full passes; 3 channels: 12), the epilogue on two pixels per row. An odd output height
        // rules out row pairs; the stem-like 3-channel case reads a 12-byte k.
        var random = new Random(23 + stride + inputChannels);
        int channels = config == "small" ? 16 : 32;
        var conv = Make.Conv("c", Make.Tensor("x", 11 * stride, 24 * stride, inputChannels, random), channels, new Window(1 + 2 * stride, 1 + 2 * stride, stride, stride, Padding: Padding.Same(stride)), 1, random, -100, 120);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), conv);
        Assert.Contains("horizontal pairs", compiled.Layers.Single().Decision, StringComparison.Ordinal);
        var inputs = Make.Inputs(conv.Inputs, random);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        Assert.Equal(LayerOracle.Run(conv, [inputs["x"]]), outputs[conv.Output.Name]);
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Residual_operand_kept_in_the_scratchpad_is_bit_exact(string config)
    {
        // ResNet's block: main = 3x3(3x3 strided(x)), shortcut = 1x1 strided(x), out = main + shortcut fused into the
        // shortcut's epilogue. main's output is only that Add's other operand: it stays in the scratchpad (no store,
        // no per-band load), and the result equals the layer oracle.
        var random = new Random(29);
        var network = new Network();
        var x = Make.Tensor("x", 16, 16, 16, random);
        network.Inputs.Add(x);
        var a = Make.Conv("a", x, 32, new Window(3, 3, 2, 2, Padding: Padding.Same(1)), 1, random, 0, 127, "a:out");
        var main = Make.Conv("main", a.Output, 32, new Window(3, 3, Padding: Padding.Same(1)), 1, random, outputName: "main:out");
        var shortcut = Make.Conv("shortcut", x, 32, new Window(1, 1, 2, 2), 1, random, outputName: "shortcut:out");
        var sum = new NpuTensor("sum", 8, 8, 32, random.Next(-10, 10));
        var add = new ElementwiseLayer("add", main.Output, shortcut.Output, sum, false, Make.AddParameters(main.Output, shortcut.Output, sum, random));
        network.Layers.AddRange([a, main, shortcut, add]);
        network.Outputs.Add("sum");
        var inputs = Make.Inputs(network.Inputs, random);
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        Assert.Equal(expected["sum"], outputs["sum"]);
        Assert.Contains("the other operand read from the scratchpad", compiled.Layers.Single(l => l.Layer.Name == "shortcut").Decision, StringComparison.Ordinal);
        Assert.Contains("kept in the scratchpad", compiled.Layers.Single(l => l.Layer.Name == "main").Decision, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Kept_input_starts_on_its_producers_token_and_is_bit_exact(string config)
    {
        // a (input from DRAM) -> b (kept input, output stored for the graph and copied for c) -> c (kept input): b and c
        // start on their producer's last vector instruction (their first gemm waits for the vector queue), load their
        // parameters before the barrier (no wait) and fill their kept output's pad pixels after the go.
        var random = new Random(31);
        var network = new Network();
        var x = Make.Tensor("x", 16, 16, 16, random);
        network.Inputs.Add(x);
        var a = Make.Conv("a", x, 32, new Window(3, 3, Padding: Padding.Same(1)), 1, random, 0, 127, "a:out");
        var b = Make.Conv("b", a.Output, 32, new Window(3, 3, 2, 2, Padding: Padding.Same(1)), 1, random, 0, 127, "b:out");
        var c = Make.Conv("c", b.Output, 48, new Window(3, 3, Padding: Padding.Same(1)), 1, random, -20, 127, "c:out");
        network.Layers.AddRange([a, b, c]);
        network.Outputs.AddRange(["b:out", "c:out"]);
        var inputs = Make.Inputs(network.Inputs, random);
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        Assert.Equal(expected["b:out"], outputs["b:out"]);
        Assert.Equal(expected["c:out"], outputs["c:out"]);
        Assert.True(expected["c:out"].Distinct().Count() > 3);
        int vector = 1 << (int)Tessera.Hardware.QueueKind.Vector;
        foreach (var name in new[] { "b", "c" })
        {
            var plan = compiled.Layers.Single(l => l.Layer.Name == name);
            if (!plan.Decision.Contains("input read from the scratchpad", StringComparison.Ordinal)) continue;
            var code = compiled.Program.Instructions.Skip(plan.FirstInstruction).Take(plan.InstructionCount).ToList();
            Assert.True((code.First(i => i.Opcode == Tessera.Hardware.Opcode.Gemm).WaitMask & vector) != 0, $"{config} {name}: the first gemm waits for the producer");
        }
        if (config != "tiny") Assert.Contains("input read from the scratchpad", compiled.Layers.Single(l => l.Layer.Name == "c").Decision, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tiny", 24)]
    [InlineData("small", 24)]
    [InlineData("small", 48)]
    [InlineData("small", 96)]
    [InlineData("large", 48)]
    public void Block_input_kept_for_the_depthwise_and_the_residual_add_is_bit_exact(string config, int channels)
    {
        // BlazeFace blocks: x -> depthwise -> 1x1 whose fused Add reads x. The Add fused into the previous 1x1 writes x
        // straight into the depthwise's padded input layout (no store, no copy) and the next 1x1's Add reads x there
        // (runs of pixels contiguous in that layout), so x never goes through DRAM. Operand orders and paddings vary.
        var random = new Random(41 + channels);
        var network = new Network();
        var image = Make.Tensor("x", 12, 20, channels, random);
        network.Inputs.Add(image);
        var stem = Make.Conv("s", image, channels, new Window(1, 1), 1, random, outputName: "s:out");
        var x = new NpuTensor("a0:out", 12, 20, channels, random.Next(-10, 10));
        network.Layers.AddRange([stem, new ElementwiseLayer("a0", stem.Output, image, x, false, Make.AddParameters(stem.Output, image, x, random))]);
        for (int block = 1; block <= 3; block++)
        {
            int k = block == 2 ? 5 : 3;
            var dw = Make.Conv($"dw{block}", x, channels, new Window(k, k, Padding: Padding.Same(k / 2)), channels, random, -128, 127, $"dw{block}:out");
            var pw = Make.Conv($"pw{block}", dw.Output, channels, new Window(1, 1), 1, random, outputName: $"pw{block}:out");
            var sum = new NpuTensor($"a{block}:out", 12, 20, channels, random.Next(-10, 10));
            var (left, right) = block == 2 ? (x, pw.Output) : (pw.Output, x);
            network.Layers.AddRange([dw, pw, new ElementwiseLayer($"a{block}", left, right, sum, false, Make.AddParameters(left, right, sum, random))]);
            x = sum;
        }
        network.Outputs.Add(x.Name);
        var inputs = Make.Inputs(network.Inputs, random);
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        output.WriteLine(string.Join("\n", compiled.Layers.Select(l => $"{l.Layer.Name}: {l.Decision}")));
        Assert.Equal(expected[x.Name], outputs[x.Name]);
        Assert.True(expected[x.Name].Distinct().Count() > 3);
        if (config == "tiny") return;
        // pw1 and pw2 read their Add's other operand where the previous Add left it and keep their own output.
        foreach (var name in new[] { "pw1", "pw2" })
        {
            var plan = compiled.Layers.Single(l => l.Layer.Name == name);
            Assert.Contains("the other operand read from the scratchpad, its output kept", plan.Decision, StringComparison.Ordinal);
            Assert.DoesNotContain(compiled.Program.Instructions.Skip(plan.FirstInstruction).Take(plan.InstructionCount), i => i.Opcode == Tessera.Hardware.Opcode.Store);
        }
    }

    [Theory]
    [InlineData("tiny", 24)]
    [InlineData("small", 24)]
    [InlineData("small", 36)]
    [InlineData("small", 72)]
    [InlineData("large", 24)]
    [InlineData("large", 40)]
    public void Depthwise_with_several_pixels_per_vector_row_is_bit_exact(string config, int channels)
    {
        // Stride-1 depthwise on the vector unit with g output pixels per vector row (weights and per-channel
        // parameters repeated g times): one kept in the scratchpad for a 1x1 (the BlazeFace block), one stored.
        var random = new Random(37 + channels);
        var network = new Network();
        var x = Make.Tensor("x", 10, 16, channels, random);
        network.Inputs.Add(x);
        var dw = Make.Conv("dw", x, channels, new Window(3, 3, Padding: Padding.Same(1)), channels, random, -128, 127, "dw:out");
        var pw = Make.Conv("pw", dw.Output, 32, new Window(1, 1), 1, random, outputName: "pw:out");
        var dw2 = Make.Conv("dw2", pw.Output, 32, new Window(5, 5, Padding: Padding.Same(2)), 32, random, 0, 127, "dw2:out");
        var dw3 = Make.Conv("dw3", x, channels, new Window(3, 3, Padding: new Padding(0, 1, 2, 1)), channels, random, 0, 100, "dw3:out");
        network.Layers.AddRange([dw, pw, dw2, dw3]);
        network.Outputs.AddRange(["dw2:out", "dw3:out"]);
        var inputs = Make.Inputs(network.Inputs, random);
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        Assert.Equal(expected["dw2:out"], outputs["dw2:out"]);
        Assert.Equal(expected["dw3:out"], outputs["dw3:out"]);
        output.WriteLine(string.Join("\n", compiled.Layers.Select(l => $"{l.Layer.Name}: {l.Decision}")));
        if (config != "tiny")
        {
            foreach (var name in new[] { "dw", "dw3" }) Assert.Contains("pixels per vector row", compiled.Layers.Single(l => l.Layer.Name == name).Decision, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Concat_parts_with_other_readers_are_stored_twice_and_bit_exact(string config)
    {
        // BlazeFace's block: e = conv(x) + y (Add fused into the 1x1) is read by the next convolution and by a
        // concatenation, and so is a max pool of that concatenation; the producers store those tensors into the
        // concatenations' slices too, and the concatenations have no instructions left.
        var random = new Random(41);
        var network = new Network();
        var x = Make.Tensor("x", 12, 12, 16, random);
        var y = Make.Tensor("y", 12, 12, 24, random);
        network.Inputs.AddRange([x, y]);
        var a = Make.Conv("a", x, 24, new Window(1, 1), 1, random, outputName: "a:out");
        var e = new NpuTensor("e:out", 12, 12, 24, random.Next(-10, 10));
        var add = new ElementwiseLayer("add", a.Output, y, e, false, Make.AddParameters(a.Output, y, e, random));
        var b = Make.Conv("b", e, 8, new Window(3, 3, Padding: Padding.Same(1)), 1, random, outputName: "b:out");
        var concat1 = new ConcatLayer("concat1", [e, b.Output], new NpuTensor("concat1:out", 12, 12, 32));
        var pool = new MaxPoolLayer("pool", concat1.Output, new NpuTensor("pool:out", 6, 6, 32), new Window(2, 2, 2, 2));
        var c = Make.Conv("c", pool.Output, 8, new Window(1, 1), 1, random, outputName: "c:out");
        var concat2 = new ConcatLayer("concat2", [pool.Output, c.Output], new NpuTensor("concat2:out", 6, 6, 40));
        network.Layers.AddRange([a, add, b, concat1, pool, c, concat2]);
        network.Outputs.Add("concat2:out");
        var inputs = Make.Inputs(network.Inputs, random);
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        Assert.Equal(expected["concat2:out"], outputs["concat2:out"]);
        Assert.True(expected["concat2:out"].Distinct().Count() > 3);
        string Decision(string name) => compiled.Layers.Single(l => l.Layer.Name == name).Decision;
        Assert.Contains("also stored into a 32-channel concatenation", Decision("a"), StringComparison.Ordinal);
        Assert.Contains("also stored into a 40-channel concatenation", Decision("pool"), StringComparison.Ordinal);
        Assert.Contains("no instructions", Decision("concat1"), StringComparison.Ordinal);
        Assert.Contains("no instructions", Decision("concat2"), StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_plan_never_overlaps_live_tensors()
    {
        var network = MobileNetLike();
        var plan = MemoryPlan.Build(network);
        var tensors = network.Inputs.Concat(network.Layers.Where(l => l is not ReshapeLayer).Select(l => l.Output)).ToList();
        int Start(string name) => network.Layers.FindIndex(l => l.Output.Name == name);
        int End(string name) => network.Outputs.Contains(name) ? int.MaxValue : network.Layers.FindLastIndex(l => l.Inputs.Any(t => t.Name == name || (name == "gap:out" && t.Name == "flat")));
        foreach (var a in tensors)
        foreach (var b in tensors.Where(b => b != a))
        {
            bool liveTogether = Start(a.Name) <= End(b.Name) && Start(b.Name) <= End(a.Name);
            bool overlap = plan[a.Name] < plan[b.Name] + b.Length && plan[b.Name] < plan[a.Name] + a.Length;
            Assert.False(liveTogether && overlap, $"{a.Name} and {b.Name} share DRAM while both live");
        }
    }

    [Fact]
    public void A_corrupted_weight_is_detected()
    {
        // The bit-exact check can fail: flipping one weight byte in the constant section changes the output.
        var random = new Random(3);
        var conv = Make.Conv("c", Make.Tensor("x", 6, 6, 8, random), 8, new Window(3, 3, Padding: Padding.Same(1)), 1, random);
        var compiled = NetworkCompiler.Compile(Make.Spec("small"), conv);
        var inputs = Make.Inputs(conv.Inputs, random);
        var weights = compiled.Program.Constants.First(c => c.Name.Contains("weights", StringComparison.Ordinal));
        weights.Bytes[5] ^= 0x40;
        var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
        Assert.NotEqual(LayerOracle.Run(conv, [inputs["x"]]), outputs[conv.Output.Name]);
    }

    [Fact]
    public void Unsupported_shapes_are_reported()
    {
        var random = new Random(4);
        var huge = Make.Conv("huge", Make.Tensor("x", 4, 4, 2048, random), 64, new Window(3, 3, Padding: Padding.Same(1)), 1, random);
        var error = Assert.Throws<Tessera.Core.UnsupportedException>(() => NetworkCompiler.Compile(Make.Spec("tiny"), huge));
        Assert.Contains("does not fit 'tiny'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compiled_program_has_no_hazards_with_full_checking()
    {
        var compiled = NetworkCompiler.Compile(Make.Spec("small"), MobileNetLike());
        var result = NpuSimulator.Run(compiled.Spec, compiled.Program, options: new SimulationOptions { CheckHazards = true });
        Assert.True(result.Report.TotalCycles > 0);
    }
}
