using System.Text.Json;
using Tessera.Simulator.Workloads;

namespace Tessera.Simulator.Tests;

public class ReportTests
{
    [Fact]
    public void Report_accounts_for_traffic_energy_and_trace()
    {
        var spec = TestData.Spec("small");
        var workload = new GemmWorkload(spec, 64, 64, 64, doubleBuffered: true);
        var result = NpuSimulator.Run(spec, workload.Program, options: new SimulationOptions { Trace = true });
        var report = result.Report;
        Assert.Equal(workload.Macs, report.Macs);
        Assert.Equal(2L * 64 * 64 + 64 * 64, report.DramBytesRead); // A is read once per 32-column tile of B
        Assert.Equal(64L * 64 * 4, report.DramBytesWritten);
        Assert.InRange(report.MacUtilization, 0.01, 1.0);
        foreach (var unit in Enum.GetValues<Unit>()) Assert.InRange(report.Busy(unit), 0.0, 1.0);
        Assert.True(report.Energy.Dram > 0 && report.Energy.Mac > 0 && report.Energy.Sram > 0 && report.Energy.Static > 0);
        Assert.Equal(report.Macs * spec.Energy.MacPicojoules, report.Energy.Mac, 6);
        Assert.Equal(workload.Program.Instructions.Count - 1, result.Trace.Count);
        using var trace = JsonDocument.Parse(TraceWriter.Write(result.Trace, spec));
        var events = trace.RootElement.EnumerateArray().ToList();
        Assert.Equal(4, events.Count(e => e.GetProperty("name").GetString() == "thread_name"));
        Assert.Contains(events, e => e.GetProperty("name").GetString() == "gemm" && e.GetProperty("tid").GetInt32() == (int)Unit.Array);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(report.ToJson()));
        Assert.Equal(report.TotalCycles, json.RootElement.GetProperty("total_cycles").GetInt64());
    }

    [Fact]
    public void Double_buffering_overlaps_loads_with_compute_in_the_trace()
    {
        var spec = TestData.Spec("large");
        var result = NpuSimulator.Run(spec, new GemmWorkload(spec, 256, 256, 256, doubleBuffered: true).Program, options: new SimulationOptions { Trace = true });
        var loads = result.Trace.Where(e => e.Unit == Unit.LoadDma).ToList();
        var gemms = result.Trace.Where(e => e.Unit == Unit.Array).ToList();
        Assert.Contains(gemms, g => loads.Any(l => l.Start < g.End && g.Start < l.End));
    }
}
