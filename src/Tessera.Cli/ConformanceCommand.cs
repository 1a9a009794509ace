using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Tessera.Conformance;
using Tessera.Core;

namespace Tessera.Cli;

internal static class ConformanceCommand
{
    public static Command Create()
    {
        var backend = new Option<string>("--backend", "-b") { Description = "Backend to test: reference", DefaultValueFactory = _ => "reference" };
        var json = new Option<FileInfo?>("--json") { Description = "Write every case's result to this JSON file" };
        var filter = new Option<string?>("--filter") { Description = "Only run cases whose name contains this text" };
        var root = new Option<DirectoryInfo?>("--data") { Description = $"ONNX test data folder (default {ConformanceRunner.DefaultRoot})" };
        var showFailures = new Option<bool>("--failures") { Description = "List every failed and unsupported case with its reason" };
        var command = new Command("conformance", "Run the ONNX operator conformance suite (libonnx-testdata) on a backend")
        {
            backend, json, filter, root, showFailures,
        };
        command.SetAction(parse =>
        {
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

    private static ConformanceSummary Run(ConformanceRunner runner)
    {
        int total = runner.DiscoverCases().Count;
        if (Console.IsErrorRedirected || Environment.GetEnvironmentVariable("CI") is not null)
        {
            return runner.Run();
        }
        ConformanceSummary? summary = null;
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"conformance ({runner.Backend})", maxValue: total);
            summary = runner.Run(_ => task.Increment(1));
        });
        return summary!;
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
