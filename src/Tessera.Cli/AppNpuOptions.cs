using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tessera.Apps;

namespace Tessera.Cli;

/// <summary>The options every `tessera app` command takes: --backend, and for the npu backend the configuration
/// and the calibration folder. Without --calibration the application calibrates on its own input (the file it
/// is about to read), copied into a temporary folder that is removed once the models are quantized.</summary>
internal sealed record AppNpuOptions(Option<string> Backend, Option<string> Npu, Option<DirectoryInfo?> Calibration)
{
    public static AppNpuOptions Add(Command command)
    {
        var options = new AppNpuOptions(
            new Option<string>("--backend", "-b") { Description = "Backend: reference, cpu or npu (quantized to int8 and simulated)", DefaultValueFactory = _ => "reference" },
            new Option<string>("--npu") { Description = "With --backend npu: the NPU configuration, tiny, small, large or a YAML path", DefaultValueFactory = _ => NpuTarget.DefaultConfiguration },
            new Option<DirectoryInfo?>("--calibration") { Description = "With --backend npu: a folder of inputs like the one read, to calibrate the int8 models on (default: the input itself)" });
        command.Options.Add(options.Backend);
        command.Options.Add(options.Npu);
        command.Options.Add(options.Calibration);
        return options;
    }

    /// <summary>Builds the application with the NPU target the options describe (null unless --backend npu).</summary>
    public T Open<T>(ParseResult parse, string input, Func<string, NpuTarget?, T> create)
    {
        string backend = parse.GetValue(Backend)!;
        AppBackend.Check(backend);
        if (backend != AppBackend.Npu) return create(backend, null);
        string configuration = parse.GetValue(Npu)!;
        Hardware.NpuSpecLoader.Load(configuration);
        if (parse.GetValue(Calibration) is { } folder) return create(backend, new NpuTarget(configuration, folder.FullName));
        if (!File.Exists(input)) throw new Core.InvalidInputException("file not found", input, "check the path");
        var temporary = Directory.CreateTempSubdirectory("tessera-app-calibration-").FullName;
        try
        {
            File.Copy(input, Path.Combine(temporary, Path.GetFileName(input)));
            return create(backend, new NpuTarget(configuration, temporary));
        }
        finally
        {
            Directory.Delete(temporary, recursive: true);
        }
    }

    /// <summary>One line per NPU model with its simulated cycles, latency and energy (nothing on other backends).</summary>
    public static void PrintUsage(IEnumerable<AppModel> models)
    {
        foreach (var usage in Usage(models)) AnsiConsole.WriteLine(usage.Summary());
    }

    public static IReadOnlyList<NpuModelUsage> Usage(IEnumerable<AppModel> models) => models.OfType<NpuAppModel>().Select(m => m.Usage()).ToList();

    /// <summary>The NPU figures for --json (null on other backends).</summary>
    public static object? Json(IEnumerable<AppModel> models)
    {
        var usage = Usage(models);
        if (usage.Count == 0) return null;
        return usage.Select(u => new
        {
            model = u.Model,
            configuration = u.Configuration,
            clock_mhz = u.ClockMegahertz,
            inferences = u.Inferences,
            cycles = u.Cycles,
            latency_us = u.LatencyMicroseconds,
            latency_per_inference_us = u.LatencyPerInferenceMicroseconds,
            energy_uj = u.EnergyMicrojoules,
            energy_per_inference_uj = u.EnergyPerInferenceMicrojoules,
            npu_mac_fraction = u.NpuMacFraction,
        });
    }

    internal static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
