using Tessera.Hardware;

namespace Tessera.Simulator.Tests;

/// <summary>Convolution on the array (implicit im2col through two-level input strides), depthwise
/// convolution on the vector unit, pooling and requantization, against plain integer loops.</summary>
public class ConvolutionTests
{
    private const int H = 9, W = 9, C = 8, CO = 8, Pad = 1;

    public static TheoryData<string> Configs() => new(TestData.Configs);

    [Theory]
    [MemberData(nameof(Configs))]
    public void Convolution_3x3_stride_2_with_padding_matches_loops(string config)
    {
        const int stride = 2;
        int oh = (H + 2 * Pad - 3) / stride + 1, ow = (W + 2 * Pad - 3) / stride + 1;
        int paddedWidth = (W + 2 * Pad) * C;
        var input = TestData.Random(H * W * C, 10);
        var weights = TestData.Random(9 * C * CO, 11);
        long weightAddress = H * W * C, outputAddress = weightAddress + weights.Length;
        var text = new ProgramText()
            .Line($".spec {config}")
            .Line($".input x 0 int8 {H}x{W}x{C}")
            .Constant("w", weightAddress, weights)
            .Line($".output y {outputAddress} int32 {oh}x{ow}x{CO}")
            .Line($"load memory=act sram=0 dram=0 x={W * C} y={H} z=1 dram_stride_y={W * C} sram_stride_y={paddedWidth} pad_left={C} pad_right={C} pad_top=1 pad_bottom=1")
            .Line($"load memory=weight sram=0 dram={weightAddress} x={9 * C * CO} y=1 z=1 signal=compute");
        for (int tap = 0; tap < 9; tap++)
        {
            int ky = tap / 3, kx = tap % 3;
            string tokens = (tap == 0 ? "wait=load " : "") + (tap == 8 ? "signal=store" : "");
            text.Line($"gemm {tokens} accumulate={(tap > 0 ? 1 : 0)} m0={ow} m1={oh} k={C} n={CO} input={(ky * (W + 2) + kx) * C} input_stride0={stride * C} input_stride1={stride * paddedWidth} weight={tap * C * CO} weight_stride={CO} output=0 output_stride={CO}");
        }
        text.Line($"store wait=compute memory=accumulator sram=0 dram={outputAddress} x={oh * ow * CO} y=1 z=1").Line($"end");
        var result = Run(config, text, input);
        var expected = new int[oh * ow * CO];
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        for (int o = 0; o < CO; o++)
        {
            int sum = 0;
            for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
            {
                int iy = y * stride + ky - Pad, ix = x * stride + kx - Pad;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                for (int c = 0; c < C; c++) sum += input[(iy * W + ix) * C + c] * weights[((ky * 3 + kx) * C + c) * CO + o];
            }
            expected[(y * ow + x) * CO + o] = sum;
        }
        Assert.Equal(expected, TestData.Ints(result.Outputs["y"]));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Depthwise_3x3_with_bias_requantize_and_relu_matches_loops(string config)
    {
        int paddedWidth = (W + 2) * C;
        var input = TestData.Random(H * W * C, 20);
        var weights = TestData.Random(9 * C, 21);
        var bias = Enumerable.Range(0, C).Select(i => (i - 4) * 300).ToArray();
        const int zeroPoint = -5;
        var multipliers = Enumerable.Range(0, C).Select(i => FixedPoint.QuantizeMultiplier(0.002 + i * 0.0007).Multiplier).ToArray();
        var shifts = Enumerable.Range(0, C).Select(i => FixedPoint.QuantizeMultiplier(0.002 + i * 0.0007).Shift).ToArray();
        int[] parameters = [zeroPoint, zeroPoint, 127, .. multipliers, .. shifts];
        long weightAddress = H * W * C, biasAddress = weightAddress + 9 * C, parameterAddress = biasAddress + 4 * C, outputAddress = parameterAddress + 4 * parameters.Length;
        int accBias = H * W * C, accParameters = accBias + C, actOutput = (H + 2) * paddedWidth;
        var text = new ProgramText()
            .Line($".spec {config}")
            .Line($".input x 0 int8 {H}x{W}x{C}")
            .Constant("w", weightAddress, weights)
            .Constant("bias", biasAddress, bias)
            .Constant("parameters", parameterAddress, parameters)
            .Line($".output y {outputAddress} int8 {H}x{W}x{C}")
            .Line($"load memory=act sram=0 dram=0 x={W * C} y={H} z=1 dram_stride_y={W * C} sram_stride_y={paddedWidth} pad_left={C} pad_right={C} pad_top=1 pad_bottom=1")
            .Line($"load memory=weight sram=0 dram={weightAddress} x={9 * C} y=1 z=1")
            .Line($"load memory=accumulator sram={accBias} dram={biasAddress} x={C + parameters.Length} y=1 z=1 signal=vector");
        for (int tap = 0; tap < 9; tap++)
        {
            int ky = tap / 3, kx = tap % 3;
            text.Line($"vector {(tap == 0 ? "wait=load" : "")} function=multiply_accumulate accumulate={(tap > 0 ? 1 : 0)} m0={W} m1={H} cols={C} a={(ky * (W + 2) + kx) * C} a_stride0={C} a_stride1={paddedWidth} b={tap * C} d=0 d_stride={C}");
        }
        text.Line($"vector function=bias m0={H * W} m1=1 cols={C} a=0 a_stride0={C} b={accBias} d=0 d_stride={C}")
            .Line($"vector signal=store function=requantize per_channel=1 m0={H * W} m1=1 cols={C} a=0 a_stride0={C} d={actOutput} d_stride={C} p={accParameters}")
            .Line($"store wait=vector memory=act sram={actOutput} dram={outputAddress} x={H * W * C} y=1 z=1")
            .Line($"end");
        var result = Run(config, text, input);
        var expected = new sbyte[H * W * C];
        for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
        for (int c = 0; c < C; c++)
        {
            int sum = 0;
            for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
            {
                int iy = y + ky - 1, ix = x + kx - 1;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) sum += input[(iy * W + ix) * C + c] * weights[(ky * 3 + kx) * C + c];
            }
            expected[(y * W + x) * C + c] = FixedPoint.Requantize(sum + bias[c], multipliers[c], shifts[c], zeroPoint, zeroPoint, 127);
        }
        Assert.Equal(expected, TestData.SBytes(result.Outputs["y"]));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Max_pool_3x3_stride_2_with_padding_matches_loops(string config)
    {
        int oh = (H + 2 - 3) / 2 + 1, ow = (W + 2 - 3) / 2 + 1, paddedWidth = (W + 2) * C, output = (H + 2) * paddedWidth;
        var input = TestData.Random(H * W * C, 30);
        long outputAddress = H * W * C;
        var text = new ProgramText()
            .Line($".spec {config}")
            .Line($".input x 0 int8 {H}x{W}x{C}")
            .Line($".output y {outputAddress} int8 {oh}x{ow}x{C}")
            .Line($"load signal=vector memory=act sram=0 dram=0 x={W * C} y={H} z=1 dram_stride_y={W * C} sram_stride_y={paddedWidth} pad_left={C} pad_right={C} pad_top=1 pad_bottom=1 pad_value=-128");
        for (int tap = 0; tap < 9; tap++)
        {
            int ky = tap / 3, kx = tap % 3;
            string tokens = (tap == 0 ? "wait=load " : "") + (tap == 8 ? "signal=store" : "");
            text.Line($"vector {tokens} function={(tap == 0 ? "copy" : "max")} m0={ow} m1={oh} cols={C} a={(ky * (W + 2) + kx) * C} a_stride0={2 * C} a_stride1={2 * paddedWidth} d={output} d_stride={C}");
        }
        text.Line($"store wait=vector memory=act sram={output} dram={outputAddress} x={oh * ow * C} y=1 z=1").Line($"end");
        var result = Run(config, text, input);
        var expected = new sbyte[oh * ow * C];
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        for (int c = 0; c < C; c++)
        {
            int best = -128;
            for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
            {
                int iy = y * 2 + ky - 1, ix = x * 2 + kx - 1;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) best = Math.Max(best, input[(iy * W + ix) * C + c]);
            }
            expected[(y * ow + x) * C + c] = (sbyte)best;
        }
        Assert.Equal(expected, TestData.SBytes(result.Outputs["y"]));
    }

    private static SimulationResult Run(string config, ProgramText text, sbyte[] input)
    {
        var spec = TestData.Spec(config);
        var program = text.Assemble(spec);
        return NpuSimulator.Run(spec, program, new Dictionary<string, byte[]> { ["x"] = TestData.Bytes(input) });
    }
}
