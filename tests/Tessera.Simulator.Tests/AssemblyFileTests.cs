using Tessera.Hardware;
using Tessera.Simulator.Workloads;

namespace Tessera.Simulator.Tests;

/// <summary>Hand-written and generated .s files in Assets/ assemble and run bit-exactly on every configuration.</summary>
public class AssemblyFileTests
{
    public static TheoryData<string> Configs() => new(TestData.Configs);

    private static NpuProgram Load(string name) =>
        Assembler.Assemble(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Assets", name)), name);

    [Theory]
    [MemberData(nameof(Configs))]
    public void Requantize_relu_file_matches_loops(string config)
    {
        var program = Load("requantize_relu.s");
        var a = TestData.Random(32, 40);
        var result = NpuSimulator.Run(TestData.Spec(config), program, new Dictionary<string, byte[]> { ["a"] = TestData.Bytes(a) });
        var w = TestData.SBytes(program.Constants.Single(c => c.Name == "w").Bytes);
        var bias = TestData.Ints(program.Constants.Single(c => c.Name == "bias").Bytes);
        var q = TestData.Ints(program.Constants.Single(c => c.Name == "q").Bytes);
        var expected = new sbyte[32];
        for (int m = 0; m < 4; m++)
        {
            for (int n = 0; n < 8; n++)
            {
                int sum = bias[n];
                for (int k = 0; k < 8; k++) sum += a[m * 8 + k] * w[k * 8 + n];
                expected[m * 8 + n] = FixedPoint.Requantize(sum, q[3], q[4], q[0], q[1], q[2]);
            }
        }
        Assert.Equal(expected, TestData.SBytes(result.Outputs["y"]));
        Assert.Contains(expected, v => v > 3);
        Assert.All(expected, v => Assert.True(v >= 3));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Max_pool_file_matches_loops(string config)
    {
        var x = TestData.Random(32, 41);
        var result = NpuSimulator.Run(TestData.Spec(config), Load("maxpool_2x2.s"), new Dictionary<string, byte[]> { ["x"] = TestData.Bytes(x) });
        var expected = new sbyte[8];
        for (int oy = 0; oy < 2; oy++)
        for (int ox = 0; ox < 2; ox++)
        for (int c = 0; c < 2; c++)
        {
            int best = -128;
            for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++) best = Math.Max(best, x[((oy * 2 + dy) * 4 + ox * 2 + dx) * 2 + c]);
            expected[(oy * 2 + ox) * 2 + c] = (sbyte)best;
        }
        Assert.Equal(expected, TestData.SBytes(result.Outputs["y"]));
    }

    [Theory]
    [InlineData("gemm64_single_small.s", false)]
    [InlineData("gemm64_double_small.s", true)]
    public void Generated_gemm_files_match_the_generator_and_loops(string file, bool doubleBuffered)
    {
        var spec = TestData.Spec("small");
        var program = Load(file);
        var generated = new GemmWorkload(spec, 64, 64, 64, doubleBuffered).Program;
        Assert.Equal(ProgramFile.Write(generated), ProgramFile.Write(program));
        var a = TestData.Random(64 * 64, 42);
        var b = TestData.Random(64 * 64, 43);
        var result = NpuSimulator.Run(spec, program, new Dictionary<string, byte[]> { ["a"] = TestData.Bytes(a), ["b"] = TestData.Bytes(b) });
        Assert.Equal(GemmWorkload.Reference(a, b, 64, 64, 64), TestData.Ints(result.Outputs["c"]));
    }
}
