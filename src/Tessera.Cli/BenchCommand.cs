using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Core;
using Tessera.Kernels.Cpu;
using Tessera.Runtime;

namespace Tessera.Cli;

/// <summary>`tessera bench MODEL --backend reference|cpu --threads N [--warmup W --iters I] [--compare ort]
/// [--json FILE] [--input-shape NAME=DIMS] [--profile]`: latency (median, p10, p90) of one session on
/// deterministic inputs. With --compare ort, ONNX Runtime runs the same inputs in the same process and
/// the iterations alternate (Tessera, ORT, Tessera, ...) so load from other processes hits both alike.</summary>
internal static class BenchCommand
{
    public sealed record Figures(double MedianMs, double P10Ms, double P90Ms, double AllocatedMegabytesPerRun, double PeakWorkingSetMegabytes);

    public static Command Create()
    {
        // Every CLI invocation builds the command tree, so registering here makes "cpu" available to
        // run, conformance and the apps as well.
        CpuBackend.Register();
        var model = new Argument<string>("model") { Description = "Model file (.onnx) or catalog name" };
        var backend = new Option<string>("--backend", "-b") { Description = "Backend: reference or cpu", DefaultValueFactory = _ => CpuBackend.Name };
        var threads = new Option<int>("--threads", "-t") { Description = "Intra-op threads (Tessera and ONNX Runtime alike)", DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first", DefaultValueFactory = _ => 3 };
        var iterations = new Option<int>("--iters") { Description = "Timed runs", DefaultValueFactory = _ => 20 };
        var compare = new Option<string?>("--compare") { Description = "ort: also time ONNX Runtime on the same inputs and print Tessera/ORT" };
        var json = new Option<string?>("--json") { Description = "Write the figures to this JSON file" };
        var shapes = OptimizeCommand.InputShapeOption();
        var noOptimize = OptimizeCommand.NoOptimizeOption();
        var profile = new Option<bool>("--profile") { Description = "Also print Tessera's time per operator type (one extra run)" };
        var command = new Command("bench", "Time a model on a backend, optionally against ONNX Runtime")
        {
            model, backend, threads, warmup, iterations, compare, json, shapes, noOptimize, profile,
        };
        command.SetAction(parse =>
        {
            string path = ModelLoader.Resolve(parse.GetValue(model)!);
            int threadCount = parse.GetValue(threads), warm = parse.GetValue(warmup), iters = parse.GetValue(iterations);
            if (threadCount < 1 || warm < 0 || iters < 1) throw new InvalidInputException("--threads and --iters must be at least 1, --warmup at least 0", "bench");
            string? comparison = parse.GetValue(compare);
            if (comparison is not null && comparison != "ort") throw new InvalidInputException($"--compare {comparison} is not known", "bench", "use --compare ort");
            var loaded = ModelLoader.LoadFile(path);
            var inputShapes = OptimizeCommand.ParseShapes(parse.GetValue(shapes));
            var inputs = BenchInputs.Create(loaded, inputShapes);
            var boundShapes = inputs.ToDictionary(p => p.Key, p => p.Value.Shape);
            OptimizeCommand.OptimizeUnlessDisabled(loaded, parse.GetValue(noOptimize), boundShapes);
            var session = new InferenceSession(loaded, new SessionOptions { Backend = parse.GetValue(backend)!, Threads = threadCount, InputShapes = boundShapes });
            var feeds = inputs.ToDictionary(p => p.Key, p => (DataValue)p.Value);
            using var ort = comparison is null ? null : new OrtBenchmark(path, inputs, threadCount);
            for (int i = 0; i < warm; i++)
            {
                session.Run(feeds);
                ort?.Run();
            }
            var tessera = new double[iters];
            var onnx = new double[iters];
            long allocated = 0;
            for (int i = 0; i < iters; i++)
            {
                long before = GC.GetTotalAllocatedBytes(false);
                long start = Stopwatch.GetTimestamp();
                session.Run(feeds);
                tessera[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                allocated += GC.GetTotalAllocatedBytes(false) - before;
                if (ort is null) continue;
                start = Stopwatch.GetTimestamp();
                ort.Run();
                onnx[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            double peak = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
            var ours = Summarize(tessera, allocated / (double)iters / 1048576.0, peak);
            var theirs = ort is null ? null : Summarize(onnx, double.NaN, peak);
            Print(Path.GetFileName(path), parse.GetValue(backend)!, threadCount, ours, theirs);
            if (parse.GetValue(profile)) PrintProfile(session, feeds);
            if (parse.GetValue(json) is { } jsonPath)
            {
                var document = new
                {
                    model = Path.GetFileName(path), backend = parse.GetValue(backend), threads = threadCount, warmup = warm, iterations = iters,
                    inputs = boundShapes, tessera = ours, ort = theirs, ratio = theirs is null ? (double?)null : ours.MedianMs / theirs.MedianMs,
                    processor = Environment.ProcessorCount,
                };
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            }
            return 0;
        });
        return command;
    }

    private static Figures Summarize(double[] times, double allocated, double peak)
    {
        var sorted = times.Order().ToArray();
        double At(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        return new Figures(At(0.5), At(0.1), At(0.9), allocated, peak);
    }

    private static string F(double v) => double.IsNaN(v) ? "-" : v.ToString(v < 10 ? "F3" : "F1", CultureInfo.InvariantCulture);

    private static void Print(string model, string backend, int threads, Figures ours, Figures? theirs)
    {
        var table = new Table().AddColumns("engine", "median ms", "p10 ms", "p90 ms", "allocated MB/run");
        table.AddRow(Markup.Escape($"tessera {backend}"), F(ours.MedianMs), F(ours.P10Ms), F(ours.P90Ms), F(ours.AllocatedMegabytesPerRun));
        if (theirs is not null) table.AddRow("onnxruntime", F(theirs.MedianMs), F(theirs.P10Ms), F(theirs.P90Ms), "-");
        table.Caption = new TableTitle(Markup.Escape($"{model}, {threads} thread(s); process peak working set {ours.PeakWorkingSetMegabytes:F0} MB"));
        AnsiConsole.Write(table);
        if (theirs is not null) AnsiConsole.MarkupLine($"ratio tessera/ort (median): [bold]{(ours.MedianMs / theirs.MedianMs).ToString("F2", CultureInfo.InvariantCulture)}[/]");
    }

    /// <summary>Time between successive node callbacks, summed per operator type.</summary>
    private static void PrintProfile(InferenceSession session, Dictionary<string, DataValue> feeds)
    {
        var totals = new Dictionary<string, (double Ms, int Count)>();
        long last = 0;
        session.NodeExecuted = (node, _) =>
        {
            long now = Stopwatch.GetTimestamp();
            string key = (node.Domain.Length > 0 ? node.Domain + "." : "") + node.OpType;
            var (ms, count) = totals.GetValueOrDefault(key);
            totals[key] = (ms + Stopwatch.GetElapsedTime(last, now).TotalMilliseconds, count + 1);
            last = Stopwatch.GetTimestamp();
        };
        last = Stopwatch.GetTimestamp();
        session.Run(feeds);
        session.NodeExecuted = null;
        var table = new Table().AddColumns("op", "nodes", "ms", "share");
        double total = totals.Values.Sum(v => v.Ms);
        foreach (var (op, (ms, count)) in totals.OrderByDescending(p => p.Value.Ms))
        {
            table.AddRow(Markup.Escape(op), count.ToString(CultureInfo.InvariantCulture), F(ms), (ms / total).ToString("P0", CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
    }
}
