using System.Text.RegularExpressions;
using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>Convolutions whose weights need several weight blocks over an input of at most two bands (SqueezeNet's
/// 5x5 tail: conv10 and the expand3x3 layers): the later blocks find the input still in the two input slots and
/// load none of it, and the cost model charges their fill/drain to the array (so conv10-like layers take bands that
/// fill the array's rows). Bit-identical to the layer oracle on every configuration.</summary>
public class WeightBlockTests
{
    public static TheoryData<string> Configs() => new(Make.Configs);

    private static (int Blocks, int BandRows) Shape(string decision)
    {
        var blocks = Regex.Match(decision, @"in (\d+) weight block");
        var rows = Regex.Match(decision, @"(\d+) output rows x");
        return (int.Parse(blocks.Groups[1].Value), int.Parse(rows.Groups[1].Value));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Pointwise_layer_in_several_weight_blocks_loads_its_input_once(string config)
    {
        var random = new Random(61);
        var (inputChannels, outputChannels) = config switch { "tiny" => (128, 256), "small" => (512, 500), _ => (512, 2000) };
        var conv = Make.Conv("conv10", Make.Tensor("x", 5, 5, inputChannels, random), outputChannels, new Window(1, 1), 1, random, 0, 127, "y");
        var spec = Make.Spec(config);
        var compiled = NetworkCompiler.Compile(spec, conv);
        var (blocks, rows) = Shape(compiled.Layers[0].Decision);
        Assert.True(blocks >= 2, compiled.Layers[0].Decision);
        Assert.True(2 * rows >= conv.Output.Pixels, compiled.Layers[0].Decision);
        var inputs = Make.Inputs(conv.Inputs, random);
        var (outputs, report) = NpuExecution.Run(compiled, inputs);
        Assert.Equal(LayerOracle.Run(conv, [inputs["x"]]), outputs["y"]);
        // Weights once, the input once (not once per block), and three parameter words per output channel.
        long weights = (long)inputChannels * outputChannels, input = conv.Input.Length;
        Assert.InRange(report.Total.DramBytesRead, weights + input, weights + input + 16L * outputChannels + 1024);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Padded_3x3_layer_in_several_weight_blocks_is_bit_exact(string config)
    {
        // fire9's expand3x3 shape (5x5, padding 1): the pad rows and columns come with the first block's loads.
        var random = new Random(67);
        var (inputChannels, outputChannels) = config switch { "tiny" => (32, 64), "small" => (64, 256), _ => (128, 512) };
        var conv = Make.Conv("expand3x3", Make.Tensor("x", 5, 5, inputChannels, random), outputChannels, new Window(3, 3, Padding: Padding.Same(1)), 1, random, 0, 127, "y");
        var compiled = NetworkCompiler.Compile(Make.Spec(config), conv);
        var (blocks, rows) = Shape(compiled.Layers[0].Decision);
        Assert.True(blocks >= 2 && 2 * rows >= conv.Output.Height, compiled.Layers[0].Decision);
        var inputs = Make.Inputs(conv.Inputs, random);
        var (outputs, _) = NpuExecution.Run(compiled, inputs);
        Assert.Equal(LayerOracle.Run(conv, [inputs["x"]]), outputs["y"]);
    }

    /// <summary>Weight residency placement (WeightRing): a 3x3 layer in three blocks (fire9's expand3x3 shape on small:
    /// 55,296 + 55,296 + 36,864 bytes) followed by a 1x1 layer in half-scratchpad blocks (conv10's shape). The 1x1's
    /// first block used to be placed right after the 3x3's last block, so its second block overlapped it and could only
    /// load once the first had finished (the array idle for a whole block's load); placed at an end of the scratchpad,
    /// the second block loads while the first computes. Bit-exact on every configuration; on small the 1x1 layer's
    /// share of the program stays within its weight bytes' DMA time plus a quarter.</summary>
    [Theory]
    [MemberData(nameof(Configs))]
    public void Next_layers_blocks_load_while_the_previous_block_computes(string config)
    {
        var random = new Random(71);
        var (inputChannels, middle, outputChannels) = config switch { "tiny" => (16, 64, 128), "small" => (64, 256, 512), _ => (128, 512, 1024) };
        var network = new Network();
        var x = Make.Tensor("x", 5, 5, inputChannels, random);
        network.Inputs.Add(x);
        var e3 = Make.Conv("expand3x3", x, middle, new Window(3, 3, Padding: Padding.Same(1)), 1, random, 0, 127, "e3:out");
        var conv10 = Make.Conv("conv10", e3.Output, outputChannels, new Window(1, 1), 1, random, 0, 127, "y");
        network.Layers.AddRange([e3, conv10]);
        network.Outputs.Add("y");
        var inputs = Make.Inputs(network.Inputs, random);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), network);
        var (outputs, report) = NpuExecution.Run(compiled, inputs);
        Assert.Equal(LayerOracle.Run(network, inputs)["y"], outputs["y"]);
        if (config != "small") return;
        Assert.True(Shape(compiled.Layers[0].Decision).Blocks >= 2 && Shape(compiled.Layers[1].Decision).Blocks >= 2, string.Join("; ", compiled.Layers.Select(l => l.Decision)));
        long weightCycles = (long)middle * outputChannels / Make.Spec(config).DramBytesPerCycle;
        long share = report.Layers[1].ProgramCycles;
        Assert.True(share <= weightCycles * 5 / 4, $"conv10 share {share} cycles, its weights {weightCycles} DMA cycles");
    }
}
