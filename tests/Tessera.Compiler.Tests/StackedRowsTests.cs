using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>Stacked kernel rows (<c>ConvPlanner.StackRows</c>): a convolution with few input channels (a stem) runs as
/// a 1 x KernelWidth one over rows that hold every kernel row's input pixels side by side, built by the band loader from
/// the HWC input (vertical pad rows from the pad constant, horizontal ones from the DMA's plane padding). Bit-identical
/// to the layer oracle on every configuration, with pad rows at band edges, strides, dilation and odd sizes.</summary>
public class StackedRowsTests
{
    public static TheoryData<string, int, int, int, int, int, int, int, int[]> Cases()
    {
        var data = new TheoryData<string, int, int, int, int, int, int, int, int[]>();
        foreach (var config in Make.Configs)
        {
            // config, height, width, channels, output channels, kernel, stride, dilation y, [pad top, pad bottom, pad left/right]
            data.Add(config, 96, 96, 3, 64, 3, 2, 1, [0, 0, 0]);  // SqueezeNet 1.1 conv1
            data.Add(config, 64, 64, 3, 24, 5, 2, 1, [1, 2, 2]);  // BlazeFace-like stem, asymmetric padding
            data.Add(config, 37, 29, 2, 16, 3, 1, 1, [1, 1, 1]);  // stride 1, padded, odd sizes
            data.Add(config, 40, 33, 3, 40, 3, 2, 2, [2, 2, 1]);  // vertical dilation
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stem_with_stacked_kernel_rows_is_bit_exact(string config, int height, int width, int channels, int outputChannels, int kernel, int stride, int dilationY, int[] padding)
    {
        var random = new Random(height * 31 + outputChannels);
        var window = new Window(kernel, kernel, stride, stride, dilationY, 1, new Padding(padding[0], padding[2], padding[1], padding[2]));
        var conv = Make.Conv("stem", Make.Tensor("x", height, width, channels, random), outputChannels, window, 1, random, 0, 127, "y");
        var spec = Make.Spec(config);
        var compiled = NetworkCompiler.Compile(spec, conv);
        string decision = compiled.Layers[0].Decision;
        // On small (32 array rows) every case here saves passes enough to be chosen.
        if (config == "small") Assert.Contains("kernel rows stacked", decision);
        var inputs = Make.Inputs(conv.Inputs, random);
        var (outputs, _) = NpuExecution.Run(compiled, inputs);
        Assert.Equal(LayerOracle.Run(conv, [inputs["x"]]), outputs["y"]);
    }

    public static TheoryData<string, int, int, int, int> Wider()
    {
        var data = new TheoryData<string, int, int, int, int>();
        foreach (var config in Make.Configs)
        {
            // config, height/width, channels, output channels, stacked on small (1 yes, 0 no, -1 the cost model's
            // choice, not asserted); 3x3, stride 1, padding 1
            data.Add(config, 23, 16, 64, 1);   // SqueezeNet fire2/fire3 expand3x3: 6 passes -> 5 (k = 144)
            data.Add(config, 11, 48, 192, 1);  // 15 passes -> 14 (k = 432, several passes per pixel)
            data.Add(config, 5, 48, 192, -1);  // fire6/fire7 expand3x3 (stacked in SqueezeNet, where its weights are preloaded)
            data.Add(config, 12, 16, 16, 0);   // 16 output channels: column pairs apply, stacking is not tried
        }
        return data;
    }

    /// <summary>Beyond the stems: a packed kernel row over more channels than the array has rows is stacked too when
    /// that saves passes and the output channels exceed half the array's columns (otherwise column pairs are the
    /// plan for it); bit-identical to the layer oracle on every configuration.</summary>
    [Theory]
    [MemberData(nameof(Wider))]
    public void Wider_layers_with_stacked_kernel_rows_are_bit_exact(string config, int size, int channels, int outputChannels, int stackedOnSmall)
    {
        var random = new Random(size * 131 + channels);
        var conv = Make.Conv("e3", Make.Tensor("x", size, size, channels, random), outputChannels, new Window(3, 3, 1, 1, 1, 1, new Padding(1, 1, 1, 1)), 1, random, 0, 127, "y");
        var compiled = NetworkCompiler.Compile(Make.Spec(config), conv);
        string decision = compiled.Layers[0].Decision;
        if (config == "small" && stackedOnSmall >= 0) Assert.True(stackedOnSmall == 1 == decision.Contains("kernel rows stacked", StringComparison.Ordinal), decision);
        var inputs = Make.Inputs(conv.Inputs, random);
        var (outputs, _) = NpuExecution.Run(compiled, inputs);
        Assert.Equal(LayerOracle.Run(conv, [inputs["x"]]), outputs["y"]);
    }

    [Fact]
    public void Squeezenet_stem_on_small_takes_one_pass_per_chunk()
    {
        // 3x3 stride 2 over 3 channels: k = 27 of 32 array rows in one pass instead of 3 passes of k = 9.
        var random = new Random(5);
        var conv = Make.Conv("conv1", Make.Tensor("x", 96, 96, 3, random), 64, new Window(3, 3, 2, 2), 1, random, 0, 127, "y");
        var spec = Make.Spec("small");
        var compiled = NetworkCompiler.Compile(spec, conv);
        var inputs = Make.Inputs(conv.Inputs, random);
        var (outputs, report) = NpuExecution.Run(compiled, inputs);
        Assert.Equal(LayerOracle.Run(conv, [inputs["x"]]), outputs["y"]);
        Assert.Contains("kernel rows stacked", compiled.Layers[0].Decision);
        // Unstacked, 2 chunks x 3 passes x 47 x 47 pixels hold the array for >= 13,254 cycles; stacked, 2 chunks x 1
        // pass (the layer alone is then bound by its 141 KB output store, which SqueezeNet's pool keeps on chip).
        long array = report.Total.BusyCycles[(int)Tessera.Simulator.Unit.Array];
        Assert.InRange(array, 2 * 47 * 47, 9000); // measured 7,170 (band fill included)
    }
}
