using System.Diagnostics;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Npu;
using Tessera.Onnx;
using Tessera.Passes;
using Tessera.Quantization;

namespace Tessera.Conformance;

/// <summary>Runs the ONNX node tests through the int8 path to the simulated NPU: each test's model is quantized by
/// the project's quantizer (calibrated on the test's own inputs, as <c>tessera quantize</c> does with the optimizer
/// on), lowered to the integer program, partitioned and compiled for one NPU configuration, and run with its NPU
/// segments on the bit-exact simulator. A case passes when every value an NPU segment produced and every graph
/// output is identical to the integer reference executor's on the same inputs; it fails on any difference (or an
/// error after partitioning); it is unsupported, with a reason, when there is nothing to run on the NPU: no
/// quantizable op, a non-float input, a model the quantizer or the integer executor does not take, or no step the
/// NPU maps. The expected outputs of the test data are float results and are not compared here (the int8 model
/// approximates them; its accuracy is the quantizer's business, see docs/quantization.md).
/// Weights are deployed as constants: the inputs the ONNX tests feed as Conv, ConvTranspose and Gemm weights and
/// biases, PRelu slopes, Clip bounds, and every non-float input (shapes, axes, indices) are bound to the test's values before
/// quantization; the remaining float inputs are activations.</summary>
public sealed class NpuConformanceRunner
{
    public const string Suite = "node";

    private readonly NpuSpec _spec;

    public NpuConformanceRunner(string configuration = "small", string root = ConformanceRunner.DefaultRoot)
    {
        Configuration = configuration;
        Root = root;
        _spec = NpuSpecLoader.Load(configuration);
    }

    public string Configuration { get; }

    public string Root { get; }

    /// <summary>Case-name substring filter; null runs all.</summary>
    public string? Filter { get; init; }

    public int Parallelism { get; init; } = Environment.ProcessorCount;

    public IReadOnlyList<ConformanceCase> DiscoverCases() =>
        new ConformanceRunner("npu", Root) { Filter = Filter }.DiscoverCases().Where(c => c.Suite == Suite).ToList();

    public ConformanceSummary Run(Action<CaseResult>? progress = null) => ConformanceRunner.RunAll(DiscoverCases(), Parallelism, RunCase, progress);

    public CaseResult RunCase(ConformanceCase c) => DefectiveTestData.Report(Execute(c));

