using System.Diagnostics;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Kernels.Cpu;
using Tessera.Npu;
using Tessera.Passes;
using Tessera.Runtime;
using Tessera.TFLite;

namespace Tessera.Apps.MlperfTiny;

/// <summary>How the suite is measured: inputs for the int8-vs-float agreement, untimed and timed runs per
/// latency figure, threads of the float cpu backend, the NPU configurations and how many inputs each runs.</summary>
public sealed record MlperfTinyOptions
{
    public int Inputs { get; init; } = 50;

    public int Warmup { get; init; } = 2;

    public int Iterations { get; init; } = 10;

    public int Threads { get; init; } = 1;

    public IReadOnlyList<string> NpuConfigurations { get; init; } = ["tiny", "small"];

    public int NpuInputs { get; init; } = 1;

    /// <summary>Benchmark ids to run (<see cref="MlperfTinySuite.Benchmarks"/>); null for all.</summary>
    public IReadOnlyList<string>? Only { get; init; }
}

/// <summary>The int8 model on one simulated NPU configuration: simulated (deterministic) cycles at the spec
/// clock, energy, utilization and DRAM traffic of one inference, and whether its outputs equal the integer
/// reference executor's on every input it ran.</summary>
public sealed record MlperfTinyNpuResult(string Configuration, double ClockMegahertz, int ArrayMacs, long Cycles, double LatencyMicroseconds, double EnergyMicrojoules,
    double MacUtilization, long NpuMacs, double NpuMacFraction, long DramBytes, int InputsCompared, bool BitIdentical)
{
    public double InferencesPerSecond => LatencyMicroseconds == 0 ? 0 : 1e6 / LatencyMicroseconds;
}

/// <summary>Median latencies (ms) of the float model on the reference and cpu backends and of the int8 model on
/// the integer reference executor, measured on this machine; the int8-vs-float agreement over the inputs
/// (same top-1 class for classifiers, mean output cosine for all); the NPU rows.</summary>
public sealed record MlperfTinyResult(MlperfTinyBenchmark Benchmark, double? FloatReferenceMs, double? FloatCpuMs, double Int8ReferenceMs, int Inputs,
    int? SameTop1, double? MeanCosine, IReadOnlyList<int> Int8Top1, IReadOnlyList<MlperfTinyNpuResult> Npu);

/// <summary>Runs the MLPerf Tiny suite on the reference, cpu and npu backends (<c>tessera bench mlperf-tiny</c>).</summary>
public static class MlperfTinyRunner
{
    public static IReadOnlyList<MlperfTinyResult> Run(MlperfTinySuite suite, MlperfTinyOptions options, Action<string>? progress = null)
    {
        if (options.Inputs < 1 || options.Iterations < 1 || options.Warmup < 0 || options.Threads < 1 || options.NpuInputs < 0)
        {
            throw new InvalidInputException("--inputs, --iters and --threads must be at least 1, --warmup and --npu-inputs at least 0", "bench mlperf-tiny");
        }
        var specs = options.NpuConfigurations.Select(NpuSpecLoader.Load).ToList();
        var chosen = MlperfTinySuite.Benchmarks.Where(b => options.Only is null || options.Only.Contains(b.Id)).ToList();
        if (options.Only is not null && options.Only.FirstOrDefault(id => MlperfTinySuite.Benchmarks.All(b => b.Id != id)) is { } unknown)
        {
            throw new InvalidInputException($"unknown MLPerf Tiny benchmark '{unknown}'", "--only", $"choose from: {string.Join(", ", MlperfTinySuite.Benchmarks.Select(b => b.Id))}");
        }
        var results = new List<MlperfTinyResult>();
        foreach (var benchmark in chosen) results.Add(RunOne(suite, benchmark, options, specs, progress));
        return results;
    }

