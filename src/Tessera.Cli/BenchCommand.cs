using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Kernels.Cpu;
using Tessera.Kernels.Cpu.Int8;
using Tessera.Runtime;

namespace Tessera.Cli;

/// <summary>`tessera bench MODEL --backend reference|cpu --threads N [--warmup W --iters I] [--compare ort]
/// [--json FILE] [--input-shape NAME=DIMS] [--profile [--profile-top N]] [--int8]`: latency (median, p10, p90) of one session on
/// deterministic inputs. With --compare ort, ONNX Runtime runs the same inputs in the same process and
/// the iterations alternate (Tessera, ORT, Tessera, ...) so load from other processes hits both alike.</summary>
internal static class BenchCommand
{
    /// <summary>Wall-clock latency percentiles and the median CPU time of the process per run (all threads;
    /// see <see cref="ProcessorClock"/>); managed bytes allocated per run by every thread of the process (a precise count
    /// over up to 10 untimed runs after the timed ones), also in megabytes.</summary>
    public sealed record Figures(double MedianMs, double P10Ms, double P90Ms, double CpuMedianMs, double AllocatedMegabytesPerRun, double PeakWorkingSetMegabytes)
    {
        public double AllocatedBytesPerRun => AllocatedMegabytesPerRun * 1048576.0;
    }

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
        var profile = new Option<bool>("--profile") { Description = "Also print Tessera's time per operator type and the slowest nodes (mean of --iters extra runs)" };
        var profileTop = new Option<int?>("--profile-top") { Description = "With --profile: how many of the slowest nodes to list (default 15, int8 steps 12)" };
        var int8 = new Option<bool>("--int8")
        {
            Description = "MODEL is quantized (QDQ/QLinear, as tessera quantize writes): time its integer program, on the integer reference executor (--backend reference) or with the fast int8 kernels (--backend cpu)",
        };
        var command = new Command("bench", "Time a model on a backend, optionally against ONNX Runtime")
        {
            model, backend, threads, warmup, iterations, compare, json, shapes, noOptimize, profile, profileTop, int8,
        };
        command.Subcommands.Add(MlperfTinyCommand.Create());
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
            var feeds = inputs.ToDictionary(p => p.Key, p => (DataValue)p.Value);
            string backendName = parse.GetValue(backend)!;
            InferenceSession? session = null;
            IntegerProgram? program = null;
            Action runTessera;
            if (parse.GetValue(int8))
            {
                program = Int8Program(loaded, backendName, threadCount);
                // One state for every run: the program clears and refills it (no per-run state allocation).
                var state = new IntegerState();
                runTessera = () => program.Run(inputs, state);
                backendName += " int8";
            }
            else
            {
                OptimizeCommand.OptimizeUnlessDisabled(loaded, parse.GetValue(noOptimize), boundShapes, backend: backendName);
                var created = new InferenceSession(loaded, new SessionOptions { Backend = backendName, Threads = threadCount, InputShapes = boundShapes });
                session = created;
                // Each result goes back to the session's arena once timed, as ONNX Runtime's outputs go back to its arena
                // when the comparison disposes them (a graph output is otherwise a fresh large array every run).
                // One results dictionary for every run (Run(feeds, results) fills it).
                var results = new Dictionary<string, DataValue>(StringComparer.Ordinal);
                runTessera = () =>
                {
                    created.Run(feeds, results);
                    created.Recycle(results);
                };
            }
            using var ort = comparison is null ? null : new OrtBenchmark(path, inputs, threadCount);
            for (int i = 0; i < warm; i++)
            {
                runTessera();
                ort?.Run();
            }
            var tessera = new double[iters];
            var onnx = new double[iters];
            var tesseraCpu = new double[iters];
            var onnxCpu = new double[iters];
            long allocated = 0;
            // At several threads ONNX Runtime's workers spin (about 16 ms here) after each Run before they block, and
            // .NET's pool threads briefly too: alternating single runs let one engine's spinning threads hold a core
            // through the other's timed run. So each engine runs a block of iterations back to back (spinning between
            // its own runs, as in a loop of its own), and the next block starts once the process is idle.
            int block = ort is not null && threadCount > 1 ? ParallelBlock : 1;
            for (int first = 0; first < iters; first += block)
            {
                int end = Math.Min(iters, first + block);
                if (block > 1) WaitUntilIdle();
                for (int i = first; i < end; i++)
                {
                    double cpu = ProcessorClock.NowMilliseconds();
                    long start = Stopwatch.GetTimestamp();
                    runTessera();
                    tessera[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    tesseraCpu[i] = ProcessorClock.NowMilliseconds() - cpu;
                }
                if (ort is null) continue;
                if (block > 1) WaitUntilIdle();
                for (int i = first; i < end; i++)
                {
                    double cpu = ProcessorClock.NowMilliseconds();
                    long start = Stopwatch.GetTimestamp();
                    ort.Run();
                    onnx[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    onnxCpu[i] = ProcessorClock.NowMilliseconds() - cpu;
                }
            }
            // Allocation per run over untimed runs after the timed ones: a precise count of every thread's bytes stops the
            // runtime's threads, which between timed runs would let the idle workers block (and cost a wake-up).
            int counted = Math.Min(iters, 10);
            long before = GC.GetTotalAllocatedBytes(true);
            for (int i = 0; i < counted; i++) runTessera();
            allocated = (GC.GetTotalAllocatedBytes(true) - before) / counted;
            double peak = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
            var ours = Summarize(tessera, tesseraCpu, allocated / 1048576.0, peak);
            var theirs = ort is null ? null : Summarize(onnx, onnxCpu, double.NaN, peak);
            double arena = (session?.ArenaBytes ?? 0) / 1048576.0;
            Print(Path.GetFileName(path), backendName, threadCount, ours, theirs, arena);
            int? top = parse.GetValue(profileTop) is { } n ? Math.Max(n, 0) : null;
            if (parse.GetValue(profile) && session is not null) PrintProfile(session, feeds, iters, threadCount, top ?? 15);
            if (parse.GetValue(profile) && program is not null) PrintStepProfile(program, inputs, iters, threadCount, top ?? 12);
            if (parse.GetValue(json) is { } jsonPath)
            {
                var document = new
                {
                    model = Path.GetFileName(path), backend = backendName, threads = threadCount, warmup = warm, iterations = iters,
                    inputs = boundShapes, arenaMegabytes = arena, tessera = ours, ort = theirs, ratio = theirs is null ? (double?)null : ours.MedianMs / theirs.MedianMs,
                    cpuRatio = theirs is null ? (double?)null : ours.CpuMedianMs / theirs.CpuMedianMs, loadAverage = LoadAverage(),
                    processor = Environment.ProcessorCount,
                };
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            }
            return 0;
        });
        return command;
    }

    /// <summary>Iterations per engine block when both engines run several threads (see the timing loop).</summary>
    private const int ParallelBlock = 5;

    /// <summary>Sleeps until this process uses almost no CPU over 2 ms (spinning worker threads have blocked), at most
    /// about 200 ms.</summary>
    private static void WaitUntilIdle()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            double before = ProcessorClock.NowMilliseconds();
            Thread.Sleep(2);
            double used = ProcessorClock.NowMilliseconds() - before;
            if (double.IsNaN(used) || used < 0.5) return;
        }
    }

    /// <summary>The integer program of a quantized model; on the cpu backend with the fast int8 kernels in place
    /// of the reference steps they cover.</summary>
    private static IntegerProgram Int8Program(Model model, string backend, int threads)
    {
        var program = IntegerLowering.Lower(model);
        if (backend == CpuBackend.Name)
        {
            program = CpuIntegerProgram.Accelerate(program, threads);
            Console.WriteLine($"int8 on cpu ({Int8Gemm.Best}): {CpuIntegerProgram.FastSteps(program)} of {program.Steps.Count} steps on the fast kernels, the others on the integer reference steps");
        }
        else if (backend != "reference")
        {
            throw new InvalidInputException($"--int8 runs on --backend reference or cpu, not {backend}", "bench", "use --backend cpu (fast int8 kernels) or reference (the integer executor)");
        }
        if (program.Islands.Count > 0) Console.WriteLine($"{program.Islands.Count} float island(s) run on the reference float kernels");
        return program;
    }

    /// <summary>Time per step kind of an integer program (least of <paramref name="runs"/> runs per step).</summary>
    private static void PrintStepProfile(IntegerProgram program, Dictionary<string, Tensor> inputs, int runs, int threads, int top)
    {
        var least = new double[program.Steps.Count];
        Array.Fill(least, double.PositiveInfinity);
        bool cpuClock = threads == 1 && !double.IsNaN(ProcessorClock.NowMilliseconds());
        double Now() => cpuClock ? ProcessorClock.NowMilliseconds() : Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        for (int r = 0; r < runs; r++)
        {
            var state = new IntegerState();
            foreach (var (name, tensor) in program.Constants) state.Set(name, tensor);
            foreach (var (name, tensor) in inputs) state.Set(name, tensor);
            for (int i = 0; i < program.Steps.Count; i++)
            {
                double start = Now();
                program.Steps[i].Execute(state);
                least[i] = Math.Min(least[i], Now() - start);
            }
        }
        double total = least.Sum();
        var table = new Table().AddColumns("step", "count", "ms", "share");
        foreach (var group in program.Steps.Select((s, i) => (Kind: CpuIntegerProgram.IsFast(s) ? s.Kind + " (cpu)" : s.Kind, Ms: least[i])).GroupBy(p => p.Kind).OrderByDescending(g => g.Sum(p => p.Ms)))
        {
            double ms = group.Sum(p => p.Ms);
            table.AddRow(Markup.Escape(group.Key), group.Count().ToString(CultureInfo.InvariantCulture), F(ms), (ms / total).ToString("P0", CultureInfo.InvariantCulture));
        }
        table.Caption = new TableTitle($"least of {runs} run(s) per step ({(cpuClock ? "cpu time" : "wall time")}), {F(total)} ms in all");
        AnsiConsole.Write(table);
        var slowest = new Table().AddColumns("slowest step", "kind", "ms");
        foreach (int i in Enumerable.Range(0, least.Length).OrderByDescending(i => least[i]).Take(top))
        {
            slowest.AddRow(Markup.Escape(program.Steps[i].Name), Markup.Escape(program.Steps[i].Kind), F(least[i]));
        }
        AnsiConsole.Write(slowest);
    }

    private static Figures Summarize(double[] times, double[] cpuTimes, double allocated, double peak)
    {
        var sorted = times.Order().ToArray();
        double At(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        var cpuSorted = cpuTimes.Order().ToArray();
        return new Figures(At(0.5), At(0.1), At(0.9), cpuSorted[cpuSorted.Length / 2], allocated, peak);
    }

    private static string F(double v) => double.IsNaN(v) ? "-" : v.ToString(v < 10 ? "F3" : "F1", CultureInfo.InvariantCulture);

    private static void Print(string model, string backend, int threads, Figures ours, Figures? theirs, double arenaMegabytes)
    {
        var table = new Table().AddColumns("engine", "median ms", "p10 ms", "p90 ms", "cpu ms (median)", "allocated KB/run");
        table.AddRow(Markup.Escape($"tessera {backend}"), F(ours.MedianMs), F(ours.P10Ms), F(ours.P90Ms), F(ours.CpuMedianMs), F(ours.AllocatedBytesPerRun / 1024));
        if (theirs is not null) table.AddRow("onnxruntime", F(theirs.MedianMs), F(theirs.P10Ms), F(theirs.P90Ms), F(theirs.CpuMedianMs), "-");
        table.Caption = new TableTitle(Markup.Escape($"{model}, {threads} thread(s); process peak working set {ours.PeakWorkingSetMegabytes:F0} MB; activation arena {arenaMegabytes:F1} MB; load average {LoadAverage()?.ToString("F1", CultureInfo.InvariantCulture) ?? "-"}"));
        AnsiConsole.Write(table);
        if (theirs is null) return;
        AnsiConsole.MarkupLine($"ratio tessera/ort (median): [bold]{(ours.MedianMs / theirs.MedianMs).ToString("F2", CultureInfo.InvariantCulture)}[/]"
            + $", by cpu time: {(ours.CpuMedianMs / theirs.CpuMedianMs).ToString("F2", CultureInfo.InvariantCulture)}");
    }

    /// <summary>Time of each node (between successive node callbacks), the least over <paramref name="runs"/>
    /// runs (robust to other processes' time slices on a shared machine), summed per operator type, and
    /// the slowest nodes with their output shapes: where the time goes, for the next kernel.</summary>
    private static void PrintProfile(InferenceSession session, Dictionary<string, DataValue> feeds, int runs, int threads, int top)
    {
        var perNode = new Dictionary<Node, double>();
        // CPU time at one thread (only this process's work); wall time when several threads share a node.
        bool cpuClock = threads == 1 && !double.IsNaN(ProcessorClock.NowMilliseconds());
        double Now() => cpuClock ? ProcessorClock.NowMilliseconds() : Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        double last = 0;
        session.NodeFinished = node =>
        {
            double now = Now();
            perNode[node] = Math.Min(perNode.GetValueOrDefault(node, double.PositiveInfinity), now - last);
            last = Now();
        };
        for (int i = 0; i < runs; i++)
        {
            last = Now();
            session.Recycle(session.Run(feeds));
        }
        session.NodeFinished = null;
        string Key(Node node) => (node.Domain.Length > 0 ? node.Domain + "." : "") + node.OpType;
        var perType = perNode.GroupBy(p => Key(p.Key)).Select(g => (Op: g.Key, Ms: g.Sum(p => p.Value), Count: g.Count())).OrderByDescending(p => p.Ms);
        double total = perNode.Values.Sum();
        var table = new Table().AddColumns("op", "nodes", "ms", "share");
        foreach (var (op, ms, count) in perType)
        {
            table.AddRow(Markup.Escape(op), count.ToString(CultureInfo.InvariantCulture), F(ms), (ms / total).ToString("P0", CultureInfo.InvariantCulture));
        }
        table.Caption = new TableTitle($"least of {runs} run(s) per node ({(cpuClock ? "cpu time" : "wall time")}), {F(total)} ms in all");
        AnsiConsole.Write(table);
        var nodes = new Table().AddColumns("slowest nodes", "op", "output", "ms");
        foreach (var (node, ms) in perNode.OrderByDescending(p => p.Value).Take(top))
        {
            string shape = node.Outputs.Count > 0 && node.Outputs[0] is { } o && session.Types.TypeOf(o) is TensorType { Shape: { } s } ? s.ToString() : "";
            nodes.AddRow(Markup.Escape(node.DisplayName), Markup.Escape(node.OpType), Markup.Escape(shape), F(ms));
        }
        AnsiConsole.Write(nodes);
    }

    /// <summary>The one-minute load average (how busy the shared machine was), or null off Linux.</summary>
    internal static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg").Split(' ');
            return double.Parse(text[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
