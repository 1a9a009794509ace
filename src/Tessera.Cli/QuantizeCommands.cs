using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tessera.Core;
using Tessera.Onnx;
using Tessera.Quantization;

namespace Tessera.Cli;

/// <summary><c>tessera quantize</c> (calibrate a float model and write a standard ONNX QDQ model) and
/// <c>tessera analyze</c> (per-layer error of a QDQ model against its float model, with auto-fallback).</summary>
internal static class QuantizeCommands
{
    private const string MetadataKey = "tessera.quantization";

    public static IEnumerable<Command> Create() => [CreateQuantize(), CreateAnalyze()];

    private sealed record DataOptions(Option<string?> Preset, Option<FileInfo?> Preprocess, Option<int> MaxSamples, Option<bool> NoOptimize);

    private static DataOptions AddDataOptions(Command command)
    {
        var options = new DataOptions(
            new Option<string?>("--preset") { Description = $"Preprocessing of a catalog model: {string.Join(", ", PreprocessingPresets.All.Keys)} (default: the MODEL's name when it is one)" },
            new Option<FileInfo?>("--preprocess") { Description = "YAML or JSON preprocessing: width, height, layout NCHW|NHWC, channels RGB|BGR, scale, mean, std, keep_aspect; frame_length, context_length, state, constants for audio" },
            new Option<int>("--max-samples") { Description = "Most model runs over the data (audio: frames)", DefaultValueFactory = _ => 64 },
            OptimizeCommand.NoOptimizeOption());
        command.Options.Add(options.Preset);
        command.Options.Add(options.Preprocess);
        command.Options.Add(options.MaxSamples);
        command.Options.Add(options.NoOptimize);
        return options;
    }

    private static Preprocessing? ResolvePreprocessing(ParseResult parse, DataOptions options, string modelArgument)
    {
        if (parse.GetValue(options.Preprocess) is { } file) return Preprocessing.Load(file.FullName);
        if (parse.GetValue(options.Preset) is { } preset) return PreprocessingPresets.Get(preset);
        var name = Path.GetFileNameWithoutExtension(modelArgument);
        return PreprocessingPresets.All.TryGetValue(modelArgument, out var byName) ? byName : PreprocessingPresets.All.GetValueOrDefault(name);
    }

    private static Option<double?> FallbackOption() => new("--auto-fallback")
    {
        Description = "Keep layers in float until the output cosine reaches this value, e.g. 0.99; each step tries the suspects (worst local cosine, largest accumulated drop) and keeps the best output gain per MAC",
    };