    private static MlperfTinyResult RunOne(MlperfTinySuite suite, MlperfTinyBenchmark benchmark, MlperfTinyOptions options, List<NpuSpec> specs, Action<string>? progress)
    {
        progress?.Invoke($"{benchmark.Id}: inputs");
        var int8Inputs = suite.Int8Inputs(benchmark, options.Inputs);
        var floatInputs = suite.FloatInputs(benchmark, options.Inputs);

        progress?.Invoke($"{benchmark.Id}: int8 on the integer executor");
        var program = IntegerLowering.Lower(TfLiteImporter.Load(suite.ModelPath(benchmark.Int8File)));
        string input = program.Inputs.Single(), output = program.Outputs.Single();
        Dictionary<string, Tensor> Feed(Tensor t) => new(StringComparer.Ordinal) { [input] = t };
        double int8Ms = Median(options, () => program.RunOutputs(Feed(int8Inputs[0])));
        var outputQuantization = suite.Quantization(benchmark.Int8File, output: true);
        var int8Outputs = int8Inputs.Select(t => program.RunOutputs(Feed(t))[output]).ToList();
        var int8Real = int8Outputs.Select(t => MlperfTinySuite.Dequantize(t, outputQuantization)).ToList();

        double? referenceMs = null, cpuMs = null;
        int? sameTop = null;
        double? cosine = null;
        if (benchmark.FloatFile is { } floatFile && floatInputs is not null)
        {
            progress?.Invoke($"{benchmark.Id}: float on reference");
            var reference = FloatSession(suite.ModelPath(floatFile), "reference", 1);
            string floatInput = reference.Inputs[0].Name, floatOutput = reference.Outputs[0].Name;
            referenceMs = Median(options, () => reference.Run(FloatFeed(floatInput, floatInputs[0])));
            var floatOutputs = floatInputs.Select(t => ((Tensor)reference.Run(FloatFeed(floatInput, t))[floatOutput]).ToFloatArray()).ToList();
            progress?.Invoke($"{benchmark.Id}: float on cpu");
            var cpu = FloatSession(suite.ModelPath(floatFile), CpuBackend.Name, options.Threads);
            cpuMs = Median(options, () => cpu.Run(FloatFeed(floatInput, floatInputs[0])));
            if (benchmark.IsClassifier) sameTop = floatOutputs.Zip(int8Real).Count(p => ArgMax(p.First) == ArgMax(p.Second));
            cosine = floatOutputs.Zip(int8Real).Average(p => Cosine(p.First, p.Second));
        }

        var npu = new List<MlperfTinyNpuResult>();
        foreach (var spec in specs)
        {
            progress?.Invoke($"{benchmark.Id}: npu {spec.Name}");
            var partition = Partitioner.Partition(program, ProgramValues.Probe(program, Feed(int8Inputs[0])), spec);
            HybridReport? report = null;
            bool identical = true;
            int compared = Math.Min(options.NpuInputs, int8Inputs.Count);
            for (int k = 0; k < Math.Max(1, compared); k++)
            {
                var result = HybridRunner.Run(partition, Feed(int8Inputs[k]), layerReports: false);
                report ??= result.Report;
                if (k < compared) identical &= result.Outputs[output].As<sbyte>().SequenceEqual(int8Outputs[k].As<sbyte>());
            }
            npu.Add(new MlperfTinyNpuResult(spec.Name, report!.ClockMegahertz, report.ArrayMacs, report.Cycles, report.LatencyMicroseconds, report.EnergyMicrojoules,
                report.MacUtilization, report.NpuMacs, report.NpuMacFraction, report.DramBytes, compared, compared > 0 && identical));
        }
        var top = benchmark.IsClassifier ? int8Real.Select(ArgMax).ToList() : [];
        return new MlperfTinyResult(benchmark, referenceMs, cpuMs, int8Ms, int8Inputs.Count, sameTop, cosine, top, npu);
    }

    private static InferenceSession FloatSession(string path, string backend, int threads)
    {
        var model = TfLiteImporter.Load(path);
        if (backend == CpuBackend.Name)
        {
            CpuBackend.Register();
            GraphOptimizer.Optimize(model, new OptimizationOptions { FuseResidualAdd = true });
        }
        return new InferenceSession(model, new SessionOptions { Backend = backend, Threads = threads });
    }

    private static Dictionary<string, DataValue> FloatFeed(string name, Tensor tensor) => new(StringComparer.Ordinal) { [name] = tensor };

    /// <summary>Median wall time in ms of <see cref="MlperfTinyOptions.Iterations"/> runs after the warm-up runs.</summary>
    private static double Median(MlperfTinyOptions options, Action run)
    {
        for (int i = 0; i < options.Warmup; i++) run();
        var times = new double[options.Iterations];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
    }

    public static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static double Cosine(float[] reference, float[] approximation)
    {
        var metrics = new Quantization.ErrorMetrics();
        metrics.Add(reference, approximation);
        return metrics.Cosine;
    }
}
