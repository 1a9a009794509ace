using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Tessera.Apps.MlperfTiny;
using Tessera.Core;

namespace Tessera.Cli;

/// <summary>`tessera bench mlperf-tiny [--assets DIR] [--npu tiny,small] [--inputs N] [--only kws,vww]
/// [--markdown FILE] [--json FILE]`: the four MLPerf Tiny benchmarks and the streaming wake-word model on the
/// reference and cpu backends (float models), the integer reference executor (int8 models) and the simulated
/// NPU, with the int8-vs-float agreement, beside MLPerf Tiny v0.5's reference-board latencies.</summary>
internal static class MlperfTinyCommand
{
    public static Command Create()
    {
        var assets = new Option<string?>("--assets") { Description = "Folder laid out like the repository's tests/assets (models/mlperf-tiny, images, audio); default: found upward from the current folder" };
        var npu = new Option<string>("--npu") { Description = "NPU configurations, comma-separated (names or YAML files); '' for none", DefaultValueFactory = _ => "tiny,small" };
        var inputs = new Option<int>("--inputs") { Description = "Real inputs per model for the int8-vs-float agreement", DefaultValueFactory = _ => 50 };
        var npuInputs = new Option<int>("--npu-inputs") { Description = "Inputs each NPU configuration runs and compares with the integer executor", DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs before each latency figure", DefaultValueFactory = _ => 2 };
        var iterations = new Option<int>("--iters") { Description = "Timed runs per latency figure (median)", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads", "-t") { Description = "Intra-op threads of the cpu backend", DefaultValueFactory = _ => 1 };
        var only = new Option<string?>("--only") { Description = "Benchmarks to run, comma-separated: kws, vww, ic, ad, ww (default: all)" };
        var markdown = new Option<string?>("--markdown") { Description = "Write the report as a Markdown page (docs/mlperf-tiny.md)" };
        var json = new Option<string?>("--json") { Description = "Write the figures to this JSON file" };
        var command = new Command("mlperf-tiny", "Run the MLPerf Tiny suite (KWS, VWW, IC, AD and the wake-word model) on reference, cpu and the NPU")
        {
            assets, npu, inputs, npuInputs, warmup, iterations, threads, only, markdown, json,
        };
        command.SetAction(parse =>
        {
            string folder = parse.GetValue(assets) ?? MlperfTinySuite.FindAssets(Directory.GetCurrentDirectory())
                ?? MlperfTinySuite.FindAssets(AppContext.BaseDirectory)
                ?? throw new InvalidInputException("the MLPerf Tiny models were not found (no tests/assets/models/mlperf-tiny above this folder)", "bench mlperf-tiny",
                    "run it inside the Tessera repository or give --assets DIR");
            if (!Directory.Exists(folder)) throw new InvalidInputException("assets folder not found", folder, "give --assets the repository's tests/assets folder");
            var suite = new MlperfTinySuite(folder);
            var options = new MlperfTinyOptions
            {
                Inputs = parse.GetValue(inputs), NpuInputs = parse.GetValue(npuInputs), Warmup = parse.GetValue(warmup), Iterations = parse.GetValue(iterations),
                Threads = parse.GetValue(threads), NpuConfigurations = Split(parse.GetValue(npu)), Only = parse.GetValue(only) is { } o ? Split(o) : null,
            };
            IReadOnlyList<MlperfTinyResult> results = [];
            int steps = (options.Only?.Count ?? MlperfTinySuite.Benchmarks.Count) * (4 + options.NpuConfigurations.Count);
            AnsiConsole.Progress().AutoClear(true).Start(context =>
            {
                var task = context.AddTask("MLPerf Tiny", maxValue: steps);
                results = MlperfTinyRunner.Run(suite, options, step =>
                {
                    task.Description = Markup.Escape(step);
                    task.Increment(1);
                });
                task.Value = steps;
            });
            Print(results, options);
            string invocation = "tessera bench mlperf-tiny " + string.Join(' ', parse.Tokens.Select(t => t.Value)
                .Where(t => t != "bench" && t != "mlperf-tiny"));
            if (parse.GetValue(markdown) is { } markdownPath) AtomicFile.WriteAllText(markdownPath, Markdown(results, options, invocation.TrimEnd()));
            if (parse.GetValue(json) is { } jsonPath)
            {
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(new { options, machine = Machine(), results }, new JsonSerializerOptions { WriteIndented = true }));
            }
            return 0;
        });
        return command;
    }

    private static List<string> Split(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static string Ms(double? value) => value is { } v ? v.ToString(v < 1 ? "F3" : v < 100 ? "F2" : "F1", CultureInfo.InvariantCulture) : "-";

    private static string Agreement(MlperfTinyResult r) =>
        r.SameTop1 is { } same ? $"{same}/{r.Inputs} same top-1, cosine {r.MeanCosine:F4}"
        : r.MeanCosine is { } c ? string.Create(CultureInfo.InvariantCulture, $"output cosine {c:F4} ({r.Inputs} inputs)")
        : "no float model";

    private static void Print(IReadOnlyList<MlperfTinyResult> results, MlperfTinyOptions options)
    {
        var table = new Table().AddColumns("benchmark", "float reference ms", $"float cpu ms ({options.Threads} thr)", "int8 executor ms", "int8 vs float", "reference board ms");
        foreach (var r in results)
        {
            table.AddRow(Markup.Escape(r.Benchmark.Id), Ms(r.FloatReferenceMs), Ms(r.FloatCpuMs), Ms(r.Int8ReferenceMs), Markup.Escape(Agreement(r)), Ms(r.Benchmark.ReferenceBoardMilliseconds));
        }
        table.Caption = new TableTitle(Markup.Escape($"median of {options.Iterations} runs on this machine ({Machine()})"));
        AnsiConsole.Write(table);
        if (options.NpuConfigurations.Count == 0) return;
        var npu = new Table().AddColumns("benchmark", "npu", "cycles", "latency", "inferences/s", "energy/inference", "MAC util.", "NPU MACs", "bit-identical");
        foreach (var r in results)
        {
            foreach (var n in r.Npu)
            {
                npu.AddRow(Markup.Escape(r.Benchmark.Id), Markup.Escape(n.Configuration), n.Cycles.ToString("N0", CultureInfo.InvariantCulture),
                    $"{Ms(n.LatencyMicroseconds / 1000)} ms", n.InferencesPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                    $"{n.EnergyMicrojoules.ToString("F2", CultureInfo.InvariantCulture)} uJ", n.MacUtilization.ToString("P1", CultureInfo.InvariantCulture),
                    n.NpuMacFraction.ToString("P2", CultureInfo.InvariantCulture), Identical(n));
            }
        }
        npu.Caption = new TableTitle("simulated, deterministic: latency at the configuration's clock");
        AnsiConsole.Write(npu);
    }

    private static string Identical(MlperfTinyNpuResult n) => n.InputsCompared == 0 ? "not compared" : n.BitIdentical ? $"yes ({n.InputsCompared} input(s))" : "NO";

    private static string Machine()
    {
        string load = BenchCommand.LoadAverage() is { } average ? $", load average {average.ToString("F2", CultureInfo.InvariantCulture)}" : "";
        return $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}{load}";
    }

    /// <summary>The whole docs page: what ran, the command, the two tables and the reference-board comparison.</summary>
    public static string Markdown(IReadOnlyList<MlperfTinyResult> results, MlperfTinyOptions options, string invocation)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine("# MLPerf Tiny on Tessera");
        text.AppendLine();
        text.AppendLine("The MLPerf Tiny reference models (`tests/assets/models/mlperf-tiny`, Apache-2.0): keyword spotting (DS-CNN),");
        text.AppendLine("visual wake words (MobileNet 96x96), image classification (ResNet-8 on CIFAR-10), anomaly detection (the");
        text.AppendLine("fully connected autoencoder) and the streaming wake-word model. Float models run on Tessera's reference and");
        text.AppendLine("cpu backends; the pre-quantized int8 models are imported with their own quantization (no re-quantization),");
        text.AppendLine("run on the integer reference executor and, compiled, on the simulated NPU, whose outputs are compared with the");
        text.AppendLine("executor's bit for bit. Generated by this command (edit the command, not the tables):");
        text.AppendLine();
        text.AppendLine("```");
        text.AppendLine(invocation);
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine(c, $"Machine: {Machine()}; latencies are medians of {options.Iterations} runs after {options.Warmup} warm-up runs, cpu at {options.Threads} thread(s).");
        text.AppendLine(c, $"Agreement: the int8 model's dequantized output against the float model's on the same {results.FirstOrDefault()?.Inputs ?? 0} real inputs");
        text.AppendLine("(MFCCs of the test audio, the test images and seeded augmentations of them, windows of the anomaly runner's log-mel data;");
        text.AppendLine("the wake-word model has no float twin and no front end in Tessera, so it runs on seeded random int8 features).");
        text.AppendLine();
        text.AppendLine("| benchmark | task | float reference ms | float cpu ms | int8 executor ms | int8 vs float | MLPerf Tiny v0.5 reference board ms |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            text.AppendLine(c, $"| {r.Benchmark.Id} | {r.Benchmark.Task} | {Ms(r.FloatReferenceMs)} | {Ms(r.FloatCpuMs)} | {Ms(r.Int8ReferenceMs)} | {Agreement(r)} | {Ms(r.Benchmark.ReferenceBoardMilliseconds)} |");
        }
        text.AppendLine();
        text.AppendLine("The reference board is MLPerf Tiny v0.5's Nucleo-L4R5ZI (Cortex-M4 at 120 MHz), as published; the other columns");
        text.AppendLine("are measured on the machine above, not on a microcontroller.");
        if (options.NpuConfigurations.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## On the simulated NPU (int8)");
            text.AppendLine();
            text.AppendLine("Simulated and deterministic: cycles of one inference, latency at the configuration's clock, energy from the");
            text.AppendLine("spec's per-operation costs, MAC utilization of the array, the share of MACs on the NPU, and whether the outputs");
            text.AppendLine("equal the integer reference executor's bit for bit.");
            text.AppendLine();
            text.AppendLine("| benchmark | npu | MACs | cycles | latency | inferences/s | energy/inference | MAC util. | NPU MAC share | DRAM bytes | bit-identical | vs reference board |");
            text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach (var r in results)
            {
                foreach (var n in r.Npu)
                {
                    double ms = n.LatencyMicroseconds / 1000;
                    string board = r.Benchmark.ReferenceBoardMilliseconds is { } b ? string.Create(c, $"{b / ms:N0}x faster") : "-";
                    text.AppendLine(c, $"| {r.Benchmark.Id} | {n.Configuration} ({n.ArrayMacs} MACs, {n.ClockMegahertz:F0} MHz) | {n.NpuMacs:N0} | {n.Cycles:N0} | {Ms(ms)} ms | {n.InferencesPerSecond:N0} | {n.EnergyMicrojoules:F2} uJ | {n.MacUtilization:P1} | {n.NpuMacFraction:P2} | {n.DramBytes:N0} | {Identical(n)} | {board} |");
                }
            }
            text.AppendLine();
            text.AppendLine("\"vs reference board\" sets a simulated NPU latency beside a measured microcontroller latency: a design");
            text.AppendLine("estimate, not a silicon measurement.");
        }
        return text.ToString();
    }
}