    private CaseResult Execute(ConformanceCase c)
    {
        var clock = Stopwatch.StartNew();
        string op = c.Name;
        NpuCaseFigures? figures = null;
        try
        {
            var modelPath = Path.Combine(c.Folder, "model.onnx");
            var model = OnnxImporter.Load(modelPath);
            op = ConformanceRunner.OpLabel(model, c.Name);
            var standard = model.Graph.Nodes.Where(n => n.OpType != "Constant").ToList();
            if (!standard.Any(n => n.Domain.Length == 0 && QdqRewriter.QuantizableOps.Contains(n.OpType)))
            {
                var ops = string.Join(", ", standard.Select(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}").Distinct());
                throw new NotOnNpuException("op not quantizable (no int8 form in QDQ)", $"{ops}: no int8 form in QDQ (the quantizer keeps it float)");
            }
            var dataSets = Directory.GetDirectories(c.Folder, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
            if (dataSets.Count == 0) return new CaseResult(c, op, CaseStatus.Failed, "no test data sets", clock.Elapsed.TotalSeconds);
            foreach (var dataSet in dataSets)
            {
                var (mismatch, run) = RunDataSet(c, dataSet);
                figures = figures is null ? run : Add(figures, run);
                if (mismatch is not null)
                {
                    return new CaseResult(c, op, CaseStatus.Failed, $"{Path.GetFileName(dataSet)}: {mismatch}", clock.Elapsed.TotalSeconds) { Npu = figures };
                }
            }
            return new CaseResult(c, op, CaseStatus.Passed, null, clock.Elapsed.TotalSeconds) { Npu = figures };
        }
        catch (NotOnNpuException e)
        {
            return new CaseResult(c, op, CaseStatus.Unsupported, e.Message, clock.Elapsed.TotalSeconds) { Reason = e.Reason };
        }
        catch (Exception e)
        {
            var message = e is TesseraException t ? t.UserMessage : $"{e.GetType().Name}: {e.Message}";
            return new CaseResult(c, op, CaseStatus.Failed, message, clock.Elapsed.TotalSeconds) { Npu = figures };
        }
    }

    private static NpuCaseFigures Add(NpuCaseFigures a, NpuCaseFigures b) =>
        new(a.NpuMacs + b.NpuMacs, a.CpuMacs + b.CpuMacs, a.NpuSteps + b.NpuSteps, a.CpuSteps + b.CpuSteps, a.NpuSegments + b.NpuSegments, a.Compared + b.Compared)
        {
            CpuWork = a.CpuWork.Concat(b.CpuWork).Distinct().ToList(),
        };

    /// <summary>Runs one data set on the NPU and the integer executor; returns the first difference (null when
    /// identical) and the figures.</summary>
    private (string? Mismatch, NpuCaseFigures Figures) RunDataSet(ConformanceCase c, string dataSet)
    {
        var (partition, inputs) = Partition(c, dataSet);
        var figures = new NpuCaseFigures(partition.NpuMacs, partition.CpuMacs, partition.Segments.Sum(s => s.Steps.Count), partition.Fallbacks.Count(),
            partition.Segments.Count(), 0)
        {
            CpuWork = partition.Fallbacks.Where(f => f.Step.Kind is not ("quantize" or "dequantize")).Select(f => $"{f.Step.Kind}: {f.Reason}").ToList(),
        };
        var (_, result) = BitExactComparison.Run(partition, inputs);
        return (result.Mismatch, figures with { Compared = result.Compared });
    }

    /// <summary>The case's model quantized for one data set (its weights bound, calibrated on its activations),
    /// lowered and partitioned for this configuration with every NPU value exposed, and the activations to feed it.
    /// Throws <see cref="NotOnNpuException"/> when no step maps to the NPU.</summary>
    public (ModelPartition Partition, Dictionary<string, Tensor> Inputs) Partition(ConformanceCase c, string dataSet)
    {
        string name = c.Name;
        var model = OnnxImporter.Load(Path.Combine(c.Folder, "model.onnx"));
        Dictionary<string, DataValue> values;
        try
        {
            values = ConformanceRunner.ReadInputs(model.Graph, dataSet);
        }
        catch (UnsupportedException e)
        {
            throw new NotOnNpuException("test data: " + Generic(e.UserMessage), e.UserMessage);
        }
        var weights = WeightInputs(model.Graph);
        var constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (input, value) in values)
        {
            if (value is not Tensor tensor) throw new NotOnNpuException("input is a sequence or optional", $"input '{input}' is {value}, not a tensor");
            if (weights.Contains(input) || tensor.DataType != DataType.Float32) constants[input] = tensor;
            else feeds[input] = tensor;
        }
        if (feeds.Count == 0)
        {
            var types = string.Join(", ", values.Values.OfType<Tensor>().Select(t => DataTypes.Name(t.DataType)).Distinct());
            throw new NotOnNpuException("no float32 activation input (dtype)", $"no float32 activation input (inputs: {types})");
        }
        GraphOptimizer.BindConstantInputs(model, constants);

        Calibration calibration;
        try
        {
            calibration = Quantizer.Calibrate(model, _ => [new CalibrationSample(feeds, true, dataSet)], null, optimize: true, equalize: false);
        }
        catch (TesseraException e)
        {
            throw new NotOnNpuException("float model does not run for calibration: " + Generic(e.UserMessage), e.UserMessage);
        }
        Model quantized;
        QuantizationReport report;
        try
        {
            (quantized, report) = Quantizer.Rewrite(calibration, new QuantizationOptions());
        }
        catch (UnsupportedException e)
        {
            throw new NotOnNpuException("quantizer: " + Generic(e.UserMessage), e.UserMessage);
        }
        if (report.QuantizedNodes.Count == 0)
        {
            var kept = report.KeptFloat.Select(k => $"{k.OpType}: {k.Reason}").Distinct().ToList();
            var reasons = report.KeptFloat.Select(k => k.Reason).Distinct().ToList();
            throw new NotOnNpuException(reasons.Count == 1 && reasons[0].StartsWith("no int8 form", StringComparison.Ordinal)
                ? "op not quantizable (no int8 form in QDQ)"
                : "quantizer keeps every node float: " + string.Join("; ", reasons.Select(Generic)), string.Join("; ", kept));
        }

        IntegerProgram program;
        ProgramValues probed;
        ModelPartition partition;
        Dictionary<string, Tensor> inputs;
        try
        {
            program = IntegerLowering.Lower(OnnxImporter.Load(OnnxExporter.ToBytes(quantized), name));
            inputs = feeds.Where(p => program.Inputs.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            probed = ProgramValues.Probe(program, inputs);
        }
        catch (TesseraException e)
        {
            throw new NotOnNpuException("integer executor: " + Generic(e.UserMessage), e.UserMessage);
        }
        // A compiler error the partitioner does not turn into a CPU fallback is a failure, not a reason.
        partition = Tessera.Npu.Partitioner.Partition(program, probed, _spec, exposeAll: true);
        if (!partition.Segments.Any())
        {
            var fallbacks = partition.Fallbacks.Where(f => !f.Step.IsFloat).ToList();
            if (fallbacks.Count == 0 || fallbacks.All(f => f.Step.Kind is "quantize" or "dequantize"))
            {
                if (program.Islands.Count > 0)
                {
                    var island = program.Islands[0];
                    throw new NotOnNpuException($"integer executor keeps the op float: {Generic(island.Reason)}", $"{island.OpType} {island.Node}: {island.Reason}");
                }
                var steps = string.Join(", ", partition.Fallbacks.Select(f => f.Step.Kind).Distinct());
                throw new NotOnNpuException("quantized model has no integer compute step", $"steps: {steps}");
            }
            var first = fallbacks.First(f => f.Step.Kind is not ("quantize" or "dequantize"));
            throw new NotOnNpuException("NPU: " + Generic(first.Reason), $"{first.Step.Kind} {first.Step.Name}: {first.Reason}");
        }
        return (partition, inputs);
    }

    /// <summary>Graph inputs the node tests feed as parameters: Conv, ConvTranspose and Gemm weights and biases,
    /// PRelu slopes, Clip bounds.</summary>
    private static HashSet<string> WeightInputs(Graph graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            int from = node.OpType switch
            {
                "Conv" or "ConvTranspose" or "Gemm" or "PRelu" or "Clip" => 1,
                _ => int.MaxValue,
            };
            for (int i = from; i < node.Inputs.Count; i++)
            {
                if (node.Input(i) is { } value) names.Add(value.Name);
            }
        }
        return names;
    }

    /// <summary>A message with the case's quoted names and shapes (4x2x2) removed, so equal reasons of different
    /// cases count together.</summary>
    private static string Generic(string message) =>
        System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Replace(message, "'[^']*'", "'…'"), @"\b\d+(x\d+)+\b", "…");
}

/// <summary>Why a case has nothing for the NPU: <see cref="Reason"/> is the group it is counted in (no names of the
/// case in it), the message the detail.</summary>
public sealed class NotOnNpuException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
