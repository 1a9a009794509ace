using System.CommandLine;
using Spectre.Console;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Passes;

namespace Tessera.Cli;

/// <summary>`tessera int-run MODEL -i NAME=FILE ... [-o DIR] [--bind NAME=FILE] [--show]`: lowers a quantized
/// model (QDQ, QLinearConv/QLinearMatMul/ConvInteger/MatMulInteger, or a pre-quantized int8 TFLite file, imported
/// as QDQ with its own parameters) to the integer graph and runs it with
/// the integer reference executor. Prints the steps by kind and every float island with its reason. The model
/// is not optimized first, so the QDQ pattern is seen exactly as written.</summary>
internal static class IntegerCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Quantized model file (.onnx QDQ/QLinear, or a pre-quantized int8 .tflite) or catalog name" };
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "Input as NAME=FILE (.npy or TensorProto .pb); FILE alone when the model has one input",
            AllowMultipleArgumentsPerToken = true,
        };
        var bindings = new Option<string[]>("--bind")
        {
            Description = "Graph input holding a quantization parameter or weight, as NAME=FILE, fixed at lowering",
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder for the output .npy files" };
        var show = new Option<bool>("--show") { Description = "Print every step with its constants (multipliers, shifts, zero points)" };
        var requantization = new Option<string>("--requantization")
        {
            Description = "Arithmetic of convolutions and matrix products: reference (two roundings, as the NPU), tflite (one rounding in "
                + "CONV_2D/FULLY_CONNECTED, as deployed TFLite), float (float requantization, Add and average pool), "
                + "armnn (float, and convolutions/fully connected summed in float32 as Arm NN's reference backend does), "
                + "ort (ONNX Runtime's CPU QLinear* arithmetic: float32 requantization rounded half to even)",
            DefaultValueFactory = _ => "reference",
        };
        var command = new Command("int-run", "Run a quantized model with the integer reference executor (int8 arithmetic, float islands reported)")
        {
            model, inputs, bindings, output, show, requantization,
        };
        command.SetAction(parse =>
        {
            var loaded = ModelLoader.Load(parse.GetValue(model)!);
            var feeds = RunCommand.ReadInputs(loaded, parse.GetValue(inputs) ?? []);
            InlineControlFlow(loaded, feeds);
            var bound = RunCommand.ReadInputs(loaded, parse.GetValue(bindings) ?? []).ToDictionary(p => p.Key, p => AsTensor(p.Key, p.Value), StringComparer.Ordinal);
            var program = IntegerLowering.Lower(loaded, bound).WithRequantization(parse.GetValue(requantization) switch
            {
                "tflite" => RequantizationProfile.TfLite,
                "float" => RequantizationProfile.Float,
                "armnn" => RequantizationProfile.ArmNn,
                "ort" => RequantizationProfile.OnnxRuntime,
                "reference" => RequantizationProfile.Reference,
                var other => throw new InvalidInputException($"unknown requantization '{other}'", "--requantization", "choose reference, tflite, float, armnn or ort"),
            });
            foreach (var name in bound.Keys) feeds.Remove(name);
            PrintProgram(program, parse.GetValue(show));
            var results = program.RunOutputs(feeds.ToDictionary(p => p.Key, p => AsTensor(p.Key, p.Value), StringComparer.Ordinal))
                .ToDictionary(p => p.Key, p => (DataValue)p.Value, StringComparer.Ordinal);
            var folder = parse.GetValue(output);
            var files = folder is null ? null : RunCommand.PlanFiles(results, folder.FullName);
            RunCommand.Print(results, files);
            if (files is not null)
            {
                foreach (var (name, path) in files) NpyFile.Write(path, (Tensor)results[name]);
            }
            return 0;
        });
        return command;
    }

    /// <summary>The integer executor runs no control flow. A model whose If nodes only test shapes or fixed inputs
    /// (Silero VAD's sample-rate and batch switches) becomes a flat graph once the given inputs' shapes are fixed:
    /// the quantization-preserving optimizer folds the conditions and inlines the branches taken.</summary>
    private static void InlineControlFlow(Model model, IReadOnlyDictionary<string, DataValue> feeds)
    {
        if (!model.Graph.Nodes.Any(n => n.Subgraphs().Any())) return;
        var shapes = feeds.Where(p => p.Value is Tensor).ToDictionary(p => p.Key, p => ((Tensor)p.Value).Shape.ToArray(), StringComparer.Ordinal);
        GraphOptimizer.Optimize(model, new OptimizationOptions { PreserveQuantization = true, InputShapes = shapes });
    }

    private static Tensor AsTensor(string name, DataValue value) =>
        value as Tensor ?? throw new InvalidInputException($"'{name}' is not a tensor", "--input");

    private static void PrintProgram(IntegerProgram program, bool details)
    {
        var kinds = new Table().AddColumns("step", "count", "arithmetic");
        foreach (var group in program.Steps.GroupBy(s => s.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            kinds.AddRow(Markup.Escape(group.Key), group.Count().ToString(System.Globalization.CultureInfo.InvariantCulture), group.First().IsFloat ? "float" : "integer");
        }
        AnsiConsole.Write(kinds);
        if (program.Islands.Count > 0)
        {
            var islands = new Table().AddColumns("float island", "op", "reason");
            foreach (var island in program.Islands) islands.AddRow(Markup.Escape(island.Node), Markup.Escape(island.OpType), Markup.Escape(island.Reason));
            AnsiConsole.Write(islands);
        }
        else
        {
            AnsiConsole.MarkupLine("no float islands: every operator between the input quantization and the output dequantization is integer");
        }
        if (details)
        {
            foreach (var step in program.Steps) AnsiConsole.WriteLine(step.ToString());
        }
    }
}
