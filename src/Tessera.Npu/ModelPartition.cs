using Tessera.Compiler;
using Tessera.Hardware;
using Tessera.Integer;

namespace Tessera.Npu;

/// <summary>A value crossing a segment boundary: its ONNX shape, its NPU layout and whether the model declared
/// it uint8 (the host converts between the two layouts).</summary>
public sealed record BoundaryValue(string Name, int[] Shape, NpuLayout Layout, bool Unsigned);

/// <summary>One part of the partitioned program, in execution order: an NPU segment or a CPU step.</summary>
public abstract record PartitionItem;

/// <summary>Consecutive integer steps compiled into one NPU program.</summary>
public sealed record NpuSegment(int Index, IReadOnlyList<IntegerStep> Steps, CompiledNetwork Compiled,
    IReadOnlyList<BoundaryValue> Inputs, IReadOnlyList<BoundaryValue> Outputs, long Macs) : PartitionItem;

/// <summary>A step run by the integer reference executor on the CPU, and why it is not on the NPU.</summary>
public sealed record CpuStep(IntegerStep Step, string Reason, long Macs) : PartitionItem;

/// <summary>An integer program split between the NPU and the CPU for one configuration and input shape.</summary>
public sealed record ModelPartition(IntegerProgram Program, ProgramValues Values, NpuSpec Spec, IReadOnlyList<PartitionItem> Items)
{
    public IEnumerable<NpuSegment> Segments => Items.OfType<NpuSegment>();

    public IEnumerable<CpuStep> Fallbacks => Items.OfType<CpuStep>();

    public long NpuMacs => Segments.Sum(s => s.Macs);

    public long CpuMacs => Fallbacks.Sum(f => f.Macs);

    public double NpuMacFraction => NpuMacs + CpuMacs == 0 ? 0 : (double)NpuMacs / (NpuMacs + CpuMacs);

    /// <summary>The --explain text: each CPU step with its reason, then the MAC split.</summary>
    public string Explain()
    {
        var lines = new List<string>();
        foreach (var f in Fallbacks) lines.Add($"cpu  {f.Step.Kind} {f.Step.Name}: {f.Reason}" + (f.Macs > 0 ? $" ({f.Macs:N0} MACs)" : ""));
        foreach (var s in Segments) lines.Add($"npu  segment {s.Index}: {s.Steps.Count} steps, {s.Compiled.Network.Layers.Count} layers, {s.Macs:N0} MACs, {s.Compiled.Program.Instructions.Count} instructions");
        lines.Add($"MACs on the NPU: {NpuMacs:N0} of {NpuMacs + CpuMacs:N0} ({NpuMacFraction * 100:F2} %); {Segments.Count()} NPU segments, {Fallbacks.Count()} CPU steps");
        return string.Join('\n', lines);
    }
}
