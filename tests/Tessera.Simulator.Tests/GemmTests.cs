using Tessera.Simulator.Workloads;

namespace Tessera.Simulator.Tests;

public class GemmTests
{
    public static TheoryData<string, int, bool> Cases()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (var config in TestData.Configs)
        {
            foreach (int size in (int[])[64, 256])
            {
                data.Add(config, size, false);
                data.Add(config, size, true);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gemm_is_bit_identical_to_integer_loops(string config, int size, bool doubleBuffered)
    {
        var workload = new GemmWorkload(TestData.Spec(config), size, size, size, doubleBuffered);
        var a = TestData.Random(size * size, 1);
        var b = TestData.Random(size * size, 2);
        var result = NpuSimulator.Run(workload.Spec, workload.Program,
            new Dictionary<string, byte[]> { ["a"] = TestData.Bytes(a), ["b"] = TestData.Bytes(b) });
        Assert.Equal(GemmWorkload.Reference(a, b, size, size, size), TestData.Ints(result.Outputs["c"]));
        Assert.Equal(workload.Macs, result.Report.Macs);
    }

    [Theory]
    [InlineData(37, 70, 45)]
    [InlineData(1, 1, 1)]
    [InlineData(130, 17, 66)]
    public void Odd_shapes_match(int m, int k, int n)
    {
        foreach (var config in TestData.Configs)
        {
            var workload = new GemmWorkload(TestData.Spec(config), m, k, n, doubleBuffered: true);
            var a = TestData.Random(m * k, 3);
            var b = TestData.Random(k * n, 4);
            var result = NpuSimulator.Run(workload.Spec, workload.Program, new Dictionary<string, byte[]> { ["a"] = TestData.Bytes(a), ["b"] = TestData.Bytes(b) });
            Assert.Equal(GemmWorkload.Reference(a, b, m, k, n), TestData.Ints(result.Outputs["c"]));
        }
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("large")]
    public void Output_stationary_arrays_compute_the_same_gemm(string config)
    {
        var spec = TestData.Spec(config) with { Dataflow = Hardware.Dataflow.OutputStationary };
        const int m = 100, k = 300, n = 70;
        var workload = new GemmWorkload(spec, m, k, n, doubleBuffered: true);
        var a = TestData.Random(m * k, 7);
        var b = TestData.Random(k * n, 8);
        var result = NpuSimulator.Run(spec, workload.Program, new Dictionary<string, byte[]> { ["a"] = TestData.Bytes(a), ["b"] = TestData.Bytes(b) });
        Assert.Equal(GemmWorkload.Reference(a, b, m, k, n), TestData.Ints(result.Outputs["c"]));
    }

    [Theory]
    [InlineData(KernelPath.Vnni)]
    [InlineData(KernelPath.Avx2)]
    [InlineData(KernelPath.Scalar)]
    public void Every_kernel_path_gives_the_same_result(KernelPath path)
    {
        const int m = 70, k = 64, n = 61;
        var workload = new GemmWorkload(TestData.Spec("large"), m, k, n, doubleBuffered: false);
        var a = TestData.Random(m * k, 5);
        var b = TestData.Random(k * n, 6);
        var result = NpuSimulator.Run(workload.Spec, workload.Program, new Dictionary<string, byte[]> { ["a"] = TestData.Bytes(a), ["b"] = TestData.Bytes(b) },
            new SimulationOptions { Kernel = path });
        Assert.Equal(GemmWorkload.Reference(a, b, m, k, n), TestData.Ints(result.Outputs["c"]));
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Large_gemm_is_within_five_percent_of_the_analytic_bound_and_double_buffering_is_faster(string config)
    {
        var spec = TestData.Spec(config);
        var single = new GemmWorkload(spec, 256, 256, 256, doubleBuffered: false);
        var twin = new GemmWorkload(spec, 256, 256, 256, doubleBuffered: true);
        long singleCycles = NpuSimulator.Run(spec, single.Program).Report.TotalCycles;
        long doubleCycles = NpuSimulator.Run(spec, twin.Program).Report.TotalCycles;
        double error = Math.Abs(doubleCycles - twin.AnalyticBound) / (double)twin.AnalyticBound;
        Assert.True(error <= 0.05, $"{config}: simulated {doubleCycles} cycles vs bound {twin.AnalyticBound} ({error:P1})");
        Assert.True(doubleCycles < singleCycles, $"{config}: double-buffered {doubleCycles} not faster than single-buffered {singleCycles}");
    }
}
