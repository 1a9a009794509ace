using ScottPlot;
using Tessera.Augment.Text;
using Tessera.Core;
using Tessera.Quantization.Robustness;

namespace Tessera.Cli;

/// <summary>The PNG of <c>tessera robustness</c>: output cosine against perturbation strength for the float
/// and the int8 model and, when the model makes a decision, a second panel with the decision agreement.</summary>
internal static class RobustnessPlot
{
    public const int Width = 900;
    public const int PanelHeight = 380;

    public static void Write(RobustnessResult result, string title, string path)
    {
        bool decisions = result.Decision is not null && result.Points.All(p => p.FloatAgreement is not null && p.QuantizedAgreement is not null);
        UseInstalledFont();
        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(decisions ? 2 : 1);
        double[] levels = result.Points.Select(p => p.Level).ToArray();
        var cosine = multiplot.GetPlot(0);
        Add(cosine, levels, result.Points.Select(p => p.FloatCosine).ToArray(), result.Points.Select(p => p.QuantizedCosine).ToArray());
        cosine.Title($"{title}: {result.Sweep.Name} sweep ({result.Files} files)");
        cosine.YLabel("output cosine vs clean float");
        cosine.XLabel(result.Sweep.Quantity);
        if (decisions)
        {
            var agreement = multiplot.GetPlot(1);
            Add(agreement, levels, result.Points.Select(p => 100 * p.FloatAgreement!.Value).ToArray(), result.Points.Select(p => 100 * p.QuantizedAgreement!.Value).ToArray());
            agreement.YLabel($"{result.Decision} agreement with clean float (%)");
            agreement.XLabel(result.Sweep.Quantity);
        }
        // ScottPlot writes a multiplot only to a file; write it beside the target and publish it atomically.
        var staging = Path.Combine(Path.GetTempPath(), $"tessera-robustness-{Guid.NewGuid():N}.png");
        try
        {
            multiplot.SavePng(staging, Width, PanelHeight * (decisions ? 2 : 1));
            AtomicFile.WriteAllBytes(path, File.ReadAllBytes(staging));
        }
        finally
        {
            File.Delete(staging);
        }
    }

    /// <summary>The CLI loads SkiaSharp's native library without fontconfig (the dependency-free build the text
    /// renderer uses), so ScottPlot finds no system font and would draw no text; give it DejaVu Sans by file.</summary>
    private static void UseInstalledFont()
    {
        var regular = FontCatalog.Get("DejaVu Sans");
        var bold = FontCatalog.Get("DejaVu Sans Bold");
        FontCatalog.EnsureInstalled(regular);
        FontCatalog.EnsureInstalled(bold);
        Fonts.AddFontFile(regular.Name, regular.Path, bold: false, italic: false);
        Fonts.AddFontFile(regular.Name, bold.Path, bold: true, italic: false);
        Fonts.Default = regular.Name;
    }

    private static void Add(ScottPlot.Plot plot, double[] levels, double[] floatValues, double[] quantizedValues)
    {
        foreach (var (label, values) in new[] { ("float", floatValues), ("int8", quantizedValues) })
        {
            var scatter = plot.Add.Scatter(levels, values);
            scatter.LegendText = label;
            scatter.MarkerSize = 7;
            scatter.LineWidth = 2;
        }
        // SNR falls as the perturbation grows: reverse the axis so strength grows to the right in every sweep.
        if (levels[^1] < levels[0]) plot.Axes.SetLimitsX(levels[0], levels[^1]);
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
    }
}
