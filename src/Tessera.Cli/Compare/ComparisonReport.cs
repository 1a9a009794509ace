using Tessera.Hardware;
using Tessera.Npu;
using Tessera.Passes;

namespace Tessera.Cli.Compare;

/// <summary>Latency of one engine measured on this machine: percentiles over <see cref="Runs"/> timed runs.</summary>
public sealed record LatencyFigures(string Engine, int Runs, double MedianMs, double P10Ms, double P90Ms)
{
    public double InferencesPerSecond => 1000.0 / MedianMs;

    public static LatencyFigures FromTimes(string engine, IReadOnlyList<double> milliseconds)
    {
        if (milliseconds.Count == 0) throw new ArgumentException("no timed runs", nameof(milliseconds));
        var sorted = milliseconds.Order().ToArray();
        double At(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        return new LatencyFigures(engine, sorted.Length, At(0.5), At(0.1), At(0.9));
    }
}

/// <summary>How closely the int8 model's output follows the float model's on the same input.</summary>
public sealed record OutputAgreement(string Output, double Cosine, double MaxAbsDifference, double FloatMaxAbs);

/// <summary>One NPU configuration from configs/npu: its roof (peak MACs per second and DRAM bandwidth, both
/// from the spec) and, when the int8 model has been compiled for it, the hybrid run's report (NPU segments
/// simulated at the spec clock; the steps left on the CPU are listed, not timed).</summary>
public sealed record NpuConfiguration(NpuSpec Spec, HybridReport? Simulation)
{
    public double PeakMacsPerSecond => Spec.MacCount * Spec.ClockMegahertz * 1e6;

    public double DramBytesPerSecond => Spec.DramBytesPerCycle * Spec.ClockMegahertz * 1e6;

    /// <summary>MACs per DRAM byte above which a layer can be compute bound.</summary>
    public double RidgeIntensity => PeakMacsPerSecond / DramBytesPerSecond;

    public double AttainableMacsPerSecond(double intensity) => Math.Min(PeakMacsPerSecond, intensity * DramBytesPerSecond);
}

/// <summary>A model's layer as the roofline sees it: MACs and int8 bytes moved (inputs, outputs and weights once
/// each, from the cost analysis scaled to one byte per element).</summary>
public sealed record RooflineLayer(string Name, string OpType, long Macs, double Int8Bytes)
{
    public double Intensity => Int8Bytes == 0 ? 0 : Macs / Int8Bytes;
}

/// <summary>Everything `tessera compare` measured or derived for one model, the input of the HTML page, the
/// JSON document and the plots. NPU figures come only from <see cref="NpuConfiguration.Simulation"/>;
/// nothing is filled in where no simulation exists.</summary>
public sealed class ComparisonReport
{
    public const string CpuEnergyNote = "not measured (no power meter)";

    public const string NpuNotSimulatedNote = "NPU: not simulated (give --quantized with the int8 QDQ model)";

    public required string Model { get; init; }

    public required IReadOnlyDictionary<string, int[]> InputShapes { get; init; }

    public required int Threads { get; init; }

    public required string Machine { get; init; }

    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Engines timed on this machine, in the order they ran.</summary>
    public IReadOnlyList<LatencyFigures> Latencies { get; init; } = [];

    /// <summary>The quantized model compared with the float model, or null when none was given.</summary>
    public string? QuantizedModel { get; init; }

    public IReadOnlyList<OutputAgreement> Agreement { get; init; } = [];

    /// <summary>The float model's per-node costs (optimized graph, shapes bound to <see cref="InputShapes"/>).</summary>
    public required CostReport Cost { get; init; }

    /// <summary>Bytes per element of the float model's activations; the int8 NPU moves one per element.</summary>
    public int FloatBytesPerElement { get; init; } = 4;

    public IReadOnlyList<NpuConfiguration> Npu { get; init; } = [];

    public IReadOnlyList<RooflineLayer> RooflineLayers =>
        Cost.Layers.Where(l => l.Macs > 0 && l.ShapesKnown)
            .Select(l => new RooflineLayer(l.Name, l.OpType, l.Macs, (double)l.TotalBytes / FloatBytesPerElement)).ToList();
}
