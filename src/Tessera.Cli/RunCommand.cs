using System.CommandLine;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Tessera.Core;
using Tessera.Onnx;
using Tessera.Runtime;

namespace Tessera.Cli;

/// <summary>`tessera run MODEL -i NAME=FILE ... -o DIR`: runs a model on .npy / TensorProto inputs and
/// writes one .npy per output. All outputs are computed before any file is written, and each file is
/// written atomically, so a failure leaves no partial output.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model file (.onnx), compiled NPU package (.tnpu) or catalog name" };
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "Input as NAME=FILE (.npy or serialized TensorProto .pb); FILE alone when the model has one input",
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder for the output .npy files" };
        var backend = new Option<string>("--backend", "-b") { Description = "Backend: reference, or npu (the simulated NPU, with --npu CONFIG)", DefaultValueFactory = _ => "reference" };
        var noOptimize = OptimizeCommand.NoOptimizeOption();
        var command = new Command("run", "Run a model on input tensors and write its outputs as .npy files") { model, inputs, output, backend, noOptimize };
        var npu = NpuModelCommands.AddRunOptions(command);
        command.SetAction(parse =>
        {
            if (NpuModelCommands.Handles(parse.GetValue(model)!, parse.GetValue(backend)!))
            {
                return NpuModelCommands.Run(parse, npu, parse.GetValue(model)!, parse.GetValue(inputs) ?? [], parse.GetValue(output), !parse.GetValue(noOptimize));
            }
            var loaded = ModelLoader.Load(parse.GetValue(model)!);
            if (Tessera.TFLite.TfLiteImporter.IsPreQuantized(loaded))
            {
                // Float kernels would only approximate TFLite's fixed-point arithmetic; the integer executor follows it.
                throw new UnsupportedException($"this is a pre-quantized {loaded.Metadata[Tessera.TFLite.TfLiteImporter.QuantizedMetadataKey]} TFLite model; `tessera run` executes float backends", loaded.SourcePath ?? "model",
                    "run it on the integer executor: tessera int-run MODEL -i INPUT.npy [-o DIR]");
            }
            var feeds = ReadInputs(loaded, parse.GetValue(inputs) ?? []);
            var shapes = feeds.Where(f => f.Value is Tensor).ToDictionary(f => f.Key, f => ((Tensor)f.Value).Shape);
            // Input names are checked against the model as written, before the optimizer rewrites it.
            InferenceSession.CheckInputNames(loaded, feeds.Keys);
            OptimizeCommand.OptimizeUnlessDisabled(loaded, parse.GetValue(noOptimize), shapes, backend: parse.GetValue(backend));
            var session = new InferenceSession(loaded, new SessionOptions { Backend = parse.GetValue(backend)!, InputShapes = shapes });
            var results = session.Run(feeds);
            var folder = parse.GetValue(output);
            var files = folder is null ? null : PlanFiles(results, folder.FullName);
            Print(results, files);
            if (files is not null)
            {
                foreach (var (name, path) in files) NpyFile.Write(path, (Tensor)results[name]);
            }
            return 0;
        });
        return command;
    }

    /// <summary>File name for an output: characters outside [A-Za-z0-9_.-] become '_'.</summary>
    public static string SafeFileName(string outputName)
    {
        var sb = new StringBuilder(outputName.Length);
        foreach (char c in outputName) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_');
        var name = sb.ToString();
        return (name.Length == 0 || name is "." or ".." ? "output" : name) + ".npy";
    }

    internal static Dictionary<string, DataValue> ReadInputs(Model model, string[] specs)
    {
        var feedable = model.Graph.Inputs.Where(v => v.Constant is null).ToList();
        var feeds = new Dictionary<string, DataValue>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            string name, path;
            if (eq > 0)
            {
                (name, path) = (spec[..eq], spec[(eq + 1)..]);
            }
            else if (feedable.Count == 1)
            {
                (name, path) = (feedable[0].Name, spec);
            }
            else
            {
                throw new InvalidInputException($"'{spec}' does not say which input it is for", "--input",
                    $"write NAME=FILE; the model's inputs are {string.Join(", ", feedable.Select(v => v.Name))}");
            }
            if (feeds.ContainsKey(name)) throw new InvalidInputException($"input '{name}' is given twice", "--input");
            feeds[name] = ReadTensor(path);
        }
        return feeds;
    }

    private static Tensor ReadTensor(string path)
    {
        if (!File.Exists(path)) throw new TesseraException("input file not found", path, "check the path");
        return Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase)
            ? NpyFile.Read(path)
            : TensorProtoConverter.ReadFile(path);
    }

    internal static List<(string Name, string Path)> PlanFiles(IReadOnlyDictionary<string, DataValue> results, string folder)
    {
        var files = new List<(string, string)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in results)
        {
            if (value is not Tensor)
            {
                throw new UnsupportedException($"output '{name}' is {value}, which cannot be written as .npy", "run", "only tensor outputs can be saved");
            }
            var file = SafeFileName(name);
            if (!used.Add(file)) throw new InvalidInputException($"two outputs map to the same file name {file}", "run");
            files.Add((name, Path.Combine(folder, file)));
        }
        return files;
    }

    internal static void Print(IReadOnlyDictionary<string, DataValue> results, List<(string Name, string Path)>? files)
    {
        var table = new Table().AddColumns("output", "type", "shape", "min", "max", "mean");
        if (files is not null) table.AddColumn("file");
        foreach (var (name, value) in results)
        {
            var row = new List<string> { Markup.Escape(name) };
            if (value is Tensor t)
            {
                row.Add(DataTypes.Name(t.DataType));
                row.Add(Markup.Escape(ShapeMath.Format(t.Shape)));
                row.AddRange(Statistics(t));
            }
            else
            {
                row.AddRange([Markup.Escape(value.ToString() ?? "?"), "", "", "", ""]);
            }
            if (files is not null) row.Add(Markup.Escape(files.FirstOrDefault(f => f.Name == name).Path ?? ""));
            table.AddRow(row.ToArray());
        }
        AnsiConsole.Write(table);
    }

    private static string[] Statistics(Tensor t)
    {
        if (t.Length == 0 || t.DataType == DataType.String) return ["-", "-", "-"];
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        for (int i = 0; i < t.Length; i++)
        {
            double v = t.GetDouble(i);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
        }
        return [Format(min), Format(max), Format(sum / t.Length)];
    }

    private static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
