using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Compiler;
using Tessera.Rtl;
using Tessera.Rtl.Simulation;

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
        var seed = new Option<int>("--seed") { Description = "Random seed for tiles and operands (with --model: for the inputs not given)", DefaultValueFactory = _ => 1 };
        var network = new Option<bool>("--network") { Description = "Instead of random tiles, every gemm tile of a compiled MobileNet-like network with seeded random weights" };
        var modelOption = new Option<string?>("--model") { Description = "Instead of random tiles, every gemm tile of a real model compiled for --npu: an int8 .tflite, a quantized .onnx or a .tnpu package" };
        var inputs = new Option<string[]>("--input") { Description = "With --model: input values as NAME=FILE.npy (missing inputs get seeded random values)", AllowMultipleArgumentsPerToken = true };
        var work = WorkOption();
        var command = new Command("cosim", "Run gemm tiles on the Verilated core and on the simulator, alone and back to back; compare values and cycles") { npu, tiles, seed, network, modelOption, inputs, work };
        command.SetAction(parse =>
        {
            var spec = NpuSpecLoader.Load(parse.GetValue(npu)!);
            int count = parse.GetValue(tiles);
            if (count < 1) throw new InvalidInputException($"--tiles {count} must be at least 1", "--tiles");
            var model = parse.GetValue(modelOption);
            if (model is not null && parse.GetValue(network)) throw new InvalidInputException("--model and --network both choose the tiles", "--model", "give one of them");
            if (model is null && parse.GetValue(inputs) is { Length: > 0 }) throw new InvalidInputException("--input needs --model", "--input", "add --model MODEL");
            var watch = Stopwatch.StartNew();
            IReadOnlyList<CosimulationTile> list;
            ProgramTiles? program = null;
            if (model is not null)
            {
                var (partition, modelTiles) = RtlModelTiles.Load(model, spec, parse.GetResult(npu) is { Implicit: false }, parse.GetValue(inputs) ?? [], parse.GetValue(seed));
                spec = partition.Spec;
                Console.WriteLine(partition.Explain().Split('\n')[^1]);
                program = modelTiles;
            }
            else if (parse.GetValue(network))
            {
                var sample = SampleNetwork.MobileNetLike();
                program = ProgramTiles.FromNetwork(NetworkCompiler.Compile(spec, sample), SampleNetwork.Inputs(sample));
            }
            if (program is not null)
            {
                list = program.Tiles;
                var layers = new Table().AddColumns("layer", "gemm tiles", "rows (sum)", "writes before the tile (sum)");
                foreach (var group in program.Layers.Select((layer, i) => (layer, i)).GroupBy(p => p.layer))
                {
                    layers.AddRow(Markup.Escape(group.Key.Length > 80 ? group.Key[..77] + "..." : group.Key), $"{group.Count()}", $"{group.Sum(p => list[p.i].Tile.Rows)}", $"{group.Sum(p => list[p.i].Writes.Count)}");
                }
                AnsiConsole.Write(layers);
                if (list.Count == 0) throw new UnsupportedException("the compiled model issues no gemm tile on the NPU", model ?? "--network", "nothing to co-simulate");
            }
            else
            {
                list = CosimulationTile.Random(spec, count, parse.GetValue(seed));
            }
            var report = InFolder(parse.GetValue(work), $"cosim-{spec.Name}", folder => Cosimulation.Run(spec, list, new SimulatorGemmModel(spec), folder));
            var table = new Table().AddColumns("config", "mode", "tiles", "values", "mismatched tiles", "RTL cycles", "model cycles", "cycle-exact tiles",
                "within 5%", "error % min / median / max");
            foreach (var run in report.Runs)
            {
                var (minimum, median, maximum) = run.ErrorDistribution();
                table.AddRow(spec.Name, ModeName(run.Mode), $"{run.Tiles.Count}", $"{run.Values}", $"{run.MismatchedTiles}", $"{run.RtlTotal}", $"{run.ModelTotal}",
                    $"{run.CyclesExact}", $"{run.WithinPercent(5)}", $"{minimum:F2} / {median:F2} / {maximum:F2}");
            }
            AnsiConsole.Write(table);
            var histogram = new Table().AddColumns(["per-tile cycle error (model - RTL) / RTL", .. report.Runs.Select(r => ModeName(r.Mode))]);
            var buckets = report.Runs.Select(r => r.ErrorHistogram()).ToList();
            for (int b = 0; b < buckets[0].Count; b++) histogram.AddRow([Markup.Escape(buckets[0][b].Bucket), .. buckets.Select(h => $"{h[b].Tiles}")]);
            AnsiConsole.Write(histogram);
            Console.WriteLine("single: each tile on an idle core, cycles from acceptance to its last write; back to back: each tile offered as soon as the core takes it " +
                $"and the earlier tile whose operands or outputs its writes overwrite is done ({report.WaitingTiles} tiles wait for one of the {GemmTile.InFlightTiles} tiles before them), cycles each tile adds to the sequence (its last write minus the previous tile's)");
            Console.WriteLine($"build + run {watch.Elapsed.TotalSeconds:F0} s");
            return report.MismatchedTiles == 0 ? 0 : 1;
        });
        return command;
    }

    private static string ModeName(CosimulationMode mode) => mode == CosimulationMode.Single ? "single" : "back to back";

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
}
