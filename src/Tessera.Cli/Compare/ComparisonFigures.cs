using System.Globalization;
using ScottPlot;

namespace Tessera.Cli.Compare;

/// <summary>One plot of the report: a PNG, embedded in the HTML page as a data: URI and in the JSON as base64.</summary>
public sealed record ReportFigure(string Name, string Title, string Caption, byte[] Png)
{
    public string DataUri => "data:image/png;base64," + Convert.ToBase64String(Png);
}

/// <summary>The report's plots, drawn with ScottPlot from the figures in <see cref="ComparisonReport"/> only.</summary>
public static class ComparisonFigures
{
    private const int Width = 960;
    private const int Height = 440;

    /// <summary>Fonts for the plots' text, registered from files: the SkiaSharp native build the project ships
    /// (NoDependencies) has no fontconfig, so family names alone resolve to an empty typeface and every label
    /// would be blank. DejaVu and Liberation come with scripts/setup.sh.</summary>
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ];

    private static readonly Lazy<string?> PlotFont = new(() =>
    {
        var file = FontFiles.FirstOrDefault(File.Exists);
        if (file is null) return null;
        string family = Path.GetFileNameWithoutExtension(file);
        Fonts.AddFontFile(family, file, bold: false, italic: false);
        Fonts.AddFontFile(family, file, bold: true, italic: false);
        return family;
    });

    public static IReadOnlyList<ReportFigure> Create(ComparisonReport report)
    {
        var figures = new List<ReportFigure>();
        if (report.Latencies.Count > 0 || report.Npu.Any(n => n.Simulation is not null)) figures.Add(Latency(report));
        if (report.RooflineLayers.Count > 0) figures.Add(LayerMacs(report));
        foreach (var npu in report.Npu)
        {
            figures.Add(Roofline(report, npu));
            if (npu.Simulation is { Layers.Count: > 0 }) figures.Add(NpuLayers(npu));
        }
        return figures;
    }

    private static string Format(double value) => value.ToString(value >= 100 ? "F0" : value >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

    /// <summary>One row per engine on a log time axis (engines differ by orders of magnitude): a dot at the
    /// median and a bar from p10 to p90.</summary>
    private static ReportFigure Latency(ComparisonReport report)
    {
        var plot = new Plot();
        var rows = report.Latencies.Select(l => (Label: l.Engine + " (measured)", l.MedianMs, Low: l.P10Ms, High: l.P90Ms, Simulated: false)).ToList();
        foreach (var npu in report.Npu.Where(n => n.Simulation is not null))
        {
            double ms = npu.Simulation!.LatencyMicroseconds / 1000;
            rows.Add(($"NPU {npu.Spec.Name} (simulated)", ms, ms, ms, true));
        }
        double Log(double v) => Math.Log10(Math.Max(v, 1e-6));
        for (int i = 0; i < rows.Count; i++)
        {
            double y = rows.Count - 1 - i;
            var color = rows[i].Simulated ? Colors.DarkOrange : Colors.SteelBlue;
            var spread = plot.Add.Line(Log(rows[i].Low), y, Log(rows[i].High), y);
            spread.Color = color;
            spread.LineWidth = 6;
            var median = plot.Add.Marker(Log(rows[i].MedianMs), y);
            median.Color = Colors.Black;
            median.Size = 12;
        }
        double left = Math.Floor(Log(rows.Min(r => r.Low))), right = Math.Ceiling(Log(rows.Max(r => r.High)) + 0.3);
        // At least two decades, so the axis always shows labelled ticks.
        if (right - left < 2) left = right - 2;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, rows.Count).Select(i => (double)(rows.Count - 1 - i)).ToArray(), rows.Select(r => $"{r.Label}: {Format(r.MedianMs)} ms").ToArray());
        LogAxis(plot.Axes.Bottom, Decade);
        plot.Axes.SetLimits(left, right, -0.7, rows.Count - 0.3);
        plot.Title("Latency per inference (dot: median; bar: p10 to p90)");
        plot.XLabel("milliseconds (log scale)");
        return new ReportFigure("latency", "Latency", "Latency per inference on a log scale: the dot is the median, the bar spans the 10th to 90th percentile of the timed runs. " +
            "CPU engines are measured on this machine; NPU rows, when present, are the simulator's cycles at the spec clock.", Bytes(plot));
    }

    private static ReportFigure LayerMacs(ComparisonReport report)
    {
        var plot = new Plot();
        var layers = report.RooflineLayers;
        double[] positions = Enumerable.Range(0, layers.Count).Select(i => (double)i).ToArray();
        var bars = plot.Add.Bars(positions, layers.Select(l => l.Macs / 1e6).ToArray());
        bars.Color = Colors.SteelBlue;
        foreach (var bar in bars.Bars) bar.Size = 0.8;
        plot.Title($"MACs per layer ({layers.Count} layers with MACs, graph order)");
        plot.XLabel("layer index (graph order)");
        plot.YLabel("million MACs");
        plot.Axes.Margins(bottom: 0);
        return new ReportFigure("layer-macs", "MACs per layer", "Multiply-accumulates of each layer of the optimized float graph (cost analysis), in graph order; the table below names the largest.", Bytes(plot));
    }

    /// <summary>Roofline of one configuration on log-log axes: attainable MAC/s = min(peak, intensity x DRAM
    /// bandwidth). Each layer sits on the roof at its int8 arithmetic intensity; with a simulation, the layer's
    /// achieved MAC/s (its MACs over its simulated time) and its simulated DRAM traffic are drawn as well.</summary>
    private static ReportFigure Roofline(ComparisonReport report, NpuConfiguration npu)
    {
        var plot = new Plot();
        var layers = report.RooflineLayers;
        var intensities = layers.Select(l => l.Intensity).Where(v => v > 0).ToList();
        double low = Math.Min(npu.RidgeIntensity / 10, intensities.DefaultIfEmpty(1).Min() / 2);
        double high = Math.Max(npu.RidgeIntensity * 10, intensities.DefaultIfEmpty(1).Max() * 2);
        double Log(double v) => Math.Log10(v);
        double Giga(double macsPerSecond) => macsPerSecond / 1e9;
        var roofX = new[] { Log(low), Log(npu.RidgeIntensity), Log(high) };
        var roofY = new[] { Log(Giga(npu.AttainableMacsPerSecond(low))), Log(Giga(npu.PeakMacsPerSecond)), Log(Giga(npu.PeakMacsPerSecond)) };
        var roof = plot.Add.Scatter(roofX, roofY);
        roof.Color = Colors.Black;
        roof.LineWidth = 2;
        roof.MarkerSize = 0;
        roof.LegendText = $"roof: {Giga(npu.PeakMacsPerSecond):F1} GMAC/s peak, {npu.DramBytesPerSecond / 1e9:F1} GB/s DRAM";
        foreach (var (label, bound, color) in new[] { ("memory-bound layers", true, Colors.IndianRed), ("compute-bound layers", false, Colors.SteelBlue) })
        {
            var chosen = layers.Where(l => l.Intensity > 0 && (l.Intensity < npu.RidgeIntensity) == bound).ToList();
            if (chosen.Count == 0) continue;
            var points = plot.Add.Scatter(chosen.Select(l => Log(l.Intensity)).ToArray(), chosen.Select(l => Log(Giga(npu.AttainableMacsPerSecond(l.Intensity)))).ToArray());
            points.LineWidth = 0;
            points.MarkerSize = 7;
            points.Color = color;
            points.LegendText = $"{label} ({chosen.Count}), placed by intensity";
        }
        if (npu.Simulation is { } simulation)
        {
            var achieved = simulation.Layers.Where(l => l.Macs > 0 && l.Cycles > 0 && l.DramBytes > 0).ToList();
            if (achieved.Count > 0)
            {
                var points = plot.Add.Scatter(
                    achieved.Select(l => Log((double)l.Macs / l.DramBytes)).ToArray(),
                    achieved.Select(l => Log(Giga(l.Macs / (l.Cycles / (npu.Spec.ClockMegahertz * 1e6))))).ToArray());
                points.LineWidth = 0;
                points.MarkerSize = 9;
                points.MarkerShape = MarkerShape.FilledDiamond;
                points.Color = Colors.DarkOrange;
                points.LegendText = $"simulated layers ({achieved.Count}): achieved MAC/s at simulated DRAM traffic";
            }
        }
        LogAxis(plot.Axes.Bottom, Decade);
        LogAxis(plot.Axes.Left, Decade);
        plot.Title($"Roofline of NPU '{npu.Spec.Name}' ({npu.Spec.ArrayRows}x{npu.Spec.ArrayColumns} MACs at {npu.Spec.ClockMegahertz:F0} MHz, {npu.Spec.DramBytesPerCycle} B/cycle)");
        plot.XLabel("arithmetic intensity (MACs per int8 byte moved)");
        plot.YLabel("attainable GMAC/s");
        plot.ShowLegend(Alignment.LowerRight);
        string caption = $"Ridge at {npu.RidgeIntensity:F1} MACs/byte. Layers left of the ridge are limited by DRAM bandwidth, right of it by the array. " +
            (npu.Simulation is null ? ComparisonReport.NpuNotSimulatedNote + ": only the roof and the layers' intensities are shown." : "Diamonds are the simulator's per-layer results.");
        return new ReportFigure($"roofline-{npu.Spec.Name}", $"Roofline: {npu.Spec.Name}", caption, Bytes(plot));
    }

    private static ReportFigure NpuLayers(NpuConfiguration npu)
    {
        var layers = npu.Simulation!.Layers;
        var plot = new Plot();
        double[] positions = Enumerable.Range(0, layers.Count).Select(i => (double)i).ToArray();
        var cycles = plot.Add.Bars(positions, layers.Select(l => (double)l.Cycles).ToArray());
        cycles.Color = Colors.DarkOrange;
        cycles.LegendText = "cycles (left axis)";
        var utilization = plot.Add.Scatter(positions, layers.Select(l => l.MacUtilization * 100).ToArray());
        utilization.Axes.YAxis = plot.Axes.Right;
        utilization.Color = Colors.Navy;
        utilization.LineWidth = 0;
        utilization.MarkerSize = 9;
        utilization.LegendText = "MAC utilization % (right axis)";
        plot.Axes.Right.Label.Text = "MAC utilization %";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, layers.Select(l => l.Name).ToArray());
        if (layers.Count > 12)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        }
        plot.Axes.Margins(bottom: 0);
        // After the margins, which autoscale every axis: utilization on a fixed 0 to 100 % scale.
        plot.Axes.SetLimitsY(0, 105, plot.Axes.Right);
        plot.YLabel("cycles");
        plot.Title($"NPU '{npu.Spec.Name}': simulated cycles and MAC utilization per layer");
        plot.ShowLegend(Alignment.UpperRight);
        return new ReportFigure($"npu-layers-{npu.Spec.Name}", $"NPU layers: {npu.Spec.Name}",
            "Cycles of each layer's own program on the simulator and its MAC utilization (MACs / (cycles x array MACs)).", Bytes(plot));
    }

    private static string Decade(double value) => value >= 1 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>Axis whose data are log10 values: integer decades as major ticks, labelled with the value.</summary>
    private static void LogAxis(ScottPlot.IAxis axis, Func<double, string> format)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => format(Math.Pow(10, v)),
        };
    }

    private static byte[] Bytes(Plot plot)
    {
        if (PlotFont.Value is { } family) plot.Font.Set(family);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
