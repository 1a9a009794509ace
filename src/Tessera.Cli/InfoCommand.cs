using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tessera.Core;

namespace Tessera.Cli;

/// <summary>`tessera info MODEL`: inputs, outputs, opsets, operator histogram and parameter totals.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model file (.onnx) or catalog name (see `tessera models list`)" };
        var cost = new Option<bool>("--cost") { Description = "Print the per-layer cost table: MACs, parameters, bytes moved, MACs per byte" };
        var top = new Option<int?>("--top") { Description = "With --cost: only the N most expensive layers" };
        var sort = new Option<CostCommand.Order>("--sort") { Description = "With --cost: order rows by Macs, Bytes, Intensity, or group them by OpType", DefaultValueFactory = _ => CostCommand.Order.Macs };
        var json = new Option<FileInfo?>("--json") { Description = "With --cost: write every layer's figures to this JSON file" };
        var shapes = OptimizeCommand.InputShapeOption();
        var command = new Command("info", "Show a model's inputs, outputs, opsets, operators and parameters (and per-layer cost with --cost)")
        {
            model, cost, top, sort, json, shapes,
        };
        command.SetAction(parse =>
        {
            var path = ModelLoader.Resolve(parse.GetValue(model)!);
            var loaded = ModelLoader.LoadFile(path);
            Print(loaded, new FileInfo(path));
            if (parse.GetValue(cost))
            {
                CostCommand.Print(loaded, parse.GetValue(top), parse.GetValue(json)?.FullName, parse.GetValue(sort), OptimizeCommand.ParseShapes(parse.GetValue(shapes)));
            }
            return 0;
        });
        return command;
    }

    private static void Print(Model model, FileInfo file)
    {
        var graph = model.Graph;
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(file.Name)}[/]  ({Bytes(file.Length)}, IR {model.IrVersion}, producer {Markup.Escape(Describe(model.ProducerName, model.ProducerVersion))})");
        AnsiConsole.MarkupLine("opsets: " + Markup.Escape(string.Join(", ", model.Opsets.OrderBy(o => o.Key, StringComparer.Ordinal)
            .Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}"))));
        var io = new Table().AddColumns("", "name", "type");
        foreach (var v in graph.Inputs.Where(v => v.Constant is null)) io.AddRow("input", Markup.Escape(v.Name), Markup.Escape(v.Type?.ToString() ?? "?"));
        foreach (var v in graph.Outputs) io.AddRow("output", Markup.Escape(v.Name), Markup.Escape(v.Type?.ToString() ?? "?"));
        AnsiConsole.Write(io);

        var nodes = model.AllNodes().ToList();
        var histogram = new Table().AddColumns("operator", "count");
        foreach (var group in nodes.GroupBy(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            histogram.AddRow(Markup.Escape(group.Key), group.Count().ToString(CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(histogram);
        var (count, bytes) = ParameterTotals(model);
        AnsiConsole.MarkupLine($"nodes: {nodes.Count} ({graph.Nodes.Count} in the main graph)");
        AnsiConsole.MarkupLine($"parameters: {count.ToString("N0", CultureInfo.InvariantCulture)} ({Bytes(bytes)}) in initializers and Constant nodes");
    }

    /// <summary>Element count and storage bytes of every initializer and Constant node (some exporters
    /// store all weights as Constant nodes), including those of subgraphs.</summary>
    public static (long Count, long Bytes) ParameterTotals(Model model)
    {
        long count = 0, bytes = 0;
        void Add(Tensor t)
        {
            count += t.Length;
            bytes += (long)t.Length * (t.DataType == DataType.String ? 0 : DataTypes.SizeOf(t.DataType));
        }
        foreach (var v in model.Graph.Initializers.Values) Add(v.Constant!);
        foreach (var n in model.AllNodes())
        {
            foreach (var g in n.Subgraphs()) foreach (var v in g.Initializers.Values) Add(v.Constant!);
            if (n.OpType == "Constant" && n.Attribute("value")?.Value is Tensor constant) Add(constant);
        }
        return (count, bytes);
    }

    private static string Describe(string name, string version) =>
        name.Length == 0 ? "unknown" : version.Length == 0 ? name : $"{name} {version}";

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };
}
