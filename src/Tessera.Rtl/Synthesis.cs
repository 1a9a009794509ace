using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tessera.Hardware;

namespace Tessera.Rtl;

/// <summary>How Yosys is asked to synthesize a module.</summary>
public enum SynthesisMethod
{
    /// <summary>Each distinct leaf module (the processing element, one requantize lane) goes through the full flow
    /// with ABC once; the parent keeps them as instances, and Yosys's design-hierarchy statistics multiply each
    /// leaf's gates by its instance count. Minutes instead of hours for 64 x 64, but no optimization crosses a
    /// module boundary (for example the top row's adders of a constant zero partial sum stay).</summary>
    Hierarchical,

    /// <summary>flatten, then the full flow with ABC over the whole module: the reference figure, slow.</summary>
    Flat,
}

/// <summary>Yosys generic synthesis figures of one module: gate-level cells after ABC (the area proxy),
/// flip-flops among them, multipliers before techmapping, and Yosys's CMOS transistor estimate (stat -tech
/// cmos, after enable flip-flops are unmapped to a flip-flop and a multiplexer so every cell is known).</summary>
public sealed record SynthesisResult(string Config, string Module, int MacCount, int Instances, SynthesisMethod Method,
    long Cells, long FlipFlops, long Multipliers, long Transistors, double Seconds);

/// <summary>Runs Yosys's generic flow (synth, ABC to simple gates) on the compute modules: the systolic array
/// and the vector unit's requantize path, each with the spec's parameters. The scratchpads and accumulator
/// memories are SRAM macros in a real chip, so the core's memories are left out: synthesizing them as
/// flip-flops would measure nothing useful.</summary>
public static partial class Synthesis
{
    public const string ArrayModule = "tessera_systolic_array";
    public const string RequantizeModule = "tessera_vector_requantize";

    public static IReadOnlyList<SynthesisResult> Run(NpuSpec spec, string folder, SynthesisMethod method = SynthesisMethod.Hierarchical)
    {
        RtlGenerator.Write(spec, folder);
        return [RunModule(spec, folder, ArrayModule, method), RunModule(spec, folder, RequantizeModule, method)];
    }

    /// <summary>Synthesizes one of the compute modules (<see cref="ArrayModule"/> or <see cref="RequantizeModule"/>)
    /// from Verilog already written into <paramref name="folder"/>, with the spec's parameters.</summary>
    public static SynthesisResult RunModule(NpuSpec spec, string folder, string module, SynthesisMethod method)
    {
        var (parameters, instances) = module switch
        {
            ArrayModule => ($"-chparam ROWS {spec.ArrayRows} -chparam COLUMNS {spec.ArrayColumns}", spec.MacCount),
            RequantizeModule => ($"-chparam LANES {spec.VectorLanes}", spec.VectorLanes),
            _ => throw new Core.UnsupportedException($"no synthesis recipe for module '{module}'", module),
        };
        var sources = Directory.GetFiles(folder, "*.v").Select(Path.GetFileName).Order();
        string flatten = method == SynthesisMethod.Flat ? " flatten;" : "";
        string script = string.Join("; ", sources.Select(s => $"read_verilog {s}")) +
            $"; hierarchy -top {module} {parameters}; proc;{flatten} opt -fast; tee -o {module}.pre.txt stat" +
            $"; synth -top {module}{(method == SynthesisMethod.Flat ? " -flatten" : "")}; tee -o {module}.post.txt stat" +
            $"; dffunmap; tee -o {module}.cmos.txt stat -tech cmos";
        var watch = Stopwatch.StartNew();
        ExternalTool.Check("yosys", ["-q", "-p", script], folder);
        double seconds = watch.Elapsed.TotalSeconds;
        var pre = Totals(File.ReadAllText(Path.Combine(folder, $"{module}.pre.txt")));
        var post = Totals(File.ReadAllText(Path.Combine(folder, $"{module}.post.txt")));
        var cmos = Totals(File.ReadAllText(Path.Combine(folder, $"{module}.cmos.txt")));
        return new SynthesisResult(spec.Name, module, spec.MacCount, instances, method,
            Count(CellsPattern(), post),
            CellTypeCounts(post).Where(c => c.Type.Contains("DFF", StringComparison.Ordinal)).Sum(c => c.Count),
            CellTypeCounts(pre).Where(c => c.Type == "$mul").Sum(c => c.Count),
            Transistors(cmos), seconds);
    }

    /// <summary>The part of a `stat` report that covers the whole design: the design-hierarchy section (leaf
    /// figures multiplied by instance counts) when there is one, the only module's section otherwise.</summary>
    public static string Totals(string statistics)
    {
        int hierarchy = statistics.IndexOf("=== design hierarchy ===", StringComparison.Ordinal);
        if (hierarchy >= 0) return statistics[hierarchy..];
        var sections = SectionPattern().Matches(statistics);
        if (sections.Count != 1) throw new Core.TesseraException($"yosys statistics have {sections.Count} module sections and no design hierarchy");
        return statistics[sections[0].Index..];
    }

    public static IEnumerable<(string Type, long Count)> CellTypeCounts(string totals) =>
        CellTypes().Matches(totals).Select(m => (m.Groups[1].Value, long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));

    private static long Transistors(string totals)
    {
        var match = TransistorsPattern().Match(totals);
        if (!match.Success) throw new Core.TesseraException("yosys printed no transistor estimate");
        // A trailing '+' means some cell had no CMOS figure: then the estimate is a lower bound and useless as area.
        if (match.Groups[2].Value == "+") throw new Core.TesseraException("yosys's transistor estimate is incomplete (a cell type without a CMOS figure)");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
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

    [GeneratedRegex(@"^=== \S+ ===", RegexOptions.Multiline)]
    private static partial Regex SectionPattern();

    [GeneratedRegex(@"Estimated number of transistors:\s+(\d+)(\+?)")]
    private static partial Regex TransistorsPattern();
}
