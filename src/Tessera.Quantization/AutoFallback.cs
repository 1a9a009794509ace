using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Quantization;

/// <summary>One greedy step of <see cref="AutoFallback.Run"/>: the nodes moved to float together (see
/// <see cref="AutoFallback.Group"/>), the output cosine before and after, and their MACs.</summary>
public sealed record FallbackStep(IReadOnlyList<string> Nodes, double CosineBefore, double CosineAfter, long Macs)
{
    /// <summary>The nodes joined by '+'.</summary>
    public string Node => string.Join("+", Nodes);
}

/// <summary>The result of <see cref="AutoFallback.Run"/>: the final QDQ model, what it reports, the nodes
/// moved back to float (in the order chosen), the steps, and the analysis of the final model.</summary>
public sealed record FallbackResult(Core.Model Model, QuantizationReport Report, AnalysisResult Analysis, IReadOnlyList<string> FloatNodes, bool Reached)
{
    public IReadOnlyList<FallbackStep> Steps { get; init; } = [];
}

/// <summary>Keeps quantized layers in float until the output cosine reaches a target, choosing greedily by
/// measured gain: each step shortlists suspects from the analysis (worst local cosine, and largest drop of
/// accumulated cosine from a layer's inputs to its output), tries each one in float on the samples, alone and
/// with the readers of its result (see <see cref="Group"/>), and keeps the try with the largest output-cosine
/// gain per MAC moved off int8. Ranking by local cosine alone was a
/// poor guide: a layer can quantize badly on its own and not matter to the outputs (Silero legacy needed 16
/// layers that way), while the layer that matters may look harmless locally.</summary>
public static class AutoFallback
{
    /// <summary>Suspects tried per step from each of the two rankings.</summary>
    public const int CandidatesPerRanking = 4;

    public static FallbackResult Run(Calibration calibration, QuantizationOptions options, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing, double targetCosine, int maxSteps = 64, Action<string>? log = null)
    {
        var keep = new HashSet<string>(options.KeepFloat, StringComparer.Ordinal);
        var moved = new List<string>();
        var steps = new List<FallbackStep>();
        var macs = Quantizer.MacsByNode(calibration);
        var reference = new OutputProbe(calibration.FloatModel, preprocessing, samples);
        long totalMacs = macs.Values.Sum();
        // A layer without MACs (Add, Relu, Concat) still costs a float round trip; without a floor its gain
        // per MAC would be infinite and every such layer would win over a convolution that matters more.
        double macFloor = System.Math.Max(1, totalMacs / 1000.0);
        for (int step = 0; ; step++)
        {
            var (model, report) = Quantizer.Rewrite(calibration, options with { KeepFloat = keep });
            var analysis = QuantizationAnalysis.Compare(calibration.FloatModel, model, samples, preprocessing, macs);
            double current = analysis.OutputCosine;
            log?.Invoke($"step {step}: output cosine {current:F5} with {moved.Count} layers in float");
            if (current >= targetCosine || step >= maxSteps) return new FallbackResult(model, report, analysis, moved, current >= targetCosine) { Steps = steps };
            var suspects = Suspects(model, report, analysis, keep);
            var quantized = report.QuantizedNodes.ToHashSet(StringComparer.Ordinal);
            var groups = suspects.SelectMany(s => new[] { Group(calibration.FloatModel.Graph, s, quantized, false), Group(calibration.FloatModel.Graph, s, quantized, true) })
                .Where(g => g.Count > 0).DistinctBy(g => string.Join("+", g.Order(StringComparer.Ordinal)), StringComparer.Ordinal).ToList();
            if (groups.Count == 0) return new FallbackResult(model, report, analysis, moved, false) { Steps = steps };
            IReadOnlyList<string>? best = null;
            double bestScore = double.NegativeInfinity, bestCosine = 0;
            foreach (var group in groups)
            {
                var (trial, _) = Quantizer.Rewrite(calibration, options with { KeepFloat = new HashSet<string>(keep.Concat(group), StringComparer.Ordinal) });
                double cosine = reference.OutputCosine(trial);
                double gain = cosine - current;
                long groupMacs = group.Sum(n => macs.GetValueOrDefault(n));
                // Gains are compared per MAC; when nothing helps, the smallest loss keeps the search moving.
                double score = gain > 0 ? gain / (groupMacs + macFloor) : gain;
                log?.Invoke($"  try {string.Join("+", group)}: output cosine {cosine:F5} ({gain:+0.00000;-0.00000}), {groupMacs:N0} MACs");
                if (score > bestScore)
                {
                    (best, bestScore, bestCosine) = (group, score, cosine);
                }
            }
            foreach (var node in best!)
            {
                keep.Add(node);
                moved.Add(node);
            }
            steps.Add(new FallbackStep(best, current, bestCosine, best.Sum(n => macs.GetValueOrDefault(n))));
        }
    }

