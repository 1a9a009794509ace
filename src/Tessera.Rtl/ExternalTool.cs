using System.Diagnostics;
using Tessera.Core;

namespace Tessera.Rtl;

/// <summary>Runs Verilator, Yosys and the compiled testbench; a missing tool is reported as such, with the
/// package that provides it.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string Output);

    public static bool IsInstalled(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(folder => folder.Length > 0 && File.Exists(Path.Combine(folder, tool)));

    public static Result Run(string tool, IEnumerable<string> arguments, string workingFolder)
    {
        if (!Path.IsPathRooted(tool) && !IsInstalled(tool))
        {
            throw new UnsupportedException($"'{tool}' is not installed", tool, "run scripts/setup.sh (apt-get install verilator yosys)");
        }
        var start = new ProcessStartInfo(tool) { WorkingDirectory = workingFolder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new TesseraException($"could not start '{tool}'", tool);
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new Result(process.ExitCode, output + error.Result);
    }

    /// <summary>Runs the tool and throws with its last lines when it fails.</summary>
    public static string Check(string tool, IEnumerable<string> arguments, string workingFolder)
    {
        var result = Run(tool, arguments, workingFolder);
        if (result.ExitCode != 0)
        {
            var tail = string.Join(" | ", result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(6));
            throw new TesseraException($"{tool} failed with exit code {result.ExitCode}: {tail}", workingFolder);
        }
        return result.Output;
    }

    /// <summary>The tool's version line (for the measurement notes), or "unknown version".</summary>
    public static string Version(string tool)
    {
        var lines = Run(tool, [tool == "yosys" ? "-V" : "--version"], Environment.CurrentDirectory).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length > 0 ? lines[0].Trim() : $"{tool}, unknown version";
    }

    /// <summary>verilator --lint-only -Wall over the generated files for each top module; returns the
    /// diagnostics (empty when clean).</summary>
    public static string Lint(string folder)
    {
        var files = Directory.GetFiles(folder, "*.v").Select(Path.GetFileName).Order().ToList();
        var text = new System.Text.StringBuilder();
        foreach (var top in new[] { RtlGenerator.TopModule, "tessera_vector_requantize" })
        {
            var result = Run("verilator", ["--lint-only", "-Wall", "--top-module", top, .. files!], folder);
            text.Append(result.Output);
            if (result.ExitCode != 0 && result.Output.Length == 0) text.Append($"verilator exited with {result.ExitCode}\n");
        }
        return text.ToString();
    }
}
