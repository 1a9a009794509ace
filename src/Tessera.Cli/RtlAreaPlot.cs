using Tessera.Core;
using Tessera.Rtl;

namespace Tessera.Cli;

/// <summary>The area-against-MACs plot of `tessera rtl synth --docs`: generic gate cells of the array, of the
/// requantize path and of both, one point per configuration.</summary>
internal static class RtlAreaPlot
{
    public static void Write(IReadOnlyList<SynthesisResult> results, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (label, select) in new (string, Func<IEnumerable<SynthesisResult>, double>)[]
        {
            ("systolic array", rows => rows.Where(r => r.Module == Synthesis.ArrayModule).Sum(r => (double)r.Cells)),
            ("vector requantize", rows => rows.Where(r => r.Module == Synthesis.RequantizeModule).Sum(r => (double)r.Cells)),
            ("array + requantize", rows => rows.Sum(r => (double)r.Cells)),
        })
        {
            var configs = results.GroupBy(r => r.Config).OrderBy(g => g.First().MacCount).ToList();
            double[] macs = configs.Select(g => (double)g.First().MacCount).ToArray();
            double[] cells = configs.Select(g => select(g)).ToArray();
            var scatter = plot.Add.Scatter(macs, cells);
            scatter.LegendText = label;
            scatter.MarkerSize = 8;
            if (label == "array + requantize")
            {
                for (int i = 0; i < configs.Count; i++) plot.Add.Text(configs[i].Key, macs[i], cells[i]);
            }
        }
        plot.Title("Yosys generic synthesis: area against MAC count");
        plot.XLabel("MACs (array rows x columns)");
        plot.YLabel("cells (generic gates after ABC)");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 560, ScottPlot.ImageFormat.Png));
    }
}
