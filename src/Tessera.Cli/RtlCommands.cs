using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Rtl;
using Tessera.Simulator;

namespace Tessera.Cli;

/// <summary>`tessera rtl`: generate the NPU core's Verilog, co-simulate it against the simulator, synthesize it.</summary>
internal static class RtlCommands
{
    public static Command Create()
    {
        var npu = NpuOption();
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Folder for the generated Verilog", Required = true };
        var command = new Command("rtl", "Generate the NPU core as Verilog from an NPU configuration") { npu, output };
        command.SetAction(parse =>
        {
            var spec = NpuSpecLoader.Load(parse.GetValue(npu)!);
            var paths = RtlGenerator.Write(spec, parse.GetValue(output)!.FullName);
            Console.WriteLine($"{spec.Name} (spec hash 0x{spec.Hash:x16}): {paths.Count} files -> {parse.GetValue(output)!.FullName}");
            return 0;
        });
        command.Subcommands.Add(Cosimulate());
        command.Subcommands.Add(Synthesize());
        return command;
    }

    private static Option<string> NpuOption() =>
        new("--npu") { Description = "NPU configuration name or YAML path", DefaultValueFactory = _ => "tiny" };

    private static Option<DirectoryInfo?> WorkOption() =>
        new("--work") { Description = "Build folder (kept); a temporary folder when absent" };

