using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Core;
using Tessera.Passes;

namespace Tessera.Cli;

/// <summary>The per-layer cost table behind <c>tessera info MODEL --cost [--top N] [--json FILE]</c>.</summary>
public static class CostCommand
{
    /// <summary>How rows are ordered or grouped.</summary>
    public enum Order
    {
        /// <summary>Graph order.</summary>
        Graph,
        Macs,
        Bytes,
        Parameters,
        Intensity,
        /// <summary>One row per op type, summed.</summary>
        OpType,
    }

    /// <summary>Prints the table for <paramref name="model"/> (shapes inferred, dynamic inputs bound by
    /// <paramref name="inputShapes"/>) and writes every row to <paramref name="jsonPath"/> when given.</summary>
    public static CostReport Print(Model model, int? top, string? jsonPath, Order order = Order.Macs, IReadOnlyDictionary<string, int[]>? inputShapes = null)
    {
        var report = inputShapes is null ? CostAnalysis.Count(model) : CostAnalysis.Analyze(model, inputShapes);
        var rows = Arrange(report, order).ToList();
        var shown = top is > 0 ? rows.Take(top.Value).ToList() : rows;
        var table = new Table().AddColumns("layer", "op", "MACs", "other ops", "params", "in bytes", "out bytes", "weight bytes", "MACs/byte");
        foreach (var r in shown)
        {
            table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.OpType), N(r.Macs) + (r.ShapesKnown ? "" : " ?"), N(r.Operations), N(r.Parameters), N(r.InputBytes), N(r.OutputBytes), N(r.WeightBytes),
                r.ArithmeticIntensity.ToString("F2", CultureInfo.InvariantCulture));
        }
        table.AddRow("[bold]total[/]", $"{report.Layers.Count} nodes", N(report.Macs), N(report.Operations), N(report.Parameters), N(report.InputBytes), N(report.OutputBytes), N(report.WeightBytes),
            report.ArithmeticIntensity.ToString("F2", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        if (report.UnknownLayers > 0)
        {
            Console.WriteLine($"{report.UnknownLayers} nodes have unknown shapes ('?'); give concrete input shapes to count them");
        }
        if (jsonPath is not null)
        {
            var document = new
            {
                macs = report.Macs, operations = report.Operations, parameters = report.Parameters, parameter_bytes = report.ParameterBytes,
                input_bytes = report.InputBytes, output_bytes = report.OutputBytes, weight_bytes = report.WeightBytes, unknown_layers = report.UnknownLayers,
                layers = rows.Select(r => new
                {
                    name = r.Name, op = r.OpType, macs = r.Macs, operations = r.Operations, parameters = r.Parameters, input_bytes = r.InputBytes,
                    output_bytes = r.OutputBytes, weight_bytes = r.WeightBytes, arithmetic_intensity = r.ArithmeticIntensity, shapes_known = r.ShapesKnown,
                }),
            };
            AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
        }
        return report;
    }

    public static IEnumerable<LayerCost> Arrange(CostReport report, Order order) => order switch
    {
        Order.Graph => report.Layers,
        Order.Bytes => report.Layers.OrderByDescending(l => l.TotalBytes),
        Order.Parameters => report.Layers.OrderByDescending(l => l.Parameters),
        Order.Intensity => report.Layers.OrderByDescending(l => l.ArithmeticIntensity),
        Order.OpType => report.Layers.GroupBy(l => l.OpType).Select(g => new LayerCost(
            $"{g.Count()} x", g.Key, g.Sum(l => l.Macs), g.Sum(l => l.Operations), g.Sum(l => l.Parameters), g.Sum(l => l.InputBytes),
            g.Sum(l => l.OutputBytes), g.Sum(l => l.WeightBytes), g.All(l => l.ShapesKnown))).OrderByDescending(l => l.Macs),
        _ => report.Layers.OrderByDescending(l => l.Macs).ThenByDescending(l => l.Operations),
    };

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
