using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Spectre.Console;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Kernels.Cpu;
using Tessera.Npu;
using Tessera.Passes;
using Tessera.Runtime;

namespace Tessera.Cli.Compare;

/// <summary>`tessera compare MODEL [--backends cpu,ort] [--npu tiny,small,large] [--html FILE] [--json FILE]
/// [--threads N] [--warmup W] [--iters I] [--quantized FILE] [--input-shape NAME=DIMS]`: measured latency of
/// Tessera's backends and ONNX Runtime on this CPU, int8 agreement, per-layer cost and a roofline per NPU
/// configuration, printed and written as one self-contained HTML page and/or JSON.</summary>
internal static class CompareCommand
{
    private static readonly string[] KnownEngines = ["reference", CpuBackend.Name, "ort"];

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model file (.onnx) or catalog name" };
        var engines = new Option<string>("--backends") { Description = "Engines to time on this CPU: reference (slow), cpu, ort", DefaultValueFactory = _ => "cpu,ort" };
        var npu = new Option<string>("--npu") { Description = "NPU configurations (configs/npu names or YAML paths), comma-separated; 'none' for no NPU section", DefaultValueFactory = _ => "tiny,small,large" };
        var html = new Option<string?>("--html") { Description = "Write the report as one self-contained HTML file" };
        var json = new Option<string?>("--json") { Description = "Write the report (figures and plots) as JSON" };
        var threads = new Option<int>("--threads", "-t") { Description = "Intra-op threads (Tessera and ONNX Runtime alike)", DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs per engine first", DefaultValueFactory = _ => 2 };
        var iterations = new Option<int>("--iters") { Description = "Timed runs per engine", DefaultValueFactory = _ => 10 };
        var quantized = new Option<string?>("--quantized") { Description = "int8 QDQ model made by `tessera quantize` from MODEL: its outputs are compared with the float model's (cosine)" };
        var shapes = OptimizeCommand.InputShapeOption();
        var command = new Command("compare", "Compare CPU backends, ONNX Runtime and NPU configurations on one model (latency, int8 agreement, per-layer cost, roofline)")
        {
            model, engines, npu, html, json, threads, warmup, iterations, quantized, shapes,
        };
        command.SetAction(parse =>
        {
            CpuBackend.Register();
            int threadCount = parse.GetValue(threads), warm = parse.GetValue(warmup), iters = parse.GetValue(iterations);
            if (threadCount < 1 || warm < 0 || iters < 1) throw new InvalidInputException("--threads and --iters must be at least 1, --warmup at least 0", "compare", "give positive counts");
            var chosen = ParseList(parse.GetValue(engines)!);
            if (chosen.FirstOrDefault(e => !KnownEngines.Contains(e)) is { } unknown)
            {
                throw new InvalidInputException($"unknown engine '{unknown}' in --backends", "--backends", $"choose from {string.Join(", ", KnownEngines)}");
            }
            var specs = parse.GetValue(npu) is "none" ? [] : ParseList(parse.GetValue(npu)!).Select(NpuSpecLoader.Load).ToList();
            string path = ModelLoader.Resolve(parse.GetValue(model)!);
            var quantizedModel = parse.GetValue(quantized) is { } q ? ModelLoader.LoadFile(q) : null;
            var report = Measure(path, chosen, specs, threadCount, warm, iters, OptimizeCommand.ParseShapes(parse.GetValue(shapes)), quantizedModel, parse.GetValue(quantized));
            var figures = ComparisonFigures.Create(report);
            if (parse.GetValue(html) is { } htmlPath) AtomicFile.WriteAllText(htmlPath, ComparisonHtml.Render(report, figures));
            if (parse.GetValue(json) is { } jsonPath) AtomicFile.WriteAllText(jsonPath, ComparisonJson.Render(report, figures));
            Print(report);
            return 0;
        });
        return command;
    }

    private static List<string> ParseList(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).Distinct().ToList();

    private static ComparisonReport Measure(string path, IReadOnlyList<string> chosen, IReadOnlyList<NpuSpec> specs, int threads, int warmup, int iterations,
        IReadOnlyDictionary<string, int[]>? shapes, Model? quantized, string? quantizedPath)
    {
        var original = ModelLoader.LoadFile(path);
        var inputs = BenchInputs.Create(original, shapes, "compare");
        var bound = inputs.ToDictionary(p => p.Key, p => p.Value.Shape);
        var feeds = inputs.ToDictionary(p => p.Key, p => (DataValue)p.Value);
        // The cpu backend and the cost table use the optimized graph (what `tessera run` executes); the
        // reference backend runs the model as imported, the specification.
        var optimized = ModelLoader.LoadFile(path);
        GraphOptimizer.Optimize(optimized, new OptimizationOptions { InputShapes = bound });
        var cpu = new InferenceSession(optimized, new SessionOptions { Backend = CpuBackend.Name, Threads = threads, InputShapes = bound });
        var engines = new List<TimedEngine>();
        try
        {
            foreach (var name in chosen)
            {
                engines.Add(name switch
                {
                    "cpu" => new TimedEngine("tessera cpu", () => cpu.Run(feeds)),
                    "reference" => Reference(original, bound, feeds),
                    _ => Ort(path, inputs, threads),
                });
            }
            var latencies = engines.Count == 0 ? [] : WithProgress("timing", (report) => CompareMeasurement.Time(engines, warmup, iterations, report));
            var agreement = quantized is null ? [] : CompareMeasurement.Agreement(cpu, quantized, quantizedPath!, inputs);
            return new ComparisonReport
            {
                Model = Path.GetFileName(path),
                InputShapes = bound,
                Threads = threads,
                Machine = Machine(),
                Latencies = latencies,
                QuantizedModel = quantizedPath is null ? null : Path.GetFileName(quantizedPath),
                Agreement = agreement,
                Cost = CostAnalysis.Analyze(optimized, bound),
                FloatBytesPerElement = inputs.Values.Any(t => t.DataType == DataType.Float16) ? 2 : 4,
                Npu = Simulate(quantized, specs, inputs),
            };
        }
        finally
        {
            foreach (var engine in engines) engine.Dispose();
        }
    }

