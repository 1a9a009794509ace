using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tessera.Core;
using Tessera.Npu;
using Tessera.Onnx;
using Tessera.Passes;
using Tessera.Quantization;
using Tessera.Simulator;

namespace Tessera.Cli;

/// <summary>`tessera compile MODEL --npu CONFIG -o MODEL.tnpu [--calibration DIR] [--explain]` and the NPU
/// branch of `tessera run` (MODEL.tnpu, or MODEL.onnx with --backend npu): partition a quantized model between
/// the simulated NPU and the CPU, compile it, run it, report cycles, energy and the MAC split.</summary>
internal static class NpuModelCommands
{
    /// <summary>The options `compile` and `run --backend npu` share.</summary>
    internal sealed record CompileOptions(Option<string?> Npu, Option<DirectoryInfo?> Calibration, Option<string?> Preset, Option<string[]> Shapes, Option<int> MaxSamples);

    /// <summary>The NPU options of `tessera run`.</summary>
    internal sealed record RunOptions(CompileOptions Compile, Option<FileInfo?> Report, Option<FileInfo?> Trace);

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Quantized (QDQ) .onnx model, or a float model or catalog name with --calibration" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Where to write the compiled .tnpu package", Required = true };
        var explain = new Option<bool>("--explain") { Description = "Print every step left on the CPU with its reason, and the MACs kept on the NPU" };
        var noOptimize = OptimizeCommand.NoOptimizeOption();
        var command = new Command("compile", "Partition and compile a quantized model for an NPU configuration into a .tnpu package") { model, output, explain, noOptimize };
        var options = AddCompileOptions(command, required: true);
        command.SetAction(parse =>
        {
            var package = Compile(parse, options, parse.GetValue(model)!, !parse.GetValue(noOptimize));
            if (parse.GetValue(explain)) Console.WriteLine(package.Partition.Explain());
            else Console.WriteLine(package.Partition.Explain().Split('\n')[^1]);
            var destination = parse.GetValue(output)!.FullName;
            NpuPackageFile.Write(destination, package);
            Console.WriteLine($"wrote {destination}");
            return 0;
        });
        return command;
    }

    public static RunOptions AddRunOptions(Command run)
    {
        var compile = AddCompileOptions(run, required: false);
        var report = new Option<FileInfo?>("--report") { Description = "NPU: write the per-layer and summary report as JSON" };
        var trace = new Option<FileInfo?>("--trace") { Description = "NPU: write a Chrome/Perfetto trace of all segments (JSON)" };
        run.Options.Add(report);
        run.Options.Add(trace);
        return new RunOptions(compile, report, trace);
    }

    /// <summary>Whether `run` goes to the NPU: a .tnpu package, or --backend npu.</summary>
    public static bool Handles(string model, string backend) =>
        backend == "npu" || model.EndsWith(".tnpu", StringComparison.OrdinalIgnoreCase);

    public static int Run(ParseResult parse, RunOptions options, string model, string[] inputSpecs, DirectoryInfo? outputFolder, bool optimize)
    {
        // Compiled here, the program is made for the shapes of the inputs given.
        var package = model.EndsWith(".tnpu", StringComparison.OrdinalIgnoreCase)
            ? NpuPackageFile.Read(model)
            : Compile(parse, options.Compile, model, optimize, RunCommand.ReadInputs(ModelLoader.Load(model), inputSpecs)
                .Where(p => p.Value is Tensor).ToDictionary(p => p.Key, p => ((Tensor)p.Value).Shape, StringComparer.Ordinal));
        var onnx = OnnxImporter.Load(package.ModelBytes, model);
        var feeds = RunCommand.ReadInputs(onnx, inputSpecs).ToDictionary(p => p.Key, p => p.Value as Tensor
            ?? throw new InvalidInputException($"'{p.Key}' is not a tensor", "--input"), StringComparer.Ordinal);
        var files = outputFolder is null ? null : RunCommand.PlanFiles(package.Partition.Program.Outputs.ToDictionary(n => n, n => (DataValue)Tensor.Scalar(0f)), outputFolder.FullName);
        var trace = parse.GetValue(options.Trace) is null ? null : new List<TraceEvent>();
        var result = HybridRunner.Run(package.Partition, feeds, layerReports: parse.GetValue(options.Report) is not null, trace);
        var outputs = result.Outputs.ToDictionary(p => p.Key, p => (DataValue)p.Value, StringComparer.Ordinal);
        RunCommand.Print(outputs, files);
        Console.WriteLine(result.Report.Summary());
        if (files is not null)
        {
            foreach (var (name, path) in files) NpyFile.Write(path, result.Outputs[name]);
        }
        if (parse.GetValue(options.Report) is { } report) AtomicFile.WriteAllText(report.FullName, result.Report.ToJson());
        if (parse.GetValue(options.Trace) is { } traceFile) AtomicFile.WriteAllText(traceFile.FullName, TraceWriter.Write(trace!, package.Partition.Spec));
        return 0;
    }

    private static CompileOptions AddCompileOptions(Command command, bool required)
    {
        var options = new CompileOptions(
            new Option<string?>("--npu") { Description = "NPU configuration: tiny, small, large or a YAML path", Required = required },
            new Option<DirectoryInfo?>("--calibration") { Description = "Quantize a float model first, calibrating on this folder (images, .wav or .npy)" },
            new Option<string?>("--preset") { Description = $"Preprocessing for --calibration: {string.Join(", ", PreprocessingPresets.All.Keys)} (default: the model's catalog name)" },
            new Option<string[]>("--shape") { Description = "Input shape to compile for, as NAME=1x3x96x96 (needed for dynamic dimensions)", AllowMultipleArgumentsPerToken = true },
            new Option<int>("--max-samples") { Description = "With --calibration: most calibration runs", DefaultValueFactory = _ => 16 });
        command.Options.Add(options.Npu);
        command.Options.Add(options.Calibration);
        command.Options.Add(options.Preset);
        command.Options.Add(options.Shapes);
        command.Options.Add(options.MaxSamples);
        return options;
    }

    private static NpuPackage Compile(ParseResult parse, CompileOptions options, string argument, bool optimize, IReadOnlyDictionary<string, int[]>? inputShapes = null)
    {
        var npu = parse.GetValue(options.Npu) ?? throw new InvalidInputException("no NPU configuration given", "--npu", "add --npu tiny|small|large or a YAML path");
        var (yaml, where) = NpuPackage.SpecSource(npu);
        var model = ModelLoader.Load(argument);
        bool quantized = GraphOptimizer.IsQuantized(model);
        if (parse.GetValue(options.Calibration) is { } folder)
        {
            if (quantized) throw new InvalidInputException("the model is already quantized; --calibration quantizes float models", argument, "drop --calibration");
            var preprocessing = parse.GetValue(options.Preset) is { } preset ? PreprocessingPresets.Get(preset)
                : PreprocessingPresets.All.GetValueOrDefault(argument) ?? PreprocessingPresets.All.GetValueOrDefault(Path.GetFileNameWithoutExtension(argument));
            CalibrationData.Check(folder.FullName, preprocessing);
            // The shapes the program is compiled for are fixed before calibration: an LSTM with a known sequence
            // length is then expanded into gate layers that run on the NPU, and shape checks (If) fold away.
            FixInputShapes(model, ParseShapes(parse.GetValue(options.Shapes) ?? []), inputShapes);
            int samples = parse.GetValue(options.MaxSamples);
            var calibration = Quantizer.Calibrate(model, m => CalibrationData.Read(folder.FullName, m, preprocessing, samples), preprocessing, optimize, expandLstm: true);
            model = Quantizer.Rewrite(calibration, new QuantizationOptions()).Model;
        }
        else if (!quantized)
        {
            throw new InvalidInputException("the model is not quantized (no QuantizeLinear/DequantizeLinear)", argument, "quantize it with `tessera quantize` or give --calibration DIR");
        }
        else if (optimize)
        {
            // A model quantized elsewhere: clean it up without touching its quantization (int8 weights stay int8).
            var result = GraphOptimizer.Optimize(model, new OptimizationOptions { PreserveQuantization = true });
            if (result.After.Nodes != result.Before.Nodes) Console.WriteLine($"optimized: {result.Before.Nodes} -> {result.After.Nodes} nodes (--no-optimize to compile the model as written)");
        }
        var bytes = OnnxExporter.ToBytes(model);
        var reloaded = OnnxImporter.Load(bytes, argument);
        var (shapes, types) = InputShapes(reloaded, parse.GetValue(options.Shapes) ?? [], inputShapes ?? new Dictionary<string, int[]>());
        return NpuPackage.Compile(bytes, yaml, where, shapes, types);
    }

    private static Dictionary<string, int[]> ParseShapes(string[] given)
    {
        var overrides = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var spec in given)
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            var dims = eq <= 0 ? null : spec[(eq + 1)..].Split('x', ',').Select(d => int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : -1).ToArray();
            if (dims is null || dims.Length == 0 || dims.Any(d => d < 0)) throw new InvalidInputException($"'{spec}' is not NAME=DIMSxDIMS...", "--shape", "write e.g. x=1x3x96x96");
            overrides[spec[..eq]] = dims;
        }
        return overrides;
    }

    /// <summary>Declares the float model's inputs at the shapes given by --shape (or by the inputs fed to `run`)
    /// before it is calibrated and quantized. A shape of another rank than the declared one is an error.</summary>
    private static void FixInputShapes(Model model, Dictionary<string, int[]> overrides, IReadOnlyDictionary<string, int[]>? fromInputs)
    {
        var inputs = DataInputs(model).ToList();
        foreach (var name in overrides.Keys.Where(k => inputs.All(v => v.Name != k)))
        {
            throw new InvalidInputException($"the model has no input named '{name}'", "--shape", $"inputs: {string.Join(", ", inputs.Select(v => v.Name))}");
        }
        foreach (var input in inputs)
        {
            if (!overrides.TryGetValue(input.Name, out var dims) && (fromInputs is null || !fromInputs.TryGetValue(input.Name, out dims))) continue;
            var declared = input.TensorType?.Shape;
            if (declared is not null && declared.Rank != dims.Length)
            {
                throw new InvalidInputException($"input '{input.Name}' has rank {declared.Rank} ({declared}), the shape given has rank {dims.Length}", "--shape", $"give {declared.Rank} dimensions for '{input.Name}'");
            }
            if (declared is not null && Enumerable.Range(0, dims.Length).Any(i => declared[i].IsKnown && declared[i].Value != dims[i]))
            {
                throw new InvalidInputException($"input '{input.Name}' is declared {declared}, the shape given is {string.Join('x', dims)}", "--shape", "keep the declared dimensions and set only the dynamic ones");
            }
            input.Type = new TensorType(input.TensorType?.ElementType ?? DataType.Float32, TensorShape.FromConcrete(dims));
        }
    }

    /// <summary>The inputs a caller feeds (not constants, not initializers listed as inputs).</summary>
    private static IEnumerable<Value> DataInputs(Model model) => model.Graph.Inputs.Where(v => v.Constant is null && !model.Graph.Initializers.ContainsKey(v.Name));

    private static (Dictionary<string, int[]>, Dictionary<string, DataType>) InputShapes(Model model, string[] given, IReadOnlyDictionary<string, int[]> fromInputs)
    {
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var types = new Dictionary<string, DataType>(StringComparer.Ordinal);
        var overrides = ParseShapes(given);
        foreach (var input in DataInputs(model))
        {
            types[input.Name] = input.TensorType?.ElementType ?? DataType.Float32;
            if (overrides.Remove(input.Name, out var dims)) shapes[input.Name] = dims;
            else if (fromInputs.TryGetValue(input.Name, out var fed)) shapes[input.Name] = fed;
            else shapes[input.Name] = input.TensorType?.Shape?.ToConcrete()
                ?? throw new InvalidInputException($"input '{input.Name}' has the dynamic shape {input.TensorType?.Shape}", "--shape", $"give its shape, e.g. --shape {input.Name}=1x3x96x96");
        }
        if (overrides.Count > 0) throw new InvalidInputException($"the model has no input named '{overrides.Keys.First()}'", "--shape", $"inputs: {string.Join(", ", shapes.Keys)}");
        return (shapes, types);
    }
}
