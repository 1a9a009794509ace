using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Simulator;
using Tessera.Simulator.Workloads;

namespace Tessera.Cli;

/// <summary>NPU commands: asm, disasm, sim, isa-doc, npu-bench.</summary>
internal static class NpuCommands
{
    public static IEnumerable<Command> Create() => [Assemble(), Disassemble(), Simulate(), IsaDoc(), Benchmark()];

    private static Command Assemble()
    {
        var source = new Argument<FileInfo>("source") { Description = "Assembly file (.s)" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Program file to write", Required = true };
        var command = new Command("asm", "Assemble an NPU program") { source, output };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(source)!;
            if (!file.Exists) throw new InvalidInputException("not found", file.FullName, "check the path");
            var program = Assembler.Assemble(File.ReadAllText(file.FullName), file.Name);
            AtomicFile.WriteAllBytes(parse.GetValue(output)!.FullName, ProgramFile.Write(program));
            Console.WriteLine($"{program.Instructions.Count} instructions, {program.Constants.Count} constants, {program.Tensors.Count} tensors -> {parse.GetValue(output)!.Name}");
            return 0;
        });
        return command;
    }

    private static Command Disassemble()
    {
        var input = new Argument<FileInfo>("program") { Description = "Program file (.bin)" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the listing here instead of standard output" };
        var command = new Command("disasm", "Disassemble an NPU program") { input, output };
        command.SetAction(parse =>
        {
            var text = Disassembler.Format(ReadProgram(parse.GetValue(input)!));
            if (parse.GetValue(output) is { } file) AtomicFile.WriteAllText(file.FullName, text);
            else Console.Write(text);
            return 0;
        });
        return command;
    }

    private static Command Simulate()
    {
        var input = new Argument<FileInfo>("program") { Description = "Program file (.bin)" };
        var npu = new Option<string>("--npu") { Description = "NPU configuration name or YAML path", DefaultValueFactory = _ => "small" };
        var trace = new Option<FileInfo?>("--trace") { Description = "Write a Chrome/Perfetto trace (JSON)" };
        var reportFile = new Option<FileInfo?>("--report") { Description = "Write the report as JSON" };
        var inputs = new Option<string[]>("--input", "-i") { Description = "NAME=FILE.npy for a program input (repeatable)", AllowMultipleArgumentsPerToken = true };
        var fill = new Option<string>("--fill") { Description = "Inputs not given: zero or random", DefaultValueFactory = _ => "zero" };
        var outputs = new Option<DirectoryInfo?>("--outputs") { Description = "Write every output as NAME.npy into this folder" };
        var command = new Command("sim", "Run an NPU program on the simulator and report cycles, traffic and energy") { input, npu, trace, reportFile, inputs, fill, outputs };
        command.SetAction(parse =>
        {
            var program = ReadProgram(parse.GetValue(input)!);
            var spec = NpuSpecLoader.Load(parse.GetValue(npu)!);
            var values = new Dictionary<string, byte[]>();
            foreach (var pair in parse.GetValue(inputs) ?? [])
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0) throw new InvalidInputException($"--input '{pair}' is not NAME=FILE.npy");
                var tensor = program.Inputs.FirstOrDefault(t => t.Name == pair[..equals])
                    ?? throw new InvalidInputException($"the program has no input '{pair[..equals]}'", hint: $"inputs: {string.Join(", ", program.Inputs.Select(t => t.Name))}");
                values[tensor.Name] = ProgramTensorFiles.Read(pair[(equals + 1)..], tensor);
            }
            string fillMode = parse.GetValue(fill)!;
            if (fillMode is not ("zero" or "random")) throw new InvalidInputException($"--fill '{fillMode}' is not zero or random");
            var random = new Random(0);
            foreach (var tensor in program.Inputs.Where(t => !values.ContainsKey(t.Name) && fillMode == "random"))
            {
                var bytes = new byte[tensor.ByteLength];
                random.NextBytes(bytes);
                values[tensor.Name] = bytes;
            }
            var clock = Stopwatch.StartNew();
            var result = NpuSimulator.Run(spec, program, values, new SimulationOptions { Trace = parse.GetValue(trace) is not null });
            clock.Stop();
            PrintReport(result.Report, clock.Elapsed.TotalSeconds);
            if (parse.GetValue(trace) is { } traceFile) AtomicFile.WriteAllText(traceFile.FullName, TraceWriter.Write(result.Trace, spec));
            if (parse.GetValue(reportFile) is { } file)
            {
                AtomicFile.WriteAllText(file.FullName, JsonSerializer.Serialize(result.Report.ToJson(), new JsonSerializerOptions { WriteIndented = true }));
            }
            if (parse.GetValue(outputs) is { } folder)
            {
                foreach (var tensor in program.Outputs) ProgramTensorFiles.Write(Path.Combine(folder.FullName, tensor.Name + ".npy"), tensor, result.Outputs[tensor.Name]);
            }
            return 0;
        });
        return command;
    }

    private static Command IsaDoc()
    {
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file (docs/isa.md) instead of standard output" };
        var command = new Command("isa-doc", "Generate docs/isa.md from the instruction-set declaration") { output };
        command.SetAction(parse =>
        {
            if (parse.GetValue(output) is { } file) AtomicFile.WriteAllText(file.FullName, IsaDocument.Generate());
            else Console.Write(IsaDocument.Generate());
            return 0;
        });
        return command;
    }

    private static Command Benchmark()
    {
        var size = new Option<int>("--size") { Description = "GEMM size M = K = N", DefaultValueFactory = _ => 256 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per configuration (the best is reported)", DefaultValueFactory = _ => 10 };
        var command = new Command("npu-bench", "Measure simulator speed: simulated MACs per second of host time for a double-buffered GEMM on each configuration") { size, repeat };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(size);
            if (n is < 1 or > 4096) throw new InvalidInputException($"--size {n} is out of range", hint: "allowed 1..4096");
            var table = new Table().AddColumns("config", "GEMM", "instructions", "simulated cycles", "MAC util.", "host ms (best)", "simulated MACs/s", "kernel");
            foreach (var name in NpuSpecLoader.NamedConfigs)
            {
                var spec = NpuSpecLoader.Load(name);
                var workload = new GemmWorkload(spec, n, n, n, doubleBuffered: true);
                var random = new Random(1);
                var inputs = workload.Program.Inputs.ToDictionary(t => t.Name, t =>
                {
                    var bytes = new byte[t.ByteLength];
                    random.NextBytes(bytes);
                    return bytes;
                });
                SimulationResult? result = null;
                double best = double.MaxValue;
                for (int i = 0; i < Math.Max(1, parse.GetValue(repeat)) + 1; i++)
                {
                    var clock = Stopwatch.StartNew();
                    result = NpuSimulator.Run(spec, workload.Program, inputs);
                    clock.Stop();
                    if (i > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
                }
                var report = result!.Report;
                table.AddRow(name, $"{n}x{n}x{n}", report.Instructions.ToString(CultureInfo.InvariantCulture), report.TotalCycles.ToString(CultureInfo.InvariantCulture),
                    report.MacUtilization.ToString("P1", CultureInfo.InvariantCulture), (best * 1e3).ToString("F2", CultureInfo.InvariantCulture),
                    (workload.Macs / best).ToString("E2", CultureInfo.InvariantCulture), new GemmKernel().Path.ToString());
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static NpuProgram ReadProgram(FileInfo file)
    {
        if (!file.Exists) throw new InvalidInputException("not found", file.FullName, "check the path");
        return ProgramFile.Read(file.FullName);
    }

    private static void PrintReport(SimulationReport report, double hostSeconds)
    {
        var invariant = CultureInfo.InvariantCulture;
        var table = new Table().AddColumns("metric", "value");
        table.AddRow("configuration", report.Configuration);
        table.AddRow("total cycles", report.TotalCycles.ToString("N0", invariant));
        table.AddRow("latency", $"{report.LatencyMicroseconds.ToString("F2", invariant)} us at {report.ClockMegahertz.ToString(invariant)} MHz");
        foreach (var unit in Enum.GetValues<Unit>()) table.AddRow($"busy {unit}", report.Busy(unit).ToString("P1", invariant));
        table.AddRow("MACs", report.Macs.ToString("N0", invariant));
        table.AddRow("MAC utilization", report.MacUtilization.ToString("P1", invariant));
        table.AddRow("DRAM read / written", $"{report.DramBytesRead.ToString("N0", invariant)} / {report.DramBytesWritten.ToString("N0", invariant)} bytes");
        table.AddRow("SRAM read / written", $"{report.SramBytesRead.Sum().ToString("N0", invariant)} / {report.SramBytesWritten.Sum().ToString("N0", invariant)} bytes");
        var e = report.Energy;
        table.AddRow("energy", $"{(e.Total / 1e6).ToString("F3", invariant)} uJ (MAC {Share(e.Mac)}, vector {Share(e.Vector)}, SRAM {Share(e.Sram)}, DRAM {Share(e.Dram)}, static {Share(e.Static)})");
        table.AddRow("host time", $"{(hostSeconds * 1e3).ToString("F1", invariant)} ms");
        AnsiConsole.Write(table);
        Console.WriteLine($"model: {report.Model}");

        string Share(double part) => e.Total == 0 ? "0%" : (part / e.Total).ToString("P0", invariant);
    }
}
