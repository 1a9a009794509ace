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
            Console.WriteLine($"build + run {watch.Elapsed.TotalSeconds:F0} s");
            return report.MismatchedTiles == 0 ? 0 : 1;
        });
        return command;
    }

    private static Command Synthesize()
    {
        var npu = NpuOption();
        var work = WorkOption();
        var command = new Command("synth", "Synthesize the compute modules with Yosys (generic gates) and report cells, flip-flops, multipliers") { npu, work };
        command.SetAction(parse =>
        {
            var spec = NpuSpecLoader.Load(parse.GetValue(npu)!);
            var watch = Stopwatch.StartNew();
            var results = InFolder(parse.GetValue(work), $"synth-{spec.Name}", folder => Synthesis.Run(spec, folder));
            Console.WriteLine("| config | module | MACs | cells (generic gates) | flip-flops | multipliers |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|");
            foreach (var r in results) Console.WriteLine($"| {r.Config} | {r.Module} | {r.MacCount} | {r.Cells} | {r.FlipFlops} | {r.Multipliers} |");
            Console.WriteLine($"yosys {watch.Elapsed.TotalSeconds:F0} s");
            return 0;
        });
        return command;
    }

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
    }
}
