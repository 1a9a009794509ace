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
}