    /// <summary>The int8 model partitioned for each configuration at the compared input and run once by the
    /// hybrid runner (simulated NPU segments, integer CPU steps); without an int8 model nothing is simulated.</summary>
    private static List<NpuConfiguration> Simulate(Model? quantized, IReadOnlyList<NpuSpec> specs, IReadOnlyDictionary<string, Tensor> inputs)
    {
        if (quantized is null || specs.Count == 0) return specs.Select(s => new NpuConfiguration(s, null)).ToList();
        var program = IntegerLowering.Lower(Onnx.OnnxImporter.Load(Onnx.OnnxExporter.ToBytes(quantized), "int8 model"));
        var feeds = program.Inputs.ToDictionary(n => n, n => inputs.TryGetValue(n, out var t) ? t
            : throw new InvalidInputException($"the int8 model's input '{n}' is not an input of the float model", "--quantized", "give the int8 version of MODEL"), StringComparer.Ordinal);
        var values = ProgramValues.Probe(program, feeds);
        return specs.Select(spec => new NpuConfiguration(spec, HybridRunner.Run(Partitioner.Partition(program, values, spec), feeds).Report)).ToList();
    }

    private static TimedEngine Reference(Model model, IReadOnlyDictionary<string, int[]> bound, Dictionary<string, DataValue> feeds)
    {
        var session = new InferenceSession(model, new SessionOptions { InputShapes = bound });
        return new TimedEngine("tessera reference", () => session.Run(feeds));
    }

    private static TimedEngine Ort(string path, IReadOnlyDictionary<string, Tensor> inputs, int threads)
    {
        var ort = new OrtBenchmark(path, inputs, threads);
        return new TimedEngine("onnxruntime", ort.Run) { Owned = ort };
    }

    private static T WithProgress<T>(string label, Func<Action<int, int>?, T> work)
    {
        if (Console.IsOutputRedirected) return work(null);
        T result = default!;
        AnsiConsole.Progress().Start(context =>
        {
            var task = context.AddTask(label);
            result = work((done, total) =>
            {
                task.MaxValue = total;
                task.Value = done;
            });
        });
        return result;
    }

    /// <summary>Processor model (Linux /proc/cpuinfo when present), logical processors and OS.</summary>
    private static string Machine()
    {
        string processor = RuntimeInformation.ProcessArchitecture.ToString();
        if (File.Exists("/proc/cpuinfo"))
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line?.Split(':', 2) is [_, var name]) processor = name.Trim();
        }
        return $"{processor}, {Environment.ProcessorCount} logical processors, {RuntimeInformation.OSDescription}";
    }

    private static string F(double v) => v.ToString(v < 10 ? "F3" : "F1", CultureInfo.InvariantCulture);

    private static void Print(ComparisonReport report)
    {
        var table = new Table().AddColumns("engine", "median ms", "p10 ms", "p90 ms", "inferences/s", "energy");
        foreach (var l in report.Latencies)
        {
            table.AddRow(Markup.Escape(l.Engine), F(l.MedianMs), F(l.P10Ms), F(l.P90Ms), F(l.InferencesPerSecond), Markup.Escape(ComparisonReport.CpuEnergyNote));
        }
        foreach (var npu in report.Npu)
        {
            if (npu.Simulation is { } s)
            {
                table.AddRow(Markup.Escape($"NPU {npu.Spec.Name} (simulated)"), F(s.LatencyMicroseconds / 1000), "-", "-", F(s.InferencesPerSecond), Markup.Escape($"{s.EnergyMicrojoules:F2} uJ"));
            }
            else
            {
                table.AddRow(Markup.Escape($"NPU {npu.Spec.Name}"), "-", "-", "-", "-", Markup.Escape(ComparisonReport.NpuNotSimulatedNote));
            }
        }
        table.Caption = new TableTitle(Markup.Escape($"{report.Model}, {report.Threads} thread(s); {report.Cost.Macs:N0} MACs"));
        AnsiConsole.Write(table);
        foreach (var a in report.Agreement)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"int8 vs float '{a.Output}': cosine {a.Cosine:F5}, max abs difference {a.MaxAbsDifference:G4}"));
        }
    }
}
