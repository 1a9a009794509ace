using System.Globalization;
using System.Text;
using Tessera.Core;

namespace Tessera.Rtl;

/// <summary>The synthesis table as markdown, and its place in docs/rtl.md between two markers so that rerunning
/// `tessera rtl synth --docs` replaces the previous table instead of appending another.</summary>
public static class SynthesisReport
{
    public const string BeginMarker = "<!-- rtl-synth-table:begin (written by `tessera rtl synth --docs`) -->";
    public const string EndMarker = "<!-- rtl-synth-table:end -->";

    public static string Markdown(IReadOnlyList<SynthesisResult> results, string machine)
    {
        var text = new StringBuilder();
        text.Append("| config | module | MACs | instances | cells (generic gates) | flip-flops | multipliers | transistors (CMOS estimate) | method | yosys time |\n");
        text.Append("|---|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
        foreach (var r in results)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| {r.Config} | {r.Module} | {Group(r.MacCount)} | {Group(r.Instances)} | {Group(r.Cells)} | {Group(r.FlipFlops)} | {Group(r.Multipliers)} | {Group(r.Transistors)} | {r.Method.ToString().ToLowerInvariant()} | {r.Seconds:F0} s |\n");
        }
        foreach (var config in results.GroupBy(r => r.Config))
        {
            var rows = config.ToList();
            if (rows.Count < 2) continue;
            text.Append(CultureInfo.InvariantCulture,
                $"| {config.Key} | **array + requantize** | {Group(rows[0].MacCount)} | | {Group(rows.Sum(r => r.Cells))} | {Group(rows.Sum(r => r.FlipFlops))} | {Group(rows.Sum(r => r.Multipliers))} | {Group(rows.Sum(r => r.Transistors))} | | {rows.Sum(r => r.Seconds):F0} s |\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"\nMeasured {DateTime.UtcNow:yyyy-MM-dd} on {machine}.\n");
        return text.ToString();
    }

    /// <summary>Replaces what lies between the markers (markers kept); appends a marked section when the
    /// document has none yet.</summary>
    public static string ReplaceBetweenMarkers(string document, string content)
    {
        int begin = document.IndexOf(BeginMarker, StringComparison.Ordinal);
        int end = document.IndexOf(EndMarker, StringComparison.Ordinal);
        if (begin < 0 && end < 0)
        {
            return document.TrimEnd('\n') + "\n\n" + BeginMarker + "\n" + content.TrimEnd('\n') + "\n" + EndMarker + "\n";
        }
        if (begin < 0 || end < begin) throw new InvalidInputException("the synthesis table markers are missing or out of order", BeginMarker);
        return document[..(begin + BeginMarker.Length)] + "\n" + content.TrimEnd('\n') + "\n" + document[end..];
    }

    private static string Group(long value) => value.ToString("#,0", CultureInfo.InvariantCulture).Replace(',', ' ');
}
