using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Tessera.Quantization;

/// <summary>Writes an <see cref="AnalysisResult"/> as JSON (for scripts) or as a self-contained HTML table.</summary>
public static class AnalysisReport
{
    private static double? Finite(double v) => double.IsFinite(v) ? System.Math.Round(v, 6) : null;

    public static string ToJson(AnalysisResult result)
    {
        var document = new
        {
            output_cosine = Finite(result.OutputCosine),
            outputs = result.Outputs.Select(o => new { name = o.Key, cosine = Finite(o.Value.Cosine), snr_db = Finite(o.Value.SnrDb), max_abs_error = Finite(o.Value.MaxAbsError) }),
            layers = result.Layers.Select(l => new
            {
                node = l.Node,
                op = l.OpType,
                tensor = l.Tensor,
                macs = l.Macs,
                quantized = l.Local is not null,
                accumulated = new { cosine = Finite(l.Accumulated.Cosine), snr_db = Finite(l.Accumulated.SnrDb), max_abs_error = Finite(l.Accumulated.MaxAbsError) },
                local = l.Local is null ? null : new { cosine = Finite(l.Local.Cosine), snr_db = Finite(l.Local.SnrDb), max_abs_error = Finite(l.Local.MaxAbsError) },
            }),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
    }

    public static string ToHtml(AnalysisResult result, string title)
    {
        static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : v > 0 ? "inf" : "-inf";
        static string Cell(string s) => $"<td>{WebUtility.HtmlEncode(s)}</td>";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>");
        html.Append("<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,td:nth-child(2){text-align:left}.bad{background:#fdd}</style></head><body>");
        html.Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>");
        html.Append(CultureInfo.InvariantCulture, $"<p>lowest output cosine: {F(result.OutputCosine, "F5")}</p><table><tr><th>output</th><th>cosine</th><th>SNR dB</th><th>max abs error</th></tr>");
        foreach (var (name, m) in result.Outputs) html.Append("<tr>").Append(Cell(name)).Append(Cell(F(m.Cosine, "F5"))).Append(Cell(F(m.SnrDb, "F1"))).Append(Cell(F(m.MaxAbsError, "G4"))).Append("</tr>");
        html.Append("</table><h2>Layers, worst first</h2><table><tr><th>node</th><th>op</th><th>MACs</th><th>cosine (accumulated)</th><th>SNR dB</th><th>max abs error</th><th>cosine (local)</th><th>SNR dB</th><th>max abs error</th></tr>");
        foreach (var l in result.Layers)
        {
            html.Append(l.RankingCosine < 0.99 ? "<tr class=\"bad\">" : "<tr>");
            html.Append(Cell(l.Node)).Append(Cell(l.OpType)).Append(Cell(l.Macs.ToString("N0", CultureInfo.InvariantCulture)));
            html.Append(Cell(F(l.Accumulated.Cosine, "F5"))).Append(Cell(F(l.Accumulated.SnrDb, "F1"))).Append(Cell(F(l.Accumulated.MaxAbsError, "G4")));
            if (l.Local is { } local) html.Append(Cell(F(local.Cosine, "F5"))).Append(Cell(F(local.SnrDb, "F1"))).Append(Cell(F(local.MaxAbsError, "G4")));
            else html.Append(Cell("-")).Append(Cell("")).Append(Cell(""));
            html.Append("</tr>");
        }
        html.Append("</table></body></html>");
        return html.ToString();
    }
}
