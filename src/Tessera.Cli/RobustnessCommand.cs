using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tessera.Core;
using Tessera.Onnx;
using Tessera.Quantization;
using Tessera.Quantization.Robustness;

namespace Tessera.Cli;

/// <summary><c>tessera robustness FLOAT QUANT --data DIR --sweep noise|blur|brightness|snr</c>: runs a float
/// model and its int8 QDQ model on data perturbed at growing strengths, prints a table and plots how each
/// drifts from the float model's clean outputs.</summary>
internal static class RobustnessCommand
{
    public static Command Create()
    {
        var floatModel = new Argument<string>("float") { Description = "The float .onnx model (or catalog name) the QDQ model was made from" };
        var quantModel = new Argument<FileInfo>("quantized") { Description = "The QDQ .onnx model written by tessera quantize" };
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder of images (noise, blur, brightness) or 16-bit .wav files (snr)", Required = true };
        var sweep = new Option<string>("--sweep") { Description = "The perturbation: noise (sigma 0..0.2), blur (sigma 0..4 px), brightness (factor 1..0.2) or snr (40..0 dB white noise)", Required = true };
        var steps = new Option<int>("--steps") { Description = "Number of strengths, weakest to strongest", DefaultValueFactory = _ => RobustnessSweep.DefaultSteps };
        var plot = new Option<FileInfo?>("--output", "-o") { Description = "Write the plot as PNG" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the figures as JSON" };
        var seed = new Option<int>("--seed") { Description = "Seed of the noise (the same seed gives the same figures)", DefaultValueFactory = _ => 1 };
        var preset = new Option<string?>("--preset") { Description = $"Preprocessing of a catalog model: {string.Join(", ", PreprocessingPresets.All.Keys)} (default: the FLOAT model's name when it is one)" };
        var preprocess = new Option<FileInfo?>("--preprocess") { Description = "YAML or JSON preprocessing (see tessera quantize --help)" };
        var noOptimize = OptimizeCommand.NoOptimizeOption();
        var command = new Command("robustness", "How a float model and its int8 model degrade as the input is perturbed more and more: output cosine and decision agreement against the clean float output")
        {
            floatModel, quantModel, data, sweep, steps, plot, json, seed, preset, preprocess, noOptimize,
        };
        command.SetAction(parse =>
        {
            var argument = parse.GetValue(floatModel)!;
            var chosen = RobustnessSweep.Parse(parse.GetValue(sweep)!, parse.GetValue(steps));
            var files = RobustnessAnalysis.Files(parse.GetValue(data)!.FullName, chosen);
            var preprocessing = parse.GetValue(preprocess) is { } file ? Preprocessing.Load(file.FullName)
                : parse.GetValue(preset) is { } name ? PreprocessingPresets.Get(name)
                : PreprocessingPresets.All.GetValueOrDefault(argument) ?? PreprocessingPresets.All.GetValueOrDefault(Path.GetFileNameWithoutExtension(argument))
                ?? throw new InvalidInputException($"no preprocessing for '{argument}'", "--preset", "give --preset NAME or --preprocess FILE");
            var quantFile = parse.GetValue(quantModel)!;
            if (!quantFile.Exists) throw new InvalidInputException($"'{quantFile.FullName}' does not exist", "quantized", "give the .onnx written by tessera quantize");
            var quantized = OnnxImporter.Load(quantFile.FullName);
            var reference = ModelLoader.Load(argument);
            // The same preparation as quantize, so inputs, constants and output names line up with the QDQ model.
            ModelPreparation.Prepare(reference, preprocessing, !parse.GetValue(noOptimize));
            RobustnessResult? result = null;
            AnsiConsole.Progress().AutoClear(true).Start(context =>
            {
                var task = context.AddTask($"{chosen.Name} sweep", maxValue: 1);
                result = RobustnessAnalysis.Run(reference, quantized, preprocessing, files, chosen, parse.GetValue(seed), (done, total) =>
                {
                    task.MaxValue = total;
                    task.Value = done;
                });
            });
            Print(result!);
            if (parse.GetValue(json) is { } jsonFile) AtomicFile.WriteAllText(jsonFile.FullName, RobustnessReport.ToJson(result!));
            if (parse.GetValue(plot) is { } plotFile)
            {
                RobustnessPlot.Write(result!, $"{Path.GetFileNameWithoutExtension(argument)} vs {quantFile.Name}", plotFile.FullName);
                Console.WriteLine($"wrote {plotFile.FullName}");
            }
            return 0;
        });
        return command;
    }

    private static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static void Print(RobustnessResult result)
    {
        bool decisions = result.Decision is not null;
        var table = new Table().AddColumns(Markup.Escape(result.Sweep.Quantity), "float cosine", "int8 cosine");
        if (decisions) table.AddColumns($"float {Markup.Escape(result.Decision!)} agreement", $"int8 {Markup.Escape(result.Decision!)} agreement");
        foreach (var p in result.Points)
        {
            var row = new List<string> { RobustnessSweep.Format(p.Level), F(p.FloatCosine, "F5"), F(p.QuantizedCosine, "F5") };
            if (decisions) row.AddRange([F(p.FloatAgreement * 100, "F1") + " %", F(p.QuantizedAgreement * 100, "F1") + " %"]);
            table.AddRow(row.ToArray());
        }
        AnsiConsole.Write(table);
        Console.WriteLine($"{result.Files} files, {result.ModelInputs} model inputs per strength; cosine against the float model's clean output ({string.Join(", ", result.Outputs)})");
    }
}
