using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>Layers one of whose output rows needs more activation bytes than tiny's 32 KB scratchpad (PP-OCR's SVTR
/// neck and MobileNetV3 blocks at wide, shallow feature maps): they compile on tiny anyway (convolutions as column tiles
/// with the kernel's halo, pools on channel chunks, broadcast layers as a column of pixels) and are bit-exact with the
/// oracle on tiny, small and large.</summary>
public class WideRowTests
{
    public static TheoryData<string> Configs() => new(Make.Configs);

    /// <summary>Compiles the layer alone, checks it against the oracle and, on tiny, that it took the expected path
    /// (the row does not fit, so the decision names it).</summary>
    private static void Check(string config, Layer layer, int seed, string tinyDecision)
    {
        LayerTests.AssertBitExact(config, layer, seed);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), layer);
        if (config == "tiny") Assert.Contains(tinyDecision, compiled.Layers[0].Decision, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Conv_3x3_padded_over_a_wide_row(string config)
    {
        // One output row reads 3 padded rows of 32 x 200 bytes (19 KB per input slot, two slots): tiny needs column tiles.
        var random = new Random(301);
        var input = Make.Tensor("x", 4, 30, 200, random);
        Check(config, Make.Conv("conv3", input, 24, new Window(3, 3, Padding: Padding.Same(1)), 1, random), 302, "column tile");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Conv_3x3_stride_2_dilated_odd_widths(string config)
    {
        // Strided and dilated, asymmetric padding, an odd output width: tiles' halos and edge padding differ.
        var random = new Random(303);
        var input = Make.Tensor("x", 7, 31, 180, random);
        var window = new Window(3, 3, 2, 2, 1, 2, new Padding(1, 2, 0, 1));
        Check(config, Make.Conv("conv3s2", input, 13, window, 1, random, -100, 90), 304, "column tile");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Conv_1x3_padded_wide_channels_many_output_channels(string config)
    {
        // A 1 x 3 kernel (not a column of pixels) with more output channels than the weight scratchpad holds at once.
        var random = new Random(305);
        var input = Make.Tensor("x", 3, 30, 600, random);
        Check(config, Make.Conv("conv1x3", input, 40, new Window(1, 3, Padding: new Padding(0, 1, 0, 1)), 1, random), 306, "column tile");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Conv_3x3_whose_array_chunk_weights_exceed_the_weight_scratchpad(string config)
    {
        // 3 x 3 x 320 weights per output channel: 8 of them (tiny's array columns) need 23,040 bytes, tiny's weight
        // scratchpad has 16,384, so tiny's chunks are 5 columns wide.
        var random = new Random(323);
        var input = Make.Tensor("x", 4, 10, 320, random);
        Check(config, Make.Conv("conv320", input, 12, new Window(3, 3, Padding: Padding.Same(1)), 1, random), 324, "chunk(s) of <= 5 ");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Depthwise_3x3_over_a_wide_row(string config)
    {
        // MobileNetV3's 200-channel depthwise layer at 2 x 96: three padded rows of 98 x 200 bytes per slot.
        var random = new Random(307);
        var input = Make.Tensor("x", 2, 96, 200, random);
        var layer = Make.Conv("dw", input, 200, new Window(3, 3, Padding: Padding.Same(1)), 200, random, 0, 127);
        Check(config, layer, 308, "column tile");
        // On small the row fits, but the vector plan's accumulators (96 pixels x 200 channels, two slots) do not: the
        // array would take one channel per chunk; channel chunks on the vector unit are estimated (and run) faster.
        if (config == "small")
        {
            var compiled = NetworkCompiler.Compile(Make.Spec(config), layer);
            Assert.Contains("estimated cheaper than the array plan", compiled.Layers[0].Decision, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Depthwise_5x5_wide_channels_split_into_channel_chunks(string config)
    {
        // PP-OCR rec's SVTR neck: 5x5 depthwise over 6 x 24 x 480. A whole-channel tile fits 2 output columns on tiny;
        // channel chunks let the tiles be wider (less halo loaded again).
        var random = new Random(321);
        var input = Make.Tensor("x", 6, 24, 480, random);
        Check(config, Make.Conv("dw5", input, 480, new Window(5, 5, Padding: Padding.Same(2)), 480, random, -60, 127), 322, "channel chunks");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Global_average_pool_over_a_wide_map(string config)
    {
        // 6 x 24 x 480 (69 KB) in one window: channel chunks.
        var random = new Random(309);
        var input = Make.Tensor("x", 6, 24, 480, random);
        var (m, s) = Tessera.Hardware.FixedPoint.QuantizeMultiplier(1.7 / 144);
        Check(config, AveragePoolLayer.Global("gap", input, new NpuTensor("y", 1, 1, 480, 5), m, s) with { InputShift = 2 }, 310, "channel chunks");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Max_pool_over_wide_rows(string config)
    {
        var random = new Random(311);
        var input = Make.Tensor("x", 6, 40, 250, random);
        var window = new Window(3, 3, 2, 2, Padding: Padding.Same(1));
        var output = new NpuTensor("y", window.OutputHeight(6), window.OutputWidth(40), 250, input.ZeroPoint);
        Check(config, new MaxPoolLayer("max", input, output, window, -50, 120), 312, "channel chunks");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Squeeze_excitation_multiply_and_add_over_a_wide_row(string config)
    {
        var random = new Random(313);
        var x = Make.Tensor("x", 6, 24, 480, random);
        Check(config, ModelLayerMake.Broadcast("se", x, Make.Tensor("gate", 1, 1, 480, random), true, random), 314, "column of pixels");
        Check(config, ModelLayerMake.Broadcast("se-add", Make.Tensor("b", 1, 1, 480, random), x, false, random), 315, "column of pixels");
        Check(config, ModelLayerMake.Broadcast("scale", x, Make.Tensor("s", 1, 1, 1, random), true, random), 316, "column of pixels");
        var y = Make.Tensor("y", 6, 24, 480, random);
        var z = Make.Tensor("z", 6, 24, 480, random);
        LayerTests.AssertBitExact(config, new ElementwiseLayer("add", x, y, z, false, Make.AddParameters(x, y, z, random)), 317);
        LayerTests.AssertBitExact(config, new ElementwiseLayer("mul", x, y, z, true, Make.MultiplyParameters(x, y, z, random)), 318);
    }

    [Fact]
    public void A_layer_whose_row_fits_keeps_its_plan()
    {
        // Column tiles only where no plan fits: the same convolution on small (256 KB) is planned as before.
        var random = new Random(319);
        var conv = Make.Conv("conv", Make.Tensor("x", 4, 30, 200, random), 8, new Window(3, 3, Padding: Padding.Same(1)), 1, random);
        Assert.Contains("column tile", NetworkCompiler.Compile(Make.Spec("tiny"), conv).Layers[0].Decision, StringComparison.Ordinal);
        Assert.DoesNotContain("column tile", NetworkCompiler.Compile(Make.Spec("small"), conv).Layers[0].Decision, StringComparison.Ordinal);
    }
}
