namespace Tessera.Quantization;

/// <summary>The result of <see cref="AutoFallback.Run"/>: the final QDQ model, what it reports, the nodes
/// moved back to float (worst first) and the analysis of the final model.</summary>
public sealed record FallbackResult(Core.Model Model, QuantizationReport Report, AnalysisResult Analysis, IReadOnlyList<string> FloatNodes, bool Reached);

public static class AutoFallback
{
    /// <summary>Rewrites, measures the output cosine, and while it is below <paramref name="targetCosine"/>
    /// keeps the quantized layer with the worst local cosine in float and tries again.</summary>
    public static FallbackResult Run(Calibration calibration, QuantizationOptions options, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing, double targetCosine, int maxSteps = 64, Action<string>? log = null)
    {
        var keep = new HashSet<string>(options.KeepFloat, StringComparer.Ordinal);
        var moved = new List<string>();
        var macs = Quantizer.MacsByNode(calibration);
        for (int step = 0; ; step++)
        {
            var (model, report) = Quantizer.Rewrite(calibration, options with { KeepFloat = keep });
            var analysis = QuantizationAnalysis.Compare(calibration.FloatModel, model, samples, preprocessing, macs);
            log?.Invoke($"step {step}: output cosine {analysis.OutputCosine:F5} with {moved.Count} layers in float");
            if (analysis.OutputCosine >= targetCosine || step >= maxSteps)
            {
                return new FallbackResult(model, report, analysis, moved, analysis.OutputCosine >= targetCosine);
            }
            // A float node whose output feeds a quantized one has a local figure too; only quantized nodes can move.
            var quantized = report.QuantizedNodes.ToHashSet(StringComparer.Ordinal);
            var worst = analysis.Layers.Where(l => l.Local is not null && quantized.Contains(l.Node) && !keep.Contains(l.Node)).OrderBy(l => l.Local!.Cosine).FirstOrDefault();
            if (worst is null) return new FallbackResult(model, report, analysis, moved, false);
            keep.Add(worst.Node);
            moved.Add(worst.Node);
        }
    }
}
