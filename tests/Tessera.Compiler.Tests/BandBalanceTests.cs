using System.Text.RegularExpressions;
using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>Pools and elementwise layers pick their band height by an estimate of the double-buffered pipeline
/// (VectorLowering.BalancedBand), not the largest that fits: SqueezeNet-sized layers now run in
/// several bands of uneven count (a short last band, input rows shared between bands for 3x3 stride 2), and must
/// stay bit-identical to the integer oracle on every configuration.</summary>
public class BandBalanceTests
{
    public static TheoryData<string> Configs() => new(Make.Configs);

    private static int BandRows(string decision) => int.Parse(Regex.Match(decision, @"(\d+) (output rows|pixels) ").Groups[1].Value);

    /// <summary>SqueezeNet's first max pool (47x47x64, 3x3 stride 2, floor) and a ceil-mode variant (46x46, one
    /// bottom/right padding row of -128, as the ONNX importer maps ceil_mode).</summary>
    [Theory]
    [MemberData(nameof(Configs))]
    public void SqueezeNet_sized_max_pools_are_bit_exact_in_balanced_bands(string config)
    {
        var random = new Random(41);
        foreach (var (size, padding) in new[] { (47, Padding.None), (46, new Padding(0, 0, 1, 1)) })
        {
            var input = Make.Tensor("x", size, size, 64, random);
            var window = new Window(3, 3, 2, 2, Padding: padding);
            var output = new NpuTensor("y", window.OutputHeight(size), window.OutputWidth(size), 64, input.ZeroPoint);
            Assert.Equal(23, output.Height);
            var layer = new MaxPoolLayer("pool", input, output, window, -128, 127);
            LayerTests.AssertBitExact(config, layer, 42);
            int rows = BandRows(NetworkCompiler.Compile(Make.Spec(config), layer).Layers[0].Decision);
            Assert.True(rows < output.Height, $"{config}: one band of {rows} rows, the balanced schedule needs several");
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void SqueezeNet_sized_average_pool_and_add_are_bit_exact_in_balanced_bands(string config)
    {
        var random = new Random(43);
        var input = Make.Tensor("x", 23, 23, 48, random);
        var window = new Window(3, 3, 2, 2, Padding: Padding.Same(1));
        var output = new NpuTensor("y", window.OutputHeight(23), window.OutputWidth(23), 48, 2);
        var (m, s) = Tessera.Hardware.FixedPoint.QuantizeMultiplier(1.1 / 9);
        LayerTests.AssertBitExact(config, new AveragePoolLayer("avg", input, output, window, m, s), 44);

        var a = Make.Tensor("a", 23, 23, 64, random);
        var b = Make.Tensor("b", 23, 23, 64, random);
        var y = Make.Tensor("y", 23, 23, 64, random);
        var add = new ElementwiseLayer("add", a, b, y, false, Make.AddParameters(a, b, y, random));
        LayerTests.AssertBitExact(config, add, 45);
        int pixels = BandRows(NetworkCompiler.Compile(Make.Spec(config), add).Layers[0].Decision);
        Assert.True(pixels < y.Pixels, $"{config}: one band of {pixels} pixels, the balanced schedule needs several");
    }

    /// <summary>A Concat part's rescale is an Add of the part with itself: the operand is loaded once per band and
    /// both vector operands read its slot; bit-exact, and half the load bytes of two operands.</summary>
    [Theory]
    [MemberData(nameof(Configs))]
    public void Add_of_a_tensor_with_itself_loads_it_once_and_is_bit_exact(string config)
    {
        var random = new Random(49);
        var a = Make.Tensor("a", 23, 23, 64, random);
        var y = Make.Tensor("y", 23, 23, 64, random);
        var add = new ElementwiseLayer("rescale", a, a, y, false, Make.AddParameters(a, a, y, random));
        LayerTests.AssertBitExact(config, add, 50);
        var compiled = NetworkCompiler.Compile(Make.Spec(config), add);
        Assert.Contains("loaded once", compiled.Layers[0].Decision);
        var (_, report) = NpuExecution.Run(compiled, Make.Inputs(add.Inputs, random), layerReports: false);
        Assert.InRange(report.Total.DramBytesRead, a.Length, a.Length + 4L * add.Parameters.Length);
        Assert.Equal(y.Length, report.Total.DramBytesWritten);
    }

    /// <summary>On small the balanced bands beat the largest band by a wide margin on SqueezeNet's first pool
    /// (the largest, 17 + 6 rows, simulated at 16,859 cycles before): simulated, deterministic cycles.</summary>
    [Fact]
    public void Balanced_bands_cut_the_squeezenet_pool_cycles_on_small()
    {
        var spec = Make.Spec("small");
        var random = new Random(47);
        var input = Make.Tensor("x", 47, 47, 64, random);
        var window = new Window(3, 3, 2, 2);
        var layer = new MaxPoolLayer("pool", input, new NpuTensor("y", 23, 23, 64, input.ZeroPoint), window, -128, 127);
        var compiled = NetworkCompiler.Compile(spec, layer);
        var (_, report) = NpuExecution.Run(compiled, Make.Inputs(layer.Inputs, random), layerReports: false);
        long dramBound = ((47L * 47 * 64 + 23L * 23 * 64) + spec.DramBytesPerCycle - 1) / spec.DramBytesPerCycle;
        Assert.True(report.Total.TotalCycles < 13_000, $"{report.Total.TotalCycles} cycles ({compiled.Layers[0].Decision})");
        Assert.True(report.Total.TotalCycles >= dramBound, $"{report.Total.TotalCycles} cycles below the DRAM bound {dramBound}");
        Assert.True(BandRows(compiled.Layers[0].Decision) < 17, compiled.Layers[0].Decision);
    }
}
