using System.Globalization;
using System.Net;
using System.Text;

namespace Tessera.Cli.Compare;

/// <summary>Renders a <see cref="ComparisonReport"/> as ONE self-contained HTML page: inline CSS, plots as
/// data: URIs, no scripts and no external URLs. The markup is well-formed XML (every element closed,
/// attributes quoted, text escaped) so tests and tools can parse it.</summary>
public static class ComparisonHtml
{
    private const string Style = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; line-height: 1.45; }
        h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 20px; margin-top: 32px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
        .meta { color: #555; font-size: 14px; } .note { background: #fff6e0; border-left: 4px solid #e0a000; padding: 8px 12px; margin: 12px 0; }
        table { border-collapse: collapse; margin: 12px 0; font-size: 14px; } th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        th { background: #f0f3f7; } td.name, th.name { text-align: left; } tr.npu td { background: #fff8ef; }
        figure { margin: 16px 0; } figure img { width: 100%; max-width: 960px; border: 1px solid #ddd; } figcaption { font-size: 13px; color: #555; }
        """;

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string N(double value, string format = "F2") => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Render(ComparisonReport report, IReadOnlyList<ReportFigure> figures)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\" />");
        html.AppendLine($"<title>{E($"Tessera compare: {report.Model}")}</title>");
        html.AppendLine($"<style>{Style}</style></head><body>");
        html.AppendLine($"<h1>{E(report.Model)}: CPU and NPU compared</h1>");
        string inputs = string.Join(", ", report.InputShapes.Select(p => $"{p.Key} {string.Join('x', p.Value)}"));
        html.AppendLine($"<p class=\"meta\">Inputs {E(inputs)} · {report.Threads} thread(s) · {E(report.Machine)} · {E(report.Created.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))}</p>");
        Summary(html, report);
        Agreement(html, report);
        html.AppendLine("<h2>Plots</h2>");
        foreach (var figure in figures)
        {
            html.AppendLine($"<figure id=\"{E(figure.Name)}\"><img src=\"{figure.DataUri}\" alt=\"{E(figure.Title)}\" />");
            html.AppendLine($"<figcaption>{E(figure.Caption)}</figcaption></figure>");
        }
        Configurations(html, report);
        Layers(html, report);
        foreach (var npu in report.Npu.Where(n => n.Simulation is not null)) NpuLayers(html, npu);
        html.AppendLine("<h2>How these figures were made</h2><ul>");
        html.AppendLine("<li>CPU latencies are wall-clock times of single inferences on this machine, engines interleaved run by run (so load from other processes hits them alike), same inputs, same process; ONNX Runtime runs the original model with its default optimizations.</li>");
        html.AppendLine($"<li>CPU energy is {E(ComparisonReport.CpuEnergyNote)}. NPU energy comes from the simulator's per-operation energy model (the spec's energy source is listed per configuration).</li>");
        html.AppendLine("<li>Arithmetic intensity is MACs over the bytes a layer reads and writes (inputs, outputs, weights once each) from Tessera's cost analysis, counted at one byte per element as the int8 NPU moves them (int32 biases are counted as one byte).</li>");
        html.AppendLine("<li>The roof of each configuration is its array's MACs x clock and its DRAM bytes per cycle x clock, both from configs/npu.</li>");
        html.AppendLine("</ul></body></html>");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, ComparisonReport report)
    {
        html.AppendLine("<h2>Latency, throughput, energy</h2>");
        html.AppendLine("<table><tr><th class=\"name\">engine</th><th class=\"name\">how</th><th>median ms</th><th>p10 ms</th><th>p90 ms</th><th>inferences/s</th><th>energy per inference</th><th>effective TOPS/W</th><th>MAC utilization</th></tr>");
        foreach (var l in report.Latencies)
        {
            html.AppendLine($"<tr><td class=\"name\">{E(l.Engine)}</td><td class=\"name\">measured, {l.Runs} runs</td><td>{N(l.MedianMs, "F3")}</td><td>{N(l.P10Ms, "F3")}</td><td>{N(l.P90Ms, "F3")}</td>" +
                $"<td>{N(l.InferencesPerSecond, "F1")}</td><td class=\"name\">{E(ComparisonReport.CpuEnergyNote)}</td><td>-</td><td>-</td></tr>");
        }
        foreach (var npu in report.Npu)
        {
            if (npu.Simulation is { } s)
            {
                html.AppendLine($"<tr class=\"npu\"><td class=\"name\">NPU {E(npu.Spec.Name)}</td><td class=\"name\">simulated at {N(npu.Spec.ClockMegahertz, "F0")} MHz</td><td>{N(s.LatencyMicroseconds / 1000, "F3")}</td><td>-</td><td>-</td>" +
                    $"<td>{N(s.InferencesPerSecond, "F1")}</td><td>{N(s.EnergyMicrojoules, "F2")} µJ</td><td>{N(s.TopsPerWatt, "F2")}</td><td>{N(s.MacUtilization * 100, "F1")} %</td></tr>");
            }
            else
            {
                html.AppendLine($"<tr class=\"npu\"><td class=\"name\">NPU {E(npu.Spec.Name)}</td><td class=\"name\" colspan=\"8\">{E(ComparisonReport.NpuNotSimulatedNote)}</td></tr>");
            }
        }
        html.AppendLine("</table>");
        if (report.Npu.Count > 0 && report.Npu.All(n => n.Simulation is null))
        {
            html.AppendLine($"<p class=\"note\">{E(ComparisonReport.NpuNotSimulatedNote)}. The roofline plots below place the model's layers under each configuration's roof by their arithmetic intensity; they are bounds from the spec, not simulated results.</p>");
        }
    }

    private static void Agreement(StringBuilder html, ComparisonReport report)
    {
        html.AppendLine("<h2>int8 against float</h2>");
        if (report.QuantizedModel is null)
        {
            html.AppendLine("<p class=\"note\">Not measured: no quantized model was given (make one with <code>tessera quantize</code> and pass it with <code>--quantized FILE</code>).</p>");
            return;
        }
        html.AppendLine($"<p>{E(report.QuantizedModel)} on Tessera's integer executor (the arithmetic the NPU implements) against the float model on the cpu backend, both fed the same seeded input (uniform in [0, 1)); real inputs may agree differently.</p>");
        html.AppendLine("<table><tr><th class=\"name\">output</th><th>cosine similarity</th><th>max abs difference</th><th>float max abs</th></tr>");
        foreach (var a in report.Agreement)
        {
            html.AppendLine($"<tr><td class=\"name\">{E(a.Output)}</td><td>{N(a.Cosine, "F5")}</td><td>{N(a.MaxAbsDifference, "G4")}</td><td>{N(a.FloatMaxAbs, "G4")}</td></tr>");
        }
        html.AppendLine("</table>");
    }

    private static void Configurations(StringBuilder html, ComparisonReport report)
    {
        if (report.Npu.Count == 0) return;
        html.AppendLine("<h2>NPU configurations (configs/npu)</h2>");
        html.AppendLine("<table><tr><th class=\"name\">config</th><th>array</th><th>clock MHz</th><th>peak GMAC/s</th><th>peak int8 TOPS</th><th>DRAM GB/s</th><th>ridge MACs/byte</th><th class=\"name\">energy model</th></tr>");
        foreach (var npu in report.Npu)
        {
            var s = npu.Spec;
            html.AppendLine($"<tr><td class=\"name\">{E(s.Name)}</td><td>{s.ArrayRows}x{s.ArrayColumns}</td><td>{N(s.ClockMegahertz, "F0")}</td><td>{N(npu.PeakMacsPerSecond / 1e9, "F1")}</td>" +
                $"<td>{N(s.PeakOperationsPerSecond / 1e12, "F3")}</td><td>{N(npu.DramBytesPerSecond / 1e9, "F1")}</td><td>{N(npu.RidgeIntensity, "F1")}</td><td class=\"name\">{E(s.Energy.Source)}</td></tr>");
        }
        html.AppendLine("</table>");
    }

    private static void Layers(StringBuilder html, ComparisonReport report, int top = 20)
    {
        var cost = report.Cost;
        var layers = report.RooflineLayers.OrderByDescending(l => l.Macs).Take(top).ToList();
        html.AppendLine("<h2>Per-layer cost (cost analysis of the optimized float graph)</h2>");
        html.AppendLine($"<p>{Count(cost.Macs)} MACs in {cost.Layers.Count} nodes ({report.RooflineLayers.Count} with MACs); {Count(cost.ParameterBytes)} parameter bytes. The {layers.Count} layers with the most MACs:</p>");
        html.Append("<table><tr><th class=\"name\">layer</th><th class=\"name\">op</th><th>MACs</th><th>share</th><th>int8 bytes</th><th>MACs/byte</th>");
        foreach (var npu in report.Npu) html.Append($"<th>bound on {E(npu.Spec.Name)}</th>");
        html.AppendLine("</tr>");
        foreach (var l in layers)
        {
            html.Append($"<tr><td class=\"name\">{E(l.Name)}</td><td class=\"name\">{E(l.OpType)}</td><td>{Count(l.Macs)}</td><td>{N(100.0 * l.Macs / Math.Max(1, cost.Macs), "F1")} %</td><td>{Count((long)l.Int8Bytes)}</td><td>{N(l.Intensity, "F1")}</td>");
            foreach (var npu in report.Npu) html.Append($"<td>{(l.Intensity < npu.RidgeIntensity ? "memory" : "compute")}</td>");
            html.AppendLine("</tr>");
        }
        html.AppendLine("</table>");
    }

    private static void NpuLayers(StringBuilder html, NpuConfiguration npu)
    {
        var s = npu.Simulation!;
        html.AppendLine($"<h2>NPU '{E(npu.Spec.Name)}': simulated layers</h2>");
        html.AppendLine($"<p>{Count(s.Cycles)} cycles = {N(s.LatencyMicroseconds, "F1")} µs at {N(s.ClockMegahertz, "F0")} MHz, {N(s.InferencesPerSecond, "F1")} inferences/s, " +
            $"{Count(s.NpuMacs)} MACs on the NPU ({N(s.NpuMacFraction * 100, "F2")} % of the model's), MAC utilization {N(s.MacUtilization * 100, "F1")} %, DRAM {Count(s.DramBytes)} bytes, {N(s.EnergyMicrojoules, "F2")} µJ per inference, {N(s.TopsPerWatt, "F2")} effective TOPS/W; " +
            $"{s.Segments.Count} NPU segment(s), {s.CpuSteps.Count} step(s) on the CPU (not timed).</p>");
        html.AppendLine("<table><tr><th class=\"name\">layer</th><th class=\"name\">kind</th><th class=\"name\">output</th><th>MACs</th><th>cycles</th><th>MAC util.</th><th>DRAM bytes</th><th>energy nJ</th></tr>");
        foreach (var l in s.Layers)
        {
            html.AppendLine($"<tr><td class=\"name\">{E(l.Name)}</td><td class=\"name\">{E(l.Kind)}</td><td class=\"name\">{E(l.Shape)}</td><td>{Count(l.Macs)}</td><td>{Count(l.Cycles)}</td>" +
                $"<td>{N(l.MacUtilization * 100, "F1")} %</td><td>{Count(l.DramBytes)}</td><td>{N(l.EnergyPicojoules / 1000, "F1")}</td></tr>");
        }
        html.AppendLine("</table>");
    }
}
