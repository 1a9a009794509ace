using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>A pool right after a convolution (SqueezeNet's conv1 -> relu -> max pool 3x3 stride 2) reads the
/// convolution's requantized output where the convolution kept it in the activation scratchpad, laid out with the
/// pool's padding (-128 for max, the zero point for average): the unpooled tensor is neither stored nor loaded. Every
/// program must stay bit-identical to the integer oracle and pass the simulator's hazard tracker.</summary>
public class PoolFusionTests(Xunit.Abstractions.ITestOutputHelper output)
{
    public static TheoryData<string> Configs() => new(Make.Configs);

    [Theory]
    [MemberData(nameof(Configs))]
    public void Pool_after_a_convolution_reads_the_kept_output_and_is_bit_exact(string config)
    {
        var spec = Make.Spec(config);
        // (input size, conv output channels, pool padding, max pool?): SqueezeNet's conv1 shape where it fits
        // (96x96x3 -> 47x47x64), a ceil-mode pool (one bottom/right row of -128) and a padded average pool.
        var cases = new List<(int Size, int Channels, Padding Padding, bool Max)>
        {
            (31, 24, Padding.None, true),
            (29, 16, new Padding(0, 0, 1, 1), true),
            (27, 20, Padding.Same(1), false),
        };
        if (config != "tiny") cases.Add((96, 64, Padding.None, true));
        int seed = 61;
        foreach (var (size, channels, padding, max) in cases)
        {
            var random = new Random(seed++);
            var network = new Network();
            var x = Make.Tensor("x", size, size, 3, random);
            network.Inputs.Add(x);
            var conv = Make.Conv("conv", x, channels, new Window(3, 3, 2, 2), 1, random, 0, 127, "conv:out");
            var window = new Window(3, 3, 2, 2, Padding: padding);
            var pooled = new NpuTensor("pool:out", window.OutputHeight(conv.Output.Height), window.OutputWidth(conv.Output.Width), channels, max ? conv.Output.ZeroPoint : 3);
            Layer pool;
            if (max) pool = new MaxPoolLayer("pool", conv.Output, pooled, window, -128, 127);
            else
            {
                var (m, s) = Tessera.Hardware.FixedPoint.QuantizeMultiplier(1.3 / 9);
                pool = new AveragePoolLayer("pool", conv.Output, pooled, window, m, s);
            }
            network.Layers.AddRange([conv, pool]);
            network.Outputs.Add("pool:out");
            var inputs = Make.Inputs(network.Inputs, random);
            var expected = LayerOracle.Run(network, inputs);
            var compiled = NetworkCompiler.Compile(spec, network);
            var (outputs, report) = NpuExecution.Run(compiled, inputs, layerReports: false);
            output.WriteLine($"{config} {size}x{size} -> {channels} {(max ? "max" : "average")} {padding}: {report.Total.TotalCycles} cycles");
            output.WriteLine(string.Join("\n", compiled.Layers.Select(l => $"  {l.Layer.Name}: {l.Decision}")));
            Assert.Equal(expected["pool:out"], outputs["pool:out"]);
            Assert.True(expected["pool:out"].Distinct().Count() > 3);
            Assert.Contains("input read from the scratchpad", compiled.Layers.Single(l => l.Layer.Name == "pool").Decision, StringComparison.Ordinal);
            Assert.Contains("kept in the scratchpad", compiled.Layers.Single(l => l.Layer.Name == "conv").Decision, StringComparison.Ordinal);
            // The convolution's output never goes through DRAM: the convolution stores nothing, the pool loads only its
            // parameters into the accumulators.
            var code = compiled.Program.Instructions;
            var convPlan = compiled.Layers.Single(l => l.Layer.Name == "conv");
            var poolPlan = compiled.Layers.Single(l => l.Layer.Name == "pool");
            Assert.DoesNotContain(code.Skip(convPlan.FirstInstruction).Take(convPlan.InstructionCount), i => i.Opcode == Tessera.Hardware.Opcode.Store);
            Assert.All(code.Skip(poolPlan.FirstInstruction).Take(poolPlan.InstructionCount).Where(i => i.Opcode == Tessera.Hardware.Opcode.Load),
                i => Assert.Equal((long)Tessera.Hardware.MemoryKind.Accumulator, i["memory"]));
            Assert.True(report.Total.DramBytesRead < 2L * x.Length + 16 * 1024, $"{config}: {report.Total.DramBytesRead} bytes read");
        }
    }

    /// <summary>A pool whose only reader is the unpadded convolution right after it (SqueezeNet: max pool -> squeeze 1x1)
    /// writes its bands into the scratchpad where that convolution reads them: the pool stores nothing, the
    /// convolution loads no input. Pools reading their input from DRAM and from a kept convolution output, max and
    /// average, odd sizes; bit-exact on every configuration.</summary>
    [Theory]
    [MemberData(nameof(Configs))]
    public void Pool_output_kept_for_the_next_convolution_is_bit_exact(string config)
    {
        var spec = Make.Spec(config);
        var cases = new List<(int Size, int Channels, Padding Padding, bool Max, bool AfterConv)>
        {
            (23, 40, Padding.None, true, false),
            (19, 24, new Padding(0, 0, 1, 1), true, true),
            (17, 36, Padding.Same(1), false, false),
        };
        // (13x13x64 is over a quarter of tiny's scratchpad: not kept there.)
        if (config != "tiny") cases.Add((27, 64, Padding.None, true, true));
        int seed = 91;
        foreach (var (size, channels, padding, max, afterConv) in cases)
        {
            var random = new Random(seed++);
            var network = new Network();
            var x = Make.Tensor("x", size, size, afterConv ? 3 : channels, random);
            network.Inputs.Add(x);
            var source = x;
            if (afterConv)
            {
                var conv = Make.Conv("conv", x, channels, new Window(3, 3, Padding: Padding.Same(1)), 1, random, 0, 127, "conv:out");
                network.Layers.Add(conv);
                source = conv.Output;
            }
            var window = new Window(3, 3, 2, 2, Padding: padding);
            var pooled = new NpuTensor("pool:out", window.OutputHeight(size), window.OutputWidth(size), channels, max ? source.ZeroPoint : 3);
            Layer pool;
            if (max) pool = new MaxPoolLayer("pool", source, pooled, window, -128, 127);
            else
            {
                var (m, s) = Tessera.Hardware.FixedPoint.QuantizeMultiplier(1.3 / 9);
                pool = new AveragePoolLayer("pool", source, pooled, window, m, s);
            }
            var squeeze = Make.Conv("squeeze", pooled, 16, new Window(1, 1), 1, random, outputName: "squeeze:out");
            network.Layers.AddRange([pool, squeeze]);
            network.Outputs.Add("squeeze:out");
            var inputs = Make.Inputs(network.Inputs, random);
            var expected = LayerOracle.Run(network, inputs);
            var compiled = NetworkCompiler.Compile(spec, network);
            var (outputs, _) = NpuExecution.Run(compiled, inputs, layerReports: false);
            output.WriteLine(string.Join("\n", compiled.Layers.Select(l => $"  {l.Layer.Name}: {l.Decision}")));
            Assert.Equal(expected["squeeze:out"], outputs["squeeze:out"]);
            Assert.True(expected["squeeze:out"].Distinct().Count() > 3);
            var poolPlan = compiled.Layers.Single(l => l.Layer.Name == "pool");
            Assert.Contains("output kept in the scratchpad", poolPlan.Decision, StringComparison.Ordinal);
            Assert.Contains("input read from the scratchpad", compiled.Layers.Single(l => l.Layer.Name == "squeeze").Decision, StringComparison.Ordinal);
            Assert.DoesNotContain(compiled.Program.Instructions.Skip(poolPlan.FirstInstruction).Take(poolPlan.InstructionCount), i => i.Opcode == Tessera.Hardware.Opcode.Store);
        }
    }

    /// <summary>A pool reading a kept input leaves the DMA channel idle (its only load is its parameters), so it loads
    /// the next convolution's weights (the weight residency plan, WeightRing) while the vector unit pools; the
    /// convolution after it then finds them in the weight scratchpad. Bit-exact on every configuration.</summary>
    [Theory]
    [MemberData(nameof(Configs))]
    public void Pool_with_a_kept_input_prefetches_the_next_convolutions_weights(string config)
    {
        var spec = Make.Spec(config);
        var random = new Random(83);
        var network = new Network();
        var x = Make.Tensor("x", 49, 49, 3, random);
        network.Inputs.Add(x);
        var conv = Make.Conv("conv", x, 64, new Window(3, 3, 2, 2), 1, random, 0, 127, "conv:out");
        var window = new Window(3, 3, 2, 2);
        var pooled = new NpuTensor("pool:out", window.OutputHeight(conv.Output.Height), window.OutputWidth(conv.Output.Width), 64, conv.Output.ZeroPoint);
        var pool = new MaxPoolLayer("pool", conv.Output, pooled, window, -128, 127);
        var next = Make.Conv("next", pooled, 128, new Window(3, 3, 1, 1, Padding: Padding.Same(1)), 1, random, -128, 127, "next:out");
        network.Layers.AddRange([conv, pool, next]);
        network.Outputs.Add("next:out");
        var inputs = Make.Inputs(network.Inputs, random);
        var expected = LayerOracle.Run(network, inputs);
        var compiled = NetworkCompiler.Compile(spec, network);
        var (outputs, report) = NpuExecution.Run(compiled, inputs, layerReports: false);
        output.WriteLine($"{config}: {report.Total.TotalCycles} cycles");
        output.WriteLine(string.Join("\n", compiled.Layers.Select(l => $"  {l.Layer.Name}: {l.Decision}")));
        Assert.Equal(expected["next:out"], outputs["next:out"]);
        Assert.True(expected["next:out"].Distinct().Count() > 3);
        if (config == "tiny") return;
        // On small and large the pool reads the kept output and the next convolution's 73,728 weight bytes are all on
        // chip before it starts; on small the stem's DMA slack does not cover them, so the pool loads some (on large
        // the stem has loaded them all).
        var code = compiled.Program.Instructions;
        var poolPlan = compiled.Layers.Single(l => l.Layer.Name == "pool");
        var nextPlan = compiled.Layers.Single(l => l.Layer.Name == "next");
        Assert.Contains("input read from the scratchpad", poolPlan.Decision, StringComparison.Ordinal);
        long WeightBytes(LayerPlan plan) => code.Skip(plan.FirstInstruction).Take(plan.InstructionCount)
            .Where(i => i.Opcode == Tessera.Hardware.Opcode.Load && i["memory"] == (long)Tessera.Hardware.MemoryKind.Weight).Sum(i => i["x"] * i["y"] * i["z"]);
        if (config == "small") Assert.True(WeightBytes(poolPlan) > 0, "the pool loads no weights");
        Assert.Equal(0L, WeightBytes(nextPlan));
    }
}
