using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Cli.Compare;

/// <summary>The report as JSON: the same figures as the HTML page (every layer, not only the largest) and the
/// same plots as base64 PNG. Absent measurements are null with the reason beside them, never zero.</summary>
public static class ComparisonJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Render(ComparisonReport report, IReadOnlyList<ReportFigure> figures) => JsonSerializer.Serialize(new
    {
        model = report.Model,
        inputs = report.InputShapes,
        threads = report.Threads,
        machine = report.Machine,
        created = report.Created,
        latencies = report.Latencies.Select(l => new
        {
            engine = l.Engine, runs = l.Runs, median_ms = l.MedianMs, p10_ms = l.P10Ms, p90_ms = l.P90Ms,
            inferences_per_second = l.InferencesPerSecond, energy = ComparisonReport.CpuEnergyNote,
        }),
        agreement = report.QuantizedModel is null ? null : new
        {
            quantized_model = report.QuantizedModel,
            outputs = report.Agreement.Select(a => new { output = a.Output, cosine = a.Cosine, max_abs_difference = a.MaxAbsDifference, float_max_abs = a.FloatMaxAbs }),
        },
        agreement_note = report.QuantizedModel is null ? "not measured: no quantized model given (--quantized FILE)" : null,
        cost = new
        {
            macs = report.Cost.Macs,
            parameter_bytes = report.Cost.ParameterBytes,
            nodes = report.Cost.Layers.Count,
            layers = report.RooflineLayers.Select(l => new { name = l.Name, op = l.OpType, macs = l.Macs, int8_bytes = l.Int8Bytes, intensity = l.Intensity }),
        },
        npu = report.Npu.Select(n => new
        {
            config = n.Spec.Name,
            array = new[] { n.Spec.ArrayRows, n.Spec.ArrayColumns },
            clock_mhz = n.Spec.ClockMegahertz,
            peak_macs_per_second = n.PeakMacsPerSecond,
            dram_bytes_per_second = n.DramBytesPerSecond,
            ridge_intensity = n.RidgeIntensity,
            energy_source = n.Spec.Energy.Source,
            note = n.Simulation is null ? ComparisonReport.NpuNotSimulatedNote : null,
            simulation = n.Simulation?.FlatJson(),
        }),
        figures = figures.Select(f => new { name = f.Name, title = f.Title, caption = f.Caption, png_base64 = Convert.ToBase64String(f.Png) }),
    }, Options);
}
