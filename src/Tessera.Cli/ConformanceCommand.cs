using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Conformance;
using Tessera.Core;

namespace Tessera.Cli;

internal static class ConformanceCommand
{
    public static Command Create()
    {
        var backend = new Option<string>("--backend", "-b")
        {
            Description = "Backend to test: reference, cpu, or npu (the node tests quantized to int8, compiled and run on the simulated NPU, compared bit for bit with the integer reference executor)",
            DefaultValueFactory = _ => "reference",
        };
        var npu = new Option<string?>("--npu") { Description = "With --backend npu: the NPU configuration (tiny, small, large or a .yaml file; default small)" };
        var json = new Option<FileInfo?>("--json") { Description = "Write every case's result to this JSON file" };
        var filter = new Option<string?>("--filter") { Description = "Only run cases whose name contains this text" };
        var root = new Option<DirectoryInfo?>("--data") { Description = $"ONNX test data folder (default {ConformanceRunner.DefaultRoot})" };
        var showFailures = new Option<bool>("--failures") { Description = "List every failed and unsupported case with its reason" };
        var command = new Command("conformance", "Run the ONNX operator conformance suite (libonnx-testdata) on a backend")
        {
            backend, npu, json, filter, root, showFailures,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(backend) == "npu")
            {
                return RunNpu(parse.GetValue(npu) ?? "small", parse.GetValue(root)?.FullName ?? ConformanceRunner.DefaultRoot, parse.GetValue(filter), parse.GetValue(json), parse.GetValue(showFailures));
            }
            if (parse.GetValue(npu) is not null)
            {
                throw new InvalidInputException($"--npu applies to --backend npu, not {parse.GetValue(backend)}", "--npu", "add --backend npu or leave --npu out");
            }
            var runner = new ConformanceRunner(parse.GetValue(backend)!, parse.GetValue(root)?.FullName ?? ConformanceRunner.DefaultRoot)
            {
                Filter = parse.GetValue(filter),
            };
            var summary = Run(runner);
            PrintTable(summary, parse.GetValue(showFailures));
            if (parse.GetValue(json) is { } file)
            {
                var rows = summary.Results.Select(r => new
                {
                    suite = r.Case.Suite, name = r.Case.Name, op = r.Op, status = r.Status.ToString().ToLowerInvariant(), message = r.Message, seconds = r.Seconds,
                });
                var document = new { backend = runner.Backend, passed = summary.Passed, failed = summary.Failed, unsupported = summary.Unsupported, excluded = summary.Excluded, total = summary.Total, cases = rows };
                AtomicFile.WriteAllText(file.FullName, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
            }
            if (summary.Excluded > 0)
            {
                Console.WriteLine($"excluded: {summary.Excluded} cases whose test data is defective (listed with --failures; see src/Tessera.Conformance/DefectiveTestData.cs)");
            }
            Console.WriteLine(summary.SummaryLine);
            return 0;
        });
        return command;
    }

    private static ConformanceSummary Run(ConformanceRunner runner) => WithProgress(runner.Backend, runner.DiscoverCases().Count, runner.Run);

    private static ConformanceSummary WithProgress(string label, int total, Func<Action<CaseResult>?, ConformanceSummary> run)
    {
        if (Console.IsErrorRedirected || Environment.GetEnvironmentVariable("CI") is not null)
        {
            return run(null);
        }
        ConformanceSummary? summary = null;
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"conformance ({label})", maxValue: total);
            summary = run(_ => task.Increment(1));
        });
        return summary!;
    }

    private static string Percent(double? fraction) =>
        fraction is { } f ? (f * 100).ToString("F1", CultureInfo.InvariantCulture) + " %" : "-";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary><c>--backend npu</c>: the node tests through quantizer, compiler and simulator (see
    /// <see cref="NpuConformanceRunner"/>); per-op table, unsupported reasons with counts, the MAC split of every
    /// passed or failed case that has MACs, then the summary line.</summary>
    private static int RunNpu(string configuration, string root, string? filter, FileInfo? json, bool showFailures)
    {
        var runner = new NpuConformanceRunner(configuration, root) { Filter = filter };
        var summary = WithProgress($"npu {configuration}", runner.DiscoverCases().Count, runner.Run);
        var counted = summary.Results.Where(r => r.Status != CaseStatus.Excluded).ToList();
        var byOp = new Table().AddColumns("op", "passed", "failed", "unsupported", "MACs on the NPU");
        foreach (var group in counted.GroupBy(r => r.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (group.All(r => r.Status == CaseStatus.Unsupported) && !showFailures) continue;
            long npuMacs = group.Sum(r => r.Npu?.NpuMacs ?? 0), cpuMacs = group.Sum(r => r.Npu?.CpuMacs ?? 0);
            byOp.AddRow(Markup.Escape(group.Key),
                group.Count(r => r.Status == CaseStatus.Passed).ToString(CultureInfo.InvariantCulture),
                group.Count(r => r.Status == CaseStatus.Failed).ToString(CultureInfo.InvariantCulture),
                group.Count(r => r.Status == CaseStatus.Unsupported).ToString(CultureInfo.InvariantCulture),
                Percent(npuMacs + cpuMacs == 0 ? null : (double)npuMacs / (npuMacs + cpuMacs)));
        }
        AnsiConsole.Write(byOp);
        if (!showFailures) Console.WriteLine("(ops whose every case is unsupported are left out; --failures lists them and every case's reason)");
        var reasons = new Table().AddColumns("unsupported because", "cases");
        foreach (var group in counted.Where(r => r.Status == CaseStatus.Unsupported).GroupBy(r => r.Reason ?? "?").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            reasons.AddRow(Markup.Escape(group.Key), group.Count().ToString(CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(reasons);
        var macs = new Table().AddColumns("case with MACs", "status", "MACs", "on the NPU", "on the CPU", "NPU steps", "CPU steps");
        foreach (var r in counted.Where(r => r.Npu is { } f && f.NpuMacs + f.CpuMacs > 0))
        {
            var f = r.Npu!;
            macs.AddRow(Markup.Escape(r.Case.Name), r.Status.ToString().ToLowerInvariant(), Count(f.NpuMacs + f.CpuMacs), Percent(f.NpuMacFraction), Percent(1 - f.NpuMacFraction),
                f.NpuSteps.ToString(CultureInfo.InvariantCulture), f.CpuSteps.ToString(CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(macs);
        foreach (var r in summary.Results.Where(r => r.Status == CaseStatus.Failed || (showFailures && r.Status != CaseStatus.Passed)))
        {
            Console.WriteLine($"{r.Status.ToString().ToLowerInvariant(),-11} {r.Case.Name}: {r.Message}");
        }
        if (json is not null)
        {
            var rows = summary.Results.Select(r => new
            {
                name = r.Case.Name, op = r.Op, status = r.Status.ToString().ToLowerInvariant(), reason = r.Reason, message = r.Message, seconds = r.Seconds,
                npu_macs = r.Npu?.NpuMacs, cpu_macs = r.Npu?.CpuMacs, npu_mac_fraction = r.Npu?.NpuMacFraction,
                npu_steps = r.Npu?.NpuSteps, cpu_steps = r.Npu?.CpuSteps, npu_segments = r.Npu?.NpuSegments, npu_values_compared = r.Npu?.Compared, cpu_work = r.Npu?.CpuWork,
            });
            var unsupported = counted.Where(r => r.Status == CaseStatus.Unsupported).GroupBy(r => r.Reason ?? "?")
                .OrderByDescending(g => g.Count()).Select(g => new { reason = g.Key, cases = g.Count() });
            var document = new
            {
                backend = "npu", npu = configuration, suite = NpuConformanceRunner.Suite,
                passed = summary.Passed, failed = summary.Failed, unsupported = summary.Unsupported, excluded = summary.Excluded, total = summary.Total,
                unsupported_reasons = unsupported, cases = rows,
            };
            AtomicFile.WriteAllText(json.FullName, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
        }
        var passed = counted.Where(r => r.Status == CaseStatus.Passed).ToList();
        int whole = passed.Count(r => r.Npu is { CpuWork.Count: 0 });
        Console.WriteLine($"passed: {whole} with all their work on the NPU (the CPU only quantizes inputs and dequantizes outputs), {passed.Count - whole} with some steps on the CPU (cpu_work in --json)");
        Console.WriteLine($"conformance --backend npu --npu {configuration}: the {summary.Total} {NpuConformanceRunner.Suite} tests quantized to int8; passed = NPU bit-identical to the integer reference executor");
        Console.WriteLine(summary.SummaryLine);
        return 0;
    }

    private static void PrintTable(ConformanceSummary summary, bool showFailures)
    {
        var table = new Table().AddColumns("op", "passed", "failed", "unsupported");
        foreach (var group in summary.Results.GroupBy(r => r.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            table.AddRow(
                Markup.Escape(group.Key),
                group.Count(r => r.Status == CaseStatus.Passed).ToString(System.Globalization.CultureInfo.InvariantCulture),
                group.Count(r => r.Status == CaseStatus.Failed).ToString(System.Globalization.CultureInfo.InvariantCulture),
                group.Count(r => r.Status == CaseStatus.Unsupported).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        if (showFailures)
        {
            foreach (var r in summary.Results.Where(r => r.Status != CaseStatus.Passed))
            {
                Console.WriteLine($"{r.Status.ToString().ToLowerInvariant(),-11} {r.Case.Suite}/{r.Case.Name}: {r.Message}");
            }
        }
    }
}
