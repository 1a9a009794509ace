using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tessera.Core;
using Tessera.Onnx;
using Tessera.Passes;

namespace Tessera.Cli;

/// <summary><c>tessera optimize MODEL -o OUT.onnx</c>: runs the graph optimizer and writes a standard ONNX
/// model (ONNX Runtime runs it), printing a before/after summary.</summary>
internal static class OptimizeCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The .onnx model to optimize, or a catalog name" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Where to write the optimized .onnx model", Required = true };
        var dump = new Option<DirectoryInfo?>("--dump") { Description = "Write the graph after every pass (text and .onnx) to this folder (or set TESSERA_DUMP)" };
        var shapes = InputShapeOption();
        var constants = new Option<string[]>("--constant-input") { Description = "Fix a scalar input for deployment, NAME=VALUE (e.g. sr=16000 for Silero VAD); it becomes a constant and what depends on it folds" };
        var keepFused = new Option<bool>("--keep-fused") { Description = "Write Tessera's fused ops (domain 'tessera') instead of lowering them to standard ONNX" };
        var cost = new Option<bool>("--cost") { Description = "Also print the per-layer cost table of the optimized model" };
        var top = new Option<int?>("--top") { Description = "With --cost: show only the N most expensive layers" };
        var command = new Command("optimize", "Optimize a model's graph: fold constants and BatchNorm, fuse activations, cancel transposes, recognize LayerNorm/GELU")
        {
            model, output, dump, shapes, constants, keepFused, cost, top,
        };
        command.SetAction(parse =>
        {
            var loaded = ModelLoader.Load(parse.GetValue(model)!);
            bool verbose = parse.GetValue(CommonOptions.Verbose);
            var options = new OptimizationOptions
            {
                InputShapes = ParseShapes(parse.GetValue(shapes)),
                ConstantInputs = ParseConstants(loaded, parse.GetValue(constants)),
                KeepFusedOps = true,
                Log = verbose ? Console.Error.WriteLine : null,
            };
            if (parse.GetValue(dump) is { } folder) options = options with { DumpFolder = folder.FullName };
            var result = GraphOptimizer.Optimize(loaded, options);
            // The summary and cost describe the internal form backends get (fused ops); the file is
            // lowered to standard ONNX unless --keep-fused asks for Tessera's own ops.
            PrintSummary(result);
            if (parse.GetValue(cost)) CostCommand.Print(loaded, parse.GetValue(top), null);
            if (!parse.GetValue(keepFused)) StandardOnnxLowering.Lower(loaded);
            var target = parse.GetValue(output)!;
            OnnxExporter.Save(loaded, target.FullName);
            Console.WriteLine($"wrote {target.FullName}");
            return 0;
        });
        return command;
    }

    /// <summary>The --no-optimize switch of run, quantize and compile (optimization is on by default there).</summary>
    public static Option<bool> NoOptimizeOption() => new("--no-optimize") { Description = "Run the model as written, without graph optimization" };

    /// <summary>What run, quantize and compile call after loading a model: optimizes in place unless
    /// --no-optimize was given, keeping fused ops for Tessera's own backends. <paramref name="backend"/> "cpu"
    /// also fuses residual Adds into convolutions (a form only that backend runs) and runs float16 models in float32.</summary>
    public static OptimizationResult? OptimizeUnlessDisabled(Tessera.Core.Model model, bool noOptimize, IReadOnlyDictionary<string, int[]>? inputShapes = null, string? dump = null, string? backend = null)
    {
        if (noOptimize) return null;
        var options = new OptimizationOptions { InputShapes = inputShapes, FuseResidualAdd = backend == "cpu", ComputeFloat16InFloat32 = backend == "cpu" };
        if (dump is not null) options = options with { DumpFolder = dump };
        return GraphOptimizer.Optimize(model, options);
    }

    /// <summary>--input-shape NAME=1x3x640x640 (repeatable): binds dynamic input dims.</summary>
    public static Option<string[]> InputShapeOption() => new("--input-shape")
    {
        Description = "Concrete shape of a model input, NAME=1x3x640x640 (repeat for several inputs)",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Dictionary<string, int[]>? ParseShapes(string[]? specs)
    {
        if (specs is null || specs.Length == 0) return null;
        var result = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            int eq = spec.LastIndexOf('=');
            var dims = eq > 0 ? spec[(eq + 1)..].Split('x', ',') : [];
            if (eq <= 0 || dims.Length == 0 || !dims.All(d => int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0))
            {
                throw new InvalidInputException($"'{spec}' is not NAME=DIMxDIMx...", "--input-shape", "write e.g. --input-shape x=1x3x640x640");
            }
            result[spec[..eq]] = dims.Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        }
        return result;
    }

    /// <summary>--constant-input NAME=VALUE: a scalar of the input's declared element type.</summary>
    public static Dictionary<string, Tensor>? ParseConstants(Model model, string[]? specs)
    {
        if (specs is null || specs.Length == 0) return null;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? spec[..eq] : spec;
            var input = model.Graph.Inputs.FirstOrDefault(i => i.Name == name && i.Constant is null)
                ?? throw new InvalidInputException($"the model has no input '{name}'", "--constant-input", "write NAME=VALUE with one of the model's input names");
            var type = input.TensorType?.ElementType ?? DataType.Float32;
            if (eq <= 0 || !double.TryParse(spec[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new InvalidInputException($"'{spec}' is not NAME=NUMBER", "--constant-input", "write e.g. --constant-input sr=16000");
            }
            result[name] = Tensor.FromDoubles(type, input.TensorType?.Shape?.Rank == 1 ? [1] : [], [value]);
        }
        return result;
    }

    private static void PrintSummary(OptimizationResult result)
    {
        static string Count(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        string Macs(ModelSummary s) => s.UnknownLayers == 0 ? Count(s.Macs) : $"{Count(s.Macs)} ({s.UnknownLayers} nodes without shapes)";
        var table = new Table().AddColumns("", "before", "after");
        table.AddRow("nodes", Count(result.Before.Nodes), Count(result.After.Nodes));
        table.AddRow("MACs", Markup.Escape(Macs(result.Before)), Markup.Escape(Macs(result.After)));
        table.AddRow("other ops", Count(result.Before.Operations), Count(result.After.Operations));
        table.AddRow("parameter bytes", Count(result.Before.ParameterBytes), Count(result.After.ParameterBytes));
        foreach (var op in result.Before.OpsByType.Keys.Union(result.After.OpsByType.Keys).OrderBy(k => k, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(op), Count(result.Before.OpsByType.GetValueOrDefault(op)), Count(result.After.OpsByType.GetValueOrDefault(op)));
        }
        AnsiConsole.Write(table);
        if (result.Statistics.RuleCounts.Count > 0)
        {
            Console.WriteLine("rules applied: " + string.Join(", ", result.Statistics.RuleCounts.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} x{kv.Value}")));
        }
    }
}