    private static Command CreateQuantize()
    {
        var model = new Argument<string>("model") { Description = "The float .onnx model, or a catalog name" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Where to write the QDQ .onnx model", Required = true };
        var calibration = new Option<DirectoryInfo>("--calibration") { Description = "Folder of calibration data: .npy files (named after inputs, or one per sample), images or .wav files", Required = true };
        var method = new Option<string>("--method") { Description = "Range selection: minmax, percentile, entropy or mse", DefaultValueFactory = _ => "minmax" };
        var percentile = new Option<double>("--percentile") { Description = "For --method percentile", DefaultValueFactory = _ => 99.99 };
        var perChannel = new Option<bool>("--per-channel") { Description = "One weight scale per output channel (the default)" };
        var perTensor = new Option<bool>("--per-tensor") { Description = "One weight scale per tensor" };
        var symmetric = new Option<bool>("--symmetric") { Description = "Activations with zero point 0" };
        var fallback = FallbackOption();
        var augment = new Option<string?>("--augment") { Description = "Augmentation spec (see docs/augmentation.md) applied to each calibration image or wav, e.g. \"flip:p=0.5, rotate:degrees=10\"" };
        var count = new Option<int>("--count") { Description = "With --augment: variants per calibration file", DefaultValueFactory = _ => 4 };
        var noEqualize = new Option<bool>("--no-equalize") { Description = "Skip cross-layer equalization of Conv -> Relu -> Conv pairs" };
        var int32Outputs = new Option<bool>("--int32-outputs") { Description = "A Conv/Gemm/MatMul that is a model output dequantizes its int32 accumulator instead of requantizing to int8 (MACs stay int8)" };
        var biasCorrection = new Option<bool>("--bias-correction") { Description = "Subtract from each Conv/Gemm bias the mean error quantization adds to its output channels, measured on the calibration data (each layer on the float model's inputs)" };
        var adaptiveRounding = new Option<bool>("--adaptive-rounding") { Description = "Round each Conv weight up or down to lower the layer's output error on the calibration data (input patch statistics) instead of to the nearest level" };
        var int16 = new Option<string?>("--int16") { Description = "Comma-separated activation tensors (names in the prepared float model, as tessera analyze lists them; * and ? match any text / one character, \"*\" is every activation) quantized to int16 instead of int8 (W8A16)" };
        var int16Worst = new Option<int>("--int16-worst") { Description = "Quantize the N activations with the lowest local SNR (one analysis run on the calibration data) to int16 instead of int8" };
        var keepFloat = new Option<string?>("--keep-float") { Description = "Comma-separated nodes (names in the prepared float model, as tessera analyze lists them; * and ? match any text / one character) left in float" };
        var command = new Command("quantize", "Calibrate a float model and write an int8 QDQ ONNX model (ONNX Runtime's format)")
        {
            model, output, calibration, method, percentile, perChannel, perTensor, symmetric, fallback, augment, count, noEqualize, int32Outputs, biasCorrection, adaptiveRounding, int16, int16Worst, keepFloat,
        };
        var data = AddDataOptions(command);
        command.SetAction(parse =>
        {
            var argument = parse.GetValue(model)!;
            var folder = parse.GetValue(calibration)!.FullName;
            var preprocessing = ResolvePreprocessing(parse, data, argument);
            CalibrationData.Check(folder, preprocessing);
            var options = new QuantizationOptions
            {
                Method = RangeSelection.Parse(parse.GetValue(method)!),
                Percentile = parse.GetValue(percentile),
                PerChannel = !parse.GetValue(perTensor),
                Symmetric = parse.GetValue(symmetric),
                Int32Outputs = parse.GetValue(int32Outputs),
            };
            int maxSamples = parse.GetValue(data.MaxSamples);
            var augmentation = parse.GetValue(augment) is { } spec ? new CalibrationAugmentation(spec, parse.GetValue(count)) : null;
            if (augmentation is { Count: < 1 }) throw new InvalidInputException($"--count must be at least 1, got {augmentation.Count}", "--count", "give the number of variants per file");
            if (parse.GetValue(int16Worst) < 0) throw new InvalidInputException($"--int16-worst must be 0 or more, got {parse.GetValue(int16Worst)}", "--int16-worst", "give a number of tensors");
            var loaded = ModelLoader.Load(argument);
            bool equalize = !parse.GetValue(noEqualize);
            var calibrated = CalibrateWithProgress(loaded, folder, preprocessing, maxSamples, !parse.GetValue(data.NoOptimize), augmentation, equalize);
            if (calibrated.Equalized.Count > 0) Console.WriteLine($"cross-layer equalization: {calibrated.Equalized.Count} Conv -> Relu -> Conv pairs rescaled");
            if (parse.GetValue(int16) is { } names)
            {
                var listed = MatchNames(calibrated.Observers.Keys, names, "--int16", pattern => $"the model has no activation matching '{pattern}'", "use tensor names from tessera analyze (* matches any text)");
                options = options with { Int16Tensors = listed };
            }
            // The preprocessed (and augmented) calibration samples, read once for --int16-worst, --bias-correction and --adaptive-rounding.
            var augmented = new Lazy<List<CalibrationSample>>(() => CalibrationData.Read(folder, calibrated.FloatModel, preprocessing, maxSamples, augmentation).ToList());
            if (parse.GetValue(keepFloat) is { } patterns) options = options with { KeepFloat = MatchNodes(calibrated.FloatModel, patterns) };
            if (parse.GetValue(int16Worst) is > 0 and var worst)
            {
                var chosen = Int16Selection.Worst(calibrated, options, augmented.Value, preprocessing, worst);
                options = options with { Int16Tensors = options.Int16Tensors.Concat(chosen).ToHashSet(StringComparer.Ordinal) };
                Console.WriteLine($"int16 activations (lowest local SNR): {string.Join(", ", chosen)}");
            }
            if (parse.GetValue(biasCorrection)) options = WithBiasCorrection(calibrated, options, augmented.Value, preprocessing);
            if (parse.GetValue(adaptiveRounding)) options = WithAdaptiveRounding(calibrated, options, augmented.Value, preprocessing);
            Model quantized;
            QuantizationReport report;
            if (parse.GetValue(fallback) is { } target)
            {
                var samples = CalibrationData.Read(folder, calibrated.FloatModel, preprocessing, maxSamples).ToList();
                var result = AutoFallback.Run(calibrated, options, samples, preprocessing, target, log: Console.WriteLine);
                (quantized, report) = (result.Model, result.Report);
                PrintFallback(result, target);
            }
            else
            {
                (quantized, report) = Quantizer.Rewrite(calibrated, options);
            }
            quantized.Metadata[MetadataKey] = string.Create(CultureInfo.InvariantCulture,
                $"method={options.Method.ToString().ToLowerInvariant()};percentile={options.Percentile};per_channel={options.PerChannel};symmetric={options.Symmetric};int32_outputs={options.Int32Outputs};equalize={equalize};bias_correction={options.BiasCorrections.Count > 0};adaptive_rounding={options.WeightRounding.Count > 0};int16={string.Join(',', options.Int16Tensors.Order(StringComparer.Ordinal))}");
            PrintReport(report);
            var destination = parse.GetValue(output)!;
            AtomicFile.WriteAllBytes(destination.FullName, OnnxExporter.ToBytes(quantized));
            Console.WriteLine($"wrote {destination.FullName}");
            return 0;
        });
        return command;
    }

    /// <summary>The names of the nodes of <paramref name="model"/> that the comma-separated <paramref name="patterns"/>
    /// match; a pattern matching no node is a user error.</summary>
    private static HashSet<string> MatchNodes(Model model, string patterns)
    {
        var matched = MatchNames(model.AllNodes().Select(n => n.Name).Where(n => n.Length > 0), patterns, "--keep-float",
            pattern => $"no node of the model matches '{pattern}'", "use node names from tessera analyze (* matches any text)");
        Console.WriteLine($"kept float by --keep-float: {matched.Count} nodes");
        return matched;
    }

    /// <summary>The <paramref name="names"/> that the comma-separated <paramref name="patterns"/> of
    /// <paramref name="option"/> match (* and ? match any text / one character; a pattern without them is a name); a
    /// pattern matching none is a user error.</summary>
    private static HashSet<string> MatchNames(IEnumerable<string> names, string patterns, string option, Func<string, string> noMatch, string fix)
    {
        var candidates = names.ToList();
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var hits = candidates.Where(n => System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, n, ignoreCase: false)).ToList();
            if (hits.Count == 0) throw new InvalidInputException($"{option}: {noMatch(pattern)}", option, fix);
            matched.UnionWith(hits);
        }
        return matched;
    }

    private static QuantizationOptions WithBiasCorrection(Calibration calibrated, QuantizationOptions options, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing)
    {
        var corrections = BiasCorrection.Measure(calibrated, options, samples, preprocessing);
        double largest = corrections.Count == 0 ? 0 : corrections.Values.Max(c => c.Max(System.Math.Abs));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bias correction: {corrections.Count} layers, largest channel shift {largest:G4} (measured on {samples.Count} samples)"));
        return options with { BiasCorrections = corrections };
    }

    private static QuantizationOptions WithAdaptiveRounding(Calibration calibrated, QuantizationOptions options, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing)
    {
        var statistics = AdaptiveRounding.Measure(calibrated, samples, preprocessing);
        long positions = statistics.Count == 0 ? 0 : statistics.Values.Min(s => s.Positions);
        Console.WriteLine($"adaptive rounding: {statistics.Count} Conv layers (at least {positions} input patches each, from {samples.Count} samples)");
        return options with { WeightRounding = statistics };
    }

    private static Calibration CalibrateWithProgress(Model model, string folder, Preprocessing? preprocessing, int maxSamples, bool optimize, CalibrationAugmentation? augmentation = null, bool equalize = true)
    {
        Calibration? result = null;
        AnsiConsole.Progress().AutoClear(true).Start(context =>
        {
            var task = context.AddTask("calibrating", maxValue: maxSamples);
            result = Quantizer.Calibrate(model, m => CalibrationData.Read(folder, m, preprocessing, maxSamples, augmentation), preprocessing, optimize, count => task.Value = count, equalize);
            task.Value = task.MaxValue;
        });
        return result!;
    }

    private static string Count(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static void PrintReport(QuantizationReport report)
    {
        var table = new Table().AddColumns("quantized op", "nodes");
        foreach (var (op, count) in report.QuantizedByOp) table.AddRow(Markup.Escape(op), Count(count));
        AnsiConsole.Write(table);
        if (report.KeptFloat.Count > 0)
        {
            var kept = new Table().AddColumns("kept float", "nodes", "MACs", "why");
            foreach (var group in report.KeptFloat.GroupBy(k => (k.OpType, k.Reason)).OrderByDescending(g => g.Sum(k => k.Macs)).ThenByDescending(g => g.Count()))
            {
                kept.AddRow(Markup.Escape(group.Key.OpType), Count(group.Count()), Count(group.Sum(k => k.Macs)), Markup.Escape(group.Key.Reason));
            }
            AnsiConsole.Write(kept);
        }
        double share = report.TotalMacs == 0 ? 0 : 100.0 * report.Int8Macs / report.TotalMacs;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MACs in int8: {Count(report.Int8Macs)} of {Count(report.TotalMacs)} ({share:F1}%); {report.QuantizedTensors} activations quantized"));
        if (report.Int16Tensors > 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"int16 activations: {report.Int16Tensors}; MACs reading them (int8 weights x int16 inputs): {Count(report.Int16ActivationMacs)} ({100.0 * report.Int16ActivationMacs / System.Math.Max(1, report.TotalMacs):F1}%)"));
    }

    private static void PrintFallback(FallbackResult result, double target)
    {
        long moved = result.Report.KeptFloat.Where(k => result.FloatNodes.Contains(k.Name)).Sum(k => k.Macs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"auto-fallback: output cosine {result.Analysis.OutputCosine:F5} (target {target}) {(result.Reached ? "reached" : "NOT reached")}; {result.FloatNodes.Count} layers kept float, {Count(moved)} MACs moved off int8"));
        foreach (var step in result.Steps)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  float: {step.Node} ({Count(step.Macs)} MACs): output cosine {step.CosineBefore:F5} -> {step.CosineAfter:F5}"));
        }
    }

    private static Command CreateAnalyze()
    {
        var floatModel = new Argument<string>("float") { Description = "The float .onnx model (or catalog name) the QDQ model was made from" };
        var quantModel = new Argument<FileInfo>("quantized") { Description = "The QDQ .onnx model written by tessera quantize" };
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder of inputs (same forms as --calibration of quantize)", Required = true };
        var html = new Option<FileInfo?>("--html") { Description = "Write the per-layer table as HTML" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the per-layer figures as JSON" };
        var top = new Option<int>("--top") { Description = "Layers shown in the console (worst first)", DefaultValueFactory = _ => 15 };
        var fallback = FallbackOption();
        var output = new Option<FileInfo?>("--output", "-o") { Description = "With --auto-fallback: where to write the model with the fallback applied" };
        var command = new Command("analyze", "Per-layer error of a QDQ model against its float model: cosine, SNR, max abs error, accumulated and local")
        {
            floatModel, quantModel, data, html, json, top, fallback, output,
        };
        var dataOptions = AddDataOptions(command);
        command.SetAction(parse =>
        {
            var argument = parse.GetValue(floatModel)!;
            var folder = parse.GetValue(data)!.FullName;
            var preprocessing = ResolvePreprocessing(parse, dataOptions, argument);
            CalibrationData.Check(folder, preprocessing);
            var quantFile = parse.GetValue(quantModel)!;
            if (!quantFile.Exists) throw new InvalidInputException($"'{quantFile.FullName}' does not exist", "quantized", "give the .onnx written by tessera quantize");
            if (parse.GetValue(fallback) is not null && parse.GetValue(output) is null) throw new InvalidInputException("--auto-fallback needs --output for the new model", "--auto-fallback");
            int maxSamples = parse.GetValue(dataOptions.MaxSamples);
            var quantized = OnnxImporter.Load(quantFile.FullName);
            // The float model goes through the same preparation as in quantize, so tensor names line up.
            // Equalization rescales weights only, so activations (and names) agree either way; follow the file's choice.
            bool equalize = !(quantized.Metadata.GetValueOrDefault(MetadataKey)?.Contains("equalize=False", StringComparison.Ordinal) ?? false);
            var calibrated = CalibrateWithProgress(ModelLoader.Load(argument), folder, preprocessing, maxSamples, !parse.GetValue(dataOptions.NoOptimize), equalize: equalize);
            var samples = CalibrationData.Read(folder, calibrated.FloatModel, preprocessing, maxSamples).ToList();
            var result = QuantizationAnalysis.Compare(calibrated.FloatModel, quantized, samples, preprocessing, Quantizer.MacsByNode(calibrated));
            PrintAnalysis(result, parse.GetValue(top));
            if (parse.GetValue(json) is { } jsonFile) AtomicFile.WriteAllText(jsonFile.FullName, AnalysisReport.ToJson(result));
            if (parse.GetValue(html) is { } htmlFile) AtomicFile.WriteAllText(htmlFile.FullName, AnalysisReport.ToHtml(result, $"{argument} vs {quantFile.Name}"));
            if (parse.GetValue(fallback) is { } target)
            {
                var options = OptionsOf(quantized);
                if (quantized.Metadata.GetValueOrDefault(MetadataKey)?.Contains("bias_correction=True", StringComparison.Ordinal) ?? false) options = WithBiasCorrection(calibrated, options, samples, preprocessing);
                if (quantized.Metadata.GetValueOrDefault(MetadataKey)?.Contains("adaptive_rounding=True", StringComparison.Ordinal) ?? false) options = WithAdaptiveRounding(calibrated, options, samples, preprocessing);
                var fallen = AutoFallback.Run(calibrated, options, samples, preprocessing, target, log: Console.WriteLine);
                fallen.Model.Metadata[MetadataKey] = quantized.Metadata.GetValueOrDefault(MetadataKey) ?? "";
                PrintFallback(fallen, target);
                var path = parse.GetValue(output)!.FullName;
                AtomicFile.WriteAllBytes(path, OnnxExporter.ToBytes(fallen.Model));
                Console.WriteLine($"wrote {path}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The quantize options recorded in the QDQ model's metadata (defaults where absent).</summary>
    private static QuantizationOptions OptionsOf(Model model)
    {
        var options = new QuantizationOptions();
        if (model.Metadata.GetValueOrDefault(MetadataKey) is not { } text) return options;
        foreach (var pair in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2) continue;
            options = parts[0] switch
            {
                "method" => options with { Method = RangeSelection.Parse(parts[1]) },
                "percentile" when double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => options with { Percentile = p },
                "per_channel" => options with { PerChannel = parts[1] == "True" },
                "symmetric" => options with { Symmetric = parts[1] == "True" },
                "int32_outputs" => options with { Int32Outputs = parts[1] == "True" },
                "int16" => options with { Int16Tensors = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) },
                _ => options,
            };
        }
        return options;
    }

    private static void PrintAnalysis(AnalysisResult result, int top)
    {
        static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : v > 0 ? "inf" : "-inf";
        var outputs = new Table().AddColumns("output", "cosine", "SNR dB", "max abs error");
        foreach (var (name, m) in result.Outputs) outputs.AddRow(Markup.Escape(name), F(m.Cosine, "F5"), F(m.SnrDb, "F1"), F(m.MaxAbsError, "G4"));
        AnsiConsole.Write(outputs);
        var layers = new Table().AddColumns("layer (worst first)", "op", "MACs", "cos acc", "SNR acc", "max err acc", "cos local", "SNR local", "max err local");
        foreach (var l in result.Layers.Take(top))
        {
            layers.AddRow(Markup.Escape(l.Node), Markup.Escape(l.OpType), Count(l.Macs), F(l.Accumulated.Cosine, "F5"), F(l.Accumulated.SnrDb, "F1"), F(l.Accumulated.MaxAbsError, "G4"),
                l.Local is null ? "-" : F(l.Local.Cosine, "F5"), l.Local is null ? "" : F(l.Local.SnrDb, "F1"), l.Local is null ? "" : F(l.Local.MaxAbsError, "G4"));
        }
        AnsiConsole.Write(layers);
    }
}
