using Tessera.Hardware;

namespace Tessera.Simulator.Tests;

/// <summary>Elementwise add/mul with rescale, lookup tables, clip and average pooling on the vector unit,
/// against loops that use the same <see cref="FixedPoint"/> arithmetic an integer reference executor uses.</summary>
public class VectorFunctionTests
{
    private const int Rows = 6, Cols = 20, Count = Rows * Cols;

    public static TheoryData<string> Configs() => new(TestData.Configs);

    [Theory]
    [MemberData(nameof(Configs))]
    public void Add_multiply_lookup_and_clip_match_loops(string config)
    {
        var a = TestData.Random(Count, 50);
        var b = TestData.Random(Count, 51);
        var table = TestData.Random(256, 52);
        var (ma, sa) = FixedPoint.QuantizeMultiplier(0.7);
        var (mb, sb) = FixedPoint.QuantizeMultiplier(0.4);
        var (mo, so) = FixedPoint.QuantizeMultiplier(1.0 / (1 << 20) / 0.9);
        var (mm, sm) = FixedPoint.QuantizeMultiplier(0.013);
        int[] addParameters = [3, -7, 20, ma, sa, mb, sb, mo, so, 2, -100, 120];
        int[] multiplyParameters = [3, -7, mm, sm, -1, -128, 127];
        int[] clipParameters = [-20, 60];
        int[] parameters = [.. addParameters, .. multiplyParameters, .. clipParameters];
        const int addP = 0, multiplyP = 12, clipP = 19;
        long bAddress = Count, tableAddress = 2 * Count, parameterAddress = 2 * Count + 256, output = parameterAddress + 4 * parameters.Length;
        int table0 = 2 * Count, sum = table0 + 256, product = sum + Count, looked = product + Count, clipped = looked + Count;
        var text = new ProgramText()
            .Line($".spec any")
            .Line($".input a 0 int8 {Rows}x{Cols}")
            .Line($".input b {bAddress} int8 {Rows}x{Cols}")
            .Constant("table", tableAddress, table)
            .Constant("parameters", parameterAddress, parameters)
            .Line($".output y {output} int8 4x{Rows}x{Cols}")
            .Line($"load memory=act sram=0 dram=0 x={2 * Count + 256} y=1 z=1")
            .Line($"load memory=accumulator sram=0 dram={parameterAddress} x={parameters.Length} y=1 z=1 signal=vector")
            .Line($"vector wait=load function=add m0={Rows} m1=1 cols={Cols} a=0 a_stride0={Cols} b={Count} b_stride0={Cols} d={sum} d_stride={Cols} p={addP}")
            .Line($"vector function=multiply m0={Rows} m1=1 cols={Cols} a=0 a_stride0={Cols} b={Count} b_stride0={Cols} d={product} d_stride={Cols} p={multiplyP}")
            .Line($"vector function=lookup m0={Rows} m1=1 cols={Cols} a=0 a_stride0={Cols} b={table0} d={looked} d_stride={Cols}")
            .Line($"vector signal=store function=clip m0={Rows} m1=1 cols={Cols} a={Count} a_stride0={Cols} d={clipped} d_stride={Cols} p={clipP}")
            .Line($"store wait=vector memory=act sram={sum} dram={output} x={4 * Count} y=1 z=1")
            .Line($"end");
        var result = NpuSimulator.Run(TestData.Spec(config), text.Assemble(TestData.Spec(config)),
            new Dictionary<string, byte[]> { ["a"] = TestData.Bytes(a), ["b"] = TestData.Bytes(b) });
        var expected = new sbyte[4 * Count];
        for (int i = 0; i < Count; i++)
        {
            expected[i] = FixedPoint.Add(a[i], b[i], addParameters);
            expected[Count + i] = FixedPoint.Multiply(a[i], b[i], multiplyParameters);
            expected[2 * Count + i] = table[a[i] + 128];
            expected[3 * Count + i] = (sbyte)Math.Clamp((int)b[i], -20, 60);
        }
        Assert.Equal(expected, TestData.SBytes(result.Outputs["y"]));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Average_pool_2x2_is_sum_then_requantize(string config)
    {
        const int h = 6, w = 6, c = 5, oh = 3, ow = 3;
        var x = TestData.Random(h * w * c, 60);
        var (multiplier, shift) = FixedPoint.QuantizeMultiplier(0.25);
        int[] parameters = [0, -128, 127, multiplier, shift];
        long parameterAddress = h * w * c, output = parameterAddress + 4 * parameters.Length;
        var text = new ProgramText()
            .Line($".spec any")
            .Line($".input x 0 int8 {h}x{w}x{c}")
            .Constant("q", parameterAddress, parameters)
            .Line($".output y {output} int8 {oh}x{ow}x{c}")
            .Line($"load memory=act sram=0 dram=0 x={h * w * c} y=1 z=1")
            .Line($"load memory=accumulator sram=100 dram=q x=5 y=1 z=1 signal=vector");
        for (int tap = 0; tap < 4; tap++)
        {
            int dy = tap / 2, dx = tap % 2;
            text.Line($"vector {(tap == 0 ? "wait=load" : "")} function=sum accumulate={(tap > 0 ? 1 : 0)} m0={ow} m1={oh} cols={c} a={(dy * w + dx) * c} a_stride0={2 * c} a_stride1={2 * w * c} d=0 d_stride={c}");
        }
        text.Line($"vector signal=store function=requantize m0={oh * ow} m1=1 cols={c} a=0 a_stride0={c} d=1000 d_stride={c} p=100")
            .Line($"store wait=vector memory=act sram=1000 dram={output} x={oh * ow * c} y=1 z=1")
            .Line($"end");
        var result = NpuSimulator.Run(TestData.Spec(config), text.Assemble(TestData.Spec(config)), new Dictionary<string, byte[]> { ["x"] = TestData.Bytes(x) });
        var expected = new sbyte[oh * ow * c];
        for (int y = 0; y < oh; y++)
        for (int xx = 0; xx < ow; xx++)
        for (int ch = 0; ch < c; ch++)
        {
            int total = 0;
            for (int t = 0; t < 4; t++) total += x[((2 * y + t / 2) * w + 2 * xx + t % 2) * c + ch];
            expected[(y * ow + xx) * c + ch] = FixedPoint.Requantize(total, multiplier, shift, 0, -128, 127);
        }
        Assert.Equal(expected, TestData.SBytes(result.Outputs["y"]));
    }
}