    private static Command Cosimulate()
    {
        var npu = NpuOption();
        var tiles = new Option<int>("--tiles") { Description = "Random tiles to run", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Random seed for tiles and operands", DefaultValueFactory = _ => 1 };
        var work = WorkOption();
        var command = new Command("cosim", "Run random gemm tiles on the Verilated core and on the simulator; compare values and cycles") { npu, tiles, seed, work };
        command.SetAction(parse =>
        {
            var spec = NpuSpecLoader.Load(parse.GetValue(npu)!);
            int count = parse.GetValue(tiles);
            if (count < 1) throw new InvalidInputException($"--tiles {count} must be at least 1", "--tiles");
            var random = new Random(parse.GetValue(seed));
            var list = Enumerable.Range(0, count).Select(_ => GemmTile.Random(spec, random)).ToList();
            var watch = Stopwatch.StartNew();
            var report = InFolder(parse.GetValue(work), $"cosim-{spec.Name}", folder => Cosimulation.Run(spec, list, new SimulatorGemmModel(spec), folder, parse.GetValue(seed)));
            var table = new Table().AddColumns("config", "tiles", "values", "mismatched tiles", "RTL cycles", "model cycles", "cycle-exact tiles", "mean |error| %", "max |error| %");
            table.AddRow(spec.Name, $"{report.Tiles.Count}", $"{report.Values}", $"{report.MismatchedTiles}",
                $"{report.Tiles.Sum(t => t.RtlCycles)}", $"{report.Tiles.Sum(t => t.ModelCycles)}", $"{report.CyclesExact}",
                $"{report.MeanAbsoluteErrorPercent:F2}", $"{report.MaximumAbsoluteErrorPercent:F2}");
            AnsiConsole.Write(table);
            var histogram = new Table().AddColumns("per-tile cycle error (model - RTL) / RTL", "tiles");
            foreach (var (bucket, tilesInBucket) in report.ErrorHistogram()) histogram.AddRow(Markup.Escape(bucket), $"{tilesInBucket}");
            AnsiConsole.Write(histogram);
            Console.WriteLine($"back to back: RTL {report.RtlSequenceCycles} cycles, model {report.ModelSequenceCycles} cycles, error {report.SequenceErrorPercent:F1}% " +
                "(the model overlaps the next tile's weight load with the current tile's stream)");
            Console.WriteLine($"build + run {watch.Elapsed.TotalSeconds:F0} s");
            return report.MismatchedTiles == 0 ? 0 : 1;
        });
        return command;
    }

    private static Command Synthesize()
    {
        var npu = NpuOption();
        var all = new Option<bool>("--all") { Description = "Synthesize every shipped configuration (tiny, small, large)" };
        var flat = new Option<bool>("--flat") { Description = "Flatten and run ABC over the whole module (slow; the reference the hierarchical figures are checked against)" };
        var docs = new Option<FileInfo?>("--docs") { Description = "Markdown page whose synthesis table (between markers) is replaced; the area plot goes to images/rtl-area.png beside it" };
        var work = WorkOption();
        var command = new Command("synth", "Synthesize the compute modules with Yosys (generic gates) and report cells, flip-flops, multipliers, transistors") { npu, all, flat, docs, work };
        command.SetAction(parse =>
        {
            var names = parse.GetValue(all) ? ShippedConfigs : [parse.GetValue(npu)!];
            var method = parse.GetValue(flat) ? SynthesisMethod.Flat : SynthesisMethod.Hierarchical;
            var results = new List<SynthesisResult>();
            foreach (var name in names)
            {
                var spec = NpuSpecLoader.Load(name);
                var rows = InFolder(parse.GetValue(work) is { } folder ? new DirectoryInfo(Path.Combine(folder.FullName, spec.Name)) : null,
                    $"synth-{spec.Name}", folder => Synthesis.Run(spec, folder, method));
                foreach (var r in rows) Console.WriteLine($"{r.Config} {r.Module}: {r.Cells} cells, {r.FlipFlops} flip-flops, {r.Multipliers} multipliers, {r.Transistors} transistors ({r.Seconds:F0} s)");
                results.AddRange(rows);
            }
            string table = SynthesisReport.Markdown(results, $"{Environment.ProcessorCount} cores, {ExternalTool.Version("yosys")}");
            Console.Write(table);
            if (parse.GetValue(docs) is { } page)
            {
                string document = page.Exists ? File.ReadAllText(page.FullName) : "";
                AtomicFile.WriteAllText(page.FullName, SynthesisReport.ReplaceBetweenMarkers(document, table));
                string image = Path.Combine(page.DirectoryName!, "images", "rtl-area.png");
                RtlAreaPlot.Write(results, image);
                Console.WriteLine($"table -> {page.FullName}, plot -> {image}");
            }
            return 0;
        });
        return command;
    }

    private static readonly string[] ShippedConfigs = ["tiny", "small", "large"];

    private static T InFolder<T>(DirectoryInfo? work, string name, Func<string, T> action)
    {
        if (work is not null) return action(work.FullName);
        var folder = Path.Combine(Path.GetTempPath(), $"tessera-{name}-{Guid.NewGuid():N}");
        try
        {
            return action(folder);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The simulator's gemm kernel and cycle model for one tile on an idle array.</summary>
    private sealed class SimulatorGemmModel(NpuSpec spec) : IGemmModel
    {
        private readonly GemmKernel kernel = new();
        private readonly TimingModel timing = new(spec);

        public long Execute(GemmTile tile, sbyte[] activation, sbyte[] weight, int[] accumulator)
        {
            kernel.Run(activation, weight, accumulator, tile.Rows, tile.M0, tile.Input, tile.InputStride0, tile.InputStride1, tile.K, tile.N,
                tile.Weight, tile.WeightStride, tile.Output, tile.OutputStride, tile.Accumulate);
            return timing.ArrayCompletion(tile.Rows, tile.K, idle: true);
        }

        /// <summary>Mirrors NpuSimulator's array scheduling: a gemm issued while the array is busy waits for its
        /// occupancy to end and pays no idle weight load; only the first tile finds the array idle.</summary>
        public long SequenceCycles(IReadOnlyList<GemmTile> tiles)
        {
            long start = 0, end = 0;
            for (int i = 0; i < tiles.Count; i++)
            {
                bool idle = i == 0;
                end = System.Math.Max(end, start + timing.ArrayCompletion(tiles[i].Rows, tiles[i].K, idle));
                start += timing.ArrayOccupancy(tiles[i].Rows, tiles[i].K) + (idle ? timing.ArrayIdleStart : 0);
            }
            return end;
        }
    }
}
