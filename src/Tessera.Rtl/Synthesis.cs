using System.Globalization;
using System.Text.RegularExpressions;
using Tessera.Hardware;

namespace Tessera.Rtl;

/// <summary>Yosys generic synthesis figures of one module: gate-level cells after ABC (the area proxy),
/// flip-flops among them, and the multipliers before techmapping.</summary>
public sealed record SynthesisResult(string Config, string Module, int MacCount, long Cells, long FlipFlops, long Multipliers);

/// <summary>Runs Yosys's generic flow (synth -flatten, ABC to simple gates) on the compute modules. The
/// scratchpads and accumulator memories are SRAM macros in a real chip, so the core's memories are left out:
/// synthesizing them as flip-flops would measure nothing useful.</summary>
public static partial class Synthesis
{
    public static IReadOnlyList<SynthesisResult> Run(NpuSpec spec, string folder)
    {
        RtlGenerator.Write(spec, folder);
        var results = new List<SynthesisResult>();
        foreach (var module in new[] { "tessera_systolic_array", "tessera_vector_requantize" })
        {
            var sources = Directory.GetFiles(folder, "*.v").Select(Path.GetFileName).Order();
            string script = string.Join("; ", sources.Select(s => $"read_verilog {s}")) +
                $"; hierarchy -top {module}; proc; flatten; opt -fast; tee -o {module}.pre.txt stat; synth -top {module} -flatten; tee -o {module}.post.txt stat";
            ExternalTool.Check("yosys", ["-q", "-p", script], folder);
            string pre = File.ReadAllText(Path.Combine(folder, $"{module}.pre.txt"));
            string post = File.ReadAllText(Path.Combine(folder, $"{module}.post.txt"));
            long cells = Count(CellsPattern(), post);
            long flipFlops = CellTypes().Matches(post).Where(m => m.Groups[1].Value.Contains("DFF", StringComparison.Ordinal)).Sum(m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            long multipliers = CellTypes().Matches(pre).Where(m => m.Groups[1].Value == "$mul").Sum(m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            results.Add(new SynthesisResult(spec.Name, module, spec.MacCount, cells, flipFlops, multipliers));
        }
        return results;
    }

    private static long Count(Regex pattern, string text)
    {
        var match = pattern.Match(text);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new Core.TesseraException("yosys printed no cell count");
    }

    [GeneratedRegex(@"Number of cells:\s+(\d+)")]
    private static partial Regex CellsPattern();

    [GeneratedRegex(@"^\s+(\$\S+)\s+(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex CellTypes();
}
