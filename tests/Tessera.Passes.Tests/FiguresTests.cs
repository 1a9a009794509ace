using System.Globalization;
using System.Text;
using Tessera.Onnx;
using Xunit.Abstractions;

namespace Tessera.Passes.Tests;

/// <summary>Measures the per-model figures of docs/optimization.md (node counts, ops left, MACs, parameter
/// bytes, largest output difference in ONNX Runtime) and writes them as Markdown to
/// $TESSERA_FIGURES (default: optimization-figures.md in the test output folder).</summary>
public class FiguresTests(ITestOutputHelper output)
{
    [Fact]
    public void Measure_every_model()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| model | input | nodes before | nodes after | MACs before | MACs after | parameter bytes before | after | max rel. diff (ORT) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        var ops = new StringBuilder();
        foreach (var test in TestModels.All)
        {
            var (model, result, inputs, original) = ModelOptimizationTests.Optimize(test);
            var after = string.Join(", ", result.After.OpsByType.Select(kv => $"{kv.Key} {kv.Value}"));
            var before = string.Join(", ", result.Before.OpsByType.Select(kv => $"{kv.Key} {kv.Value}"));
            StandardOnnxLowering.Lower(model);
            var afterMacs = result.After.UnknownLayers == 0 ? result.After.Macs : (long?)null;
            if (afterMacs is null)
            {
                // Values inlined from If branches had no observed shapes; observe them on the optimized model.
                OrtRunner.AnnotateShapes(model, inputs);
                var recount = CostAnalysis.Count(model);
                if (recount.UnknownLayers == 0) afterMacs = recount.Macs;
            }
            var expected = OrtRunner.Run(original, inputs);
            var actual = OrtRunner.Run(OnnxExporter.ToBytes(model), inputs);
            double worst = 0;
            foreach (var (name, reference) in expected)
            {
                var a = reference.ToDoubleArray();
                var b = actual[name].ToDoubleArray();
                double magnitude = Math.Max(1e-6, a.Select(Math.Abs).Max());
                worst = Math.Max(worst, a.Zip(b, (p, q) => Math.Abs(p - q)).Max() / magnitude);
            }
            string Macs(ModelSummary s) => s.UnknownLayers > 0 ? $"n/a ({s.UnknownLayers} nodes in If bodies)" : N(s.Macs);
            var shape = string.Join(", ", inputs.Where(kv => kv.Value.DataType != Core.DataType.Int64).Select(kv => $"{kv.Key} {string.Join("x", kv.Value.Shape)}"))
                + (test.ConstantInputs is { } fixedInputs ? ", " + string.Join(", ", fixedInputs.Select(kv => $"{kv.Key} = {kv.Value.GetInt64(0)} (constant)")) : string.Empty);
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {test.Name} | {shape} | {result.Before.Nodes} | {result.After.Nodes} | {Macs(result.Before)} | {(afterMacs is { } m ? N(m) : Macs(result.After))} | {N(result.Before.ParameterBytes)} | {N(result.After.ParameterBytes)} | {worst:0.0e+0} |");
            ops.AppendLine(CultureInfo.InvariantCulture, $"- **{test.Name}** before: {before}");
            ops.AppendLine(CultureInfo.InvariantCulture, $"  after: {after}");
            ops.AppendLine(CultureInfo.InvariantCulture, $"  rules: {string.Join(", ", result.Statistics.RuleCounts.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} x{kv.Value}"))}");
        }
        sb.AppendLine().Append(ops);
        var text = sb.ToString();
        output.WriteLine(text);
        var path = Environment.GetEnvironmentVariable("TESSERA_FIGURES") is { Length: > 0 } p ? p : Path.Combine(AppContext.BaseDirectory, "optimization-figures.md");
        Core.AtomicFile.WriteAllText(path, text);
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