    /// <summary>The nodes to keep float together with <paramref name="node"/> (all still quantized): a Conv/Gemm/Add
    /// and the Relu/Clip fused after it go together (keeping the Conv alone would put a new Q/DQ between them),
    /// and with <paramref name="withOutput"/> also every quantized reader of the result, so that the result is
    /// not quantized at all (a tensor gets a Q/DQ as long as any quantized node produces or reads it; keeping one
    /// node float only drops its weight quantization).</summary>
    public static IReadOnlyList<string> Group(Graph graph, string node, IReadOnlySet<string> quantized, bool withOutput)
    {
        var byName = graph.Nodes.Where(n => n.Name.Length > 0).GroupBy(n => n.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        if (!byName.TryGetValue(node, out var start) || !quantized.Contains(node)) return [];
        var group = new List<Node> { start };
        var last = start;
        if (start.OpType is "Relu" or "Clip" && start.Input(0)?.Producer is { } producer && quantized.Contains(producer.Name)
            && producer.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" or "Add" && graph.Consumers(start.Input(0)!).Count == 1 && !graph.Outputs.Contains(start.Input(0)!))
        {
            group.Insert(0, producer);
        }
        else if (start.Output(0) is { } output && graph.Consumers(output) is [{ OpType: "Relu" or "Clip" } activation] && quantized.Contains(activation.Name) && !graph.Outputs.Contains(output))
        {
            group.Add(activation);
            last = activation;
        }
        if (withOutput && last.Output(0) is { } result)
        {
            foreach (var reader in graph.Consumers(result)) if (quantized.Contains(reader.Name) && !group.Contains(reader)) group.Add(reader);
        }
        return group.Select(n => n.Name).ToList();
    }

    /// <summary>Quantized nodes not yet kept float: the worst by local cosine, and the ones whose output's
    /// accumulated cosine falls furthest below their inputs' (where error enters or is amplified).</summary>
    public static IReadOnlyList<string> Suspects(Model qdqModel, QuantizationReport report, AnalysisResult analysis, IReadOnlySet<string> keep)
    {
        var quantized = report.QuantizedNodes.Where(n => !keep.Contains(n)).ToHashSet(StringComparer.Ordinal);
        var byLocal = analysis.Layers.Where(l => l.Local is not null && quantized.Contains(l.Node))
            .OrderBy(l => l.Local!.Cosine).Select(l => l.Node).Distinct().Take(CandidatesPerRanking);
        var accumulated = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var layer in analysis.Layers) accumulated[layer.Tensor] = layer.Accumulated.Cosine;
        var drops = new List<(string Node, double Drop)>();
        foreach (var node in qdqModel.Graph.Nodes.Where(n => quantized.Contains(n.Name)))
        {
            var output = node.Outputs.FirstOrDefault(o => o is not null);
            if (output is null || !accumulated.TryGetValue(output.Name, out var after)) continue;
            double before = 1;
            foreach (var input in node.Inputs)
            {
                if (input is not null && accumulated.TryGetValue(input.Name, out var c)) before = System.Math.Min(before, c);
            }
            drops.Add((node.Name, before - after));
        }
        var byDrop = drops.OrderByDescending(d => d.Drop).Select(d => d.Node).Take(CandidatesPerRanking);
        return byLocal.Concat(byDrop).Distinct().ToList();
    }

    /// <summary>The float model's outputs on the samples, computed once, and the lowest output cosine of
    /// another model against them (recurrent state carried, state outputs excluded as in the analysis).</summary>
    private sealed class OutputProbe
    {
        private readonly IReadOnlyList<CalibrationSample> _samples;
        private readonly Preprocessing? _preprocessing;
        private readonly List<Dictionary<string, float[]>> _expected = [];
        private readonly List<string> _outputs;

        public OutputProbe(Model floatModel, Preprocessing? preprocessing, IReadOnlyList<CalibrationSample> samples)
        {
            _samples = samples;
            _preprocessing = preprocessing;
            _outputs = floatModel.Graph.Outputs.Select(o => o.Name).Where(n => preprocessing is null || !preprocessing.State.ContainsValue(n)).ToList();
            foreach (var values in Run(floatModel)) _expected.Add(values);
        }

        public double OutputCosine(Model model)
        {
            var metrics = _outputs.ToDictionary(o => o, _ => new ErrorMetrics(), StringComparer.Ordinal);
            int i = 0;
            foreach (var values in Run(model))
            {
                foreach (var (name, actual) in values)
                {
                    if (_expected[i].TryGetValue(name, out var expected) && expected.Length == actual.Length) metrics[name].Add(expected, actual);
                }
                i++;
            }
            var measured = metrics.Values.Where(m => m.Count > 0).ToList();
            return measured.Count == 0 ? 1 : measured.Min(m => m.Cosine);
        }

        private IEnumerable<Dictionary<string, float[]>> Run(Model model)
        {
            var session = new InferenceSession(model);
            var feeder = new SampleFeeder(model, _preprocessing);
            foreach (var sample in _samples)
            {
                var outputs = session.Run(feeder.Inputs(sample));
                feeder.Observe(outputs);
                var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
                foreach (var name in _outputs)
                {
                    if (outputs.TryGetValue(name, out var value) && value is Tensor { DataType: DataType.Float32 or DataType.Float16 or DataType.Float64 } t) values[name] = t.ToFloatArray();
                }
                yield return values;
            }
        }
    }
}
