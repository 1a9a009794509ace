using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Compiler;

namespace Tessera.Npu;

public sealed record SegmentReport(int Index, int Steps, long Macs, NetworkReport Network);

public sealed record CpuStepReport(string Step, string Kind, string Reason, long Macs);

/// <summary>A hybrid run's figures. Latency, energy and utilization are the simulator's for the NPU segments
/// (at the spec clock); the CPU steps and the host's layout conversions are not timed here (they are listed
/// with their MACs, so the share left on the CPU is visible).</summary>
public sealed record HybridReport(string Configuration, double ClockMegahertz, int ArrayMacs, IReadOnlyList<SegmentReport> Segments, IReadOnlyList<CpuStepReport> CpuSteps)
{
    public long Cycles => Segments.Sum(s => s.Network.Total.TotalCycles);

    /// <summary>Every NPU layer's figures, segment after segment (empty when the run had no layer reports).</summary>
    public IReadOnlyList<LayerReport> Layers => Segments.SelectMany(s => s.Network.Layers).ToList();

    public double LatencyMicroseconds => ClockMegahertz == 0 ? 0 : Cycles / ClockMegahertz;

    public double InferencesPerSecond => LatencyMicroseconds == 0 ? 0 : 1e6 / LatencyMicroseconds;

    public double EnergyMicrojoules => Segments.Sum(s => s.Network.EnergyMicrojoules);

    public long DramBytes => Segments.Sum(s => s.Network.DramBytes);

    public long NpuMacs => Segments.Sum(s => s.Macs);

    public long CpuMacs => CpuSteps.Sum(s => s.Macs);

    public double NpuMacFraction => NpuMacs + CpuMacs == 0 ? 0 : (double)NpuMacs / (NpuMacs + CpuMacs);

    /// <summary>NPU MACs / (cycles x array MACs) over the NPU segments.</summary>
    public double MacUtilization => Cycles == 0 ? 0 : (double)NpuMacs / (Cycles * (double)ArrayMacs);

    /// <summary>Effective int8 operations (2 per NPU MAC) per joule of NPU energy, in tera: TOPS/W.</summary>
    public double TopsPerWatt => EnergyMicrojoules == 0 ? 0 : 2.0 * NpuMacs / (EnergyMicrojoules * 1e-6) / 1e12;

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"'{Configuration}': {Cycles} cycles = {LatencyMicroseconds:F1} us at {ClockMegahertz} MHz, {InferencesPerSecond:F1} inferences/s, energy {EnergyMicrojoules:F2} uJ/inference, " +
        $"{TopsPerWatt:F3} effective TOPS/W, MAC utilization {MacUtilization * 100:F1} %, DRAM {DramBytes} bytes, NPU MACs {NpuMacs} of {NpuMacs + CpuMacs} ({NpuMacFraction * 100:F2} %), " +
        $"{Segments.Count} NPU segments, {CpuSteps.Count} CPU steps");

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        foreach (var segment in Segments)
        {
            text.AppendLine(c, $"### NPU segment {segment.Index} ({segment.Steps} steps)");
            text.AppendLine();
            text.AppendLine(segment.Network.ToMarkdown());
        }
        if (CpuSteps.Count > 0)
        {
            text.AppendLine("### CPU steps");
            text.AppendLine();
            text.AppendLine("| step | kind | MACs | reason |");
            text.AppendLine("| --- | --- | --- | --- |");
            foreach (var s in CpuSteps) text.AppendLine(c, $"| {s.Step} | {s.Kind} | {s.Macs} | {s.Reason} |");
            text.AppendLine();
        }
        text.AppendLine(Summary());
        return text.ToString();
    }

    /// <summary>The summary figures as JSON fields: the one place every writer of NPU run figures takes them
    /// from (<see cref="ToJson"/>, <c>tessera compare --json</c>).</summary>
    public JsonObject SummaryJson() => new()
    {
        ["configuration"] = Configuration,
        ["cycles"] = Cycles,
        ["latency_us"] = LatencyMicroseconds,
        ["clock_mhz"] = ClockMegahertz,
        ["inferences_per_second"] = InferencesPerSecond,
        ["energy_uj"] = EnergyMicrojoules,
        ["effective_tops_per_watt"] = TopsPerWatt,
        ["mac_utilization"] = MacUtilization,
        ["dram_bytes"] = DramBytes,
        ["npu_macs"] = NpuMacs,
        ["cpu_macs"] = CpuMacs,
        ["npu_mac_fraction"] = NpuMacFraction,
        ["segments"] = Segments.Count,
    };

    /// <summary>One NPU layer's figures as JSON fields.</summary>
    public static JsonObject LayerJson(LayerReport l) => new()
    {
        ["name"] = l.Name,
        ["kind"] = l.Kind,
        ["shape"] = l.Shape,
        ["macs"] = l.Macs,
        ["cycles"] = l.Cycles,
        ["mac_utilization"] = l.MacUtilization,
        ["dram_bytes"] = l.DramBytes,
        ["energy_pj"] = l.EnergyPicojoules,
        ["estimated_cycles"] = l.EstimatedCycles,
        ["decision"] = l.Decision,
        ["program_cycles"] = l.ProgramCycles,
        ["program_mac_utilization"] = l.ProgramUtilization,
    };

    /// <summary>The steps that ran on the CPU, with why, as JSON.</summary>
    public JsonArray CpuStepsJson() => new(CpuSteps.Select(s => (JsonNode)new JsonObject
    {
        ["step"] = s.Step,
        ["kind"] = s.Kind,
        ["reason"] = s.Reason,
        ["macs"] = s.Macs,
    }).ToArray());

    /// <summary>The summary fields with the CPU steps and every layer, segment after segment, in one flat object.</summary>
    public JsonObject FlatJson()
    {
        var document = SummaryJson();
        document["cpu_steps"] = CpuStepsJson();
        document["layers"] = new JsonArray(Layers.Select(l => (JsonNode)LayerJson(l)).ToArray());
        return document;
    }

    /// <summary>The report as JSON (summary, segments with their layers, CPU steps).</summary>
    public string ToJson()
    {
        var document = new JsonObject
        {
            ["configuration"] = Configuration,
            ["summary"] = SummaryJson(),
            ["segments"] = new JsonArray(Segments.Select(s => (JsonNode)new JsonObject
            {
                ["index"] = s.Index,
                ["steps"] = s.Steps,
                ["macs"] = s.Macs,
                ["cycles"] = s.Network.Total.TotalCycles,
                ["energy_uj"] = s.Network.EnergyMicrojoules,
                ["dram_bytes"] = s.Network.DramBytes,
                ["layers"] = new JsonArray(s.Network.Layers.Select(l => (JsonNode)LayerJson(l)).ToArray()),
            }).ToArray()),
            ["cpu_steps"] = CpuStepsJson(),
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
