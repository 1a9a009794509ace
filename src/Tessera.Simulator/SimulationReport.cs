using Tessera.Hardware;

namespace Tessera.Simulator;

/// <summary>Hardware units that appear in reports and trace tracks.</summary>
public enum Unit
{
    LoadDma = 0,
    Array = 1,
    Vector = 2,
    StoreDma = 3,
}

/// <summary>One instruction's occupancy of its unit, for the trace.</summary>
public readonly record struct TraceEvent(Unit Unit, int InstructionIndex, string Name, long Start, long End);

/// <summary>Energy by component, in picojoules.</summary>
public sealed record EnergyBreakdown(double Mac, double Vector, double Sram, double Dram, double Static)
{
    public double Total => Mac + Vector + Sram + Dram + Static;
}

/// <summary>What one run cost on the modelled NPU. Cycle and energy figures are estimates of the model
/// described in docs/npu.md (DESIGN.md habit 6), labelled with the configuration they came from.</summary>
public sealed class SimulationReport
{
    public required string Configuration { get; init; }
    public required string Model { get; init; }
    public long TotalCycles { get; set; }
    public double ClockMegahertz { get; init; }
    public double LatencyMicroseconds => TotalCycles / ClockMegahertz;
    public long[] BusyCycles { get; } = new long[4];
    public long Instructions { get; set; }
    public long Macs { get; set; }
    public long ArrayMacSlots { get; init; }
    public long VectorElementOperations { get; set; }
    public long DramBytesRead { get; set; }
    public long DramBytesWritten { get; set; }
    public long[] SramBytesRead { get; } = new long[3];
    public long[] SramBytesWritten { get; } = new long[3];
    public EnergyBreakdown Energy { get; set; } = new(0, 0, 0, 0, 0);

    /// <summary>Fraction of the run each unit was busy.</summary>
    public double Busy(Unit unit) => TotalCycles == 0 ? 0 : (double)BusyCycles[(int)unit] / TotalCycles;

    /// <summary>Useful MACs over the MACs the array could have done in the run.</summary>
    public double MacUtilization => TotalCycles == 0 ? 0 : (double)Macs / (TotalCycles * ArrayMacSlots);

    public void ComputeEnergy(NpuSpec spec)
    {
        var e = spec.Energy;
        double sram = SramBytesRead.Sum() * e.SramReadPicojoulesPerByte + SramBytesWritten.Sum() * e.SramWritePicojoulesPerByte;
        double seconds = TotalCycles / (spec.ClockMegahertz * 1e6);
        Energy = new EnergyBreakdown(
            Macs * e.MacPicojoules,
            VectorElementOperations * e.VectorOperationPicojoules,
            sram,
            (DramBytesRead + DramBytesWritten) * e.DramPicojoulesPerByte,
            e.StaticMilliwatts * 1e-3 * seconds * 1e12);
    }

    /// <summary>Plain object for JSON reports.</summary>
    public object ToJson() => new
    {
        configuration = Configuration,
        model = Model,
        total_cycles = TotalCycles,
        clock_mhz = ClockMegahertz,
        latency_us = LatencyMicroseconds,
        instructions = Instructions,
        macs = Macs,
        mac_utilization = MacUtilization,
        busy = Enum.GetValues<Unit>().ToDictionary(u => u.ToString(), Busy),
        dram_bytes_read = DramBytesRead,
        dram_bytes_written = DramBytesWritten,
        sram_bytes_read = Enum.GetValues<MemoryKind>().ToDictionary(m => m.ToString(), m => SramBytesRead[(int)m]),
        sram_bytes_written = Enum.GetValues<MemoryKind>().ToDictionary(m => m.ToString(), m => SramBytesWritten[(int)m]),
        vector_element_operations = VectorElementOperations,
        energy_pj = new { mac = Energy.Mac, vector = Energy.Vector, sram = Energy.Sram, dram = Energy.Dram, @static = Energy.Static, total = Energy.Total },
    };
}
