using System.Globalization;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Npu;
using Tessera.Onnx;
using Tessera.Quantization;

namespace Tessera.Apps;

/// <summary>Where an application runs on the NPU backend: the named configuration (tiny, small, large or a
/// YAML path) and the folder of images or 16-bit WAV files its models are calibrated on.</summary>
public sealed record NpuTarget(string Configuration, string CalibrationFolder, int MaxSamples = 16)
{
    public const string DefaultConfiguration = "small";
}

/// <summary>What the NPU did for one model over all the inferences an application ran: simulated cycles and
/// energy at the configuration's clock (the NPU segments; CPU steps are listed, not timed).</summary>
public sealed record NpuModelUsage(string Model, string Configuration, double ClockMegahertz, int Inferences, long Cycles, double EnergyMicrojoules,
    long NpuMacs, long CpuMacs, int Segments, int CpuSteps)
{
    public double LatencyMicroseconds => ClockMegahertz == 0 ? 0 : Cycles / ClockMegahertz;

    public double LatencyPerInferenceMicroseconds => Inferences == 0 ? 0 : LatencyMicroseconds / Inferences;

    public double EnergyPerInferenceMicrojoules => Inferences == 0 ? 0 : EnergyMicrojoules / Inferences;

    public double NpuMacFraction => NpuMacs + CpuMacs == 0 ? 0 : (double)NpuMacs / (NpuMacs + CpuMacs);

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Model} on npu '{Configuration}': {Inferences} inference(s), {Cycles} cycles = {LatencyMicroseconds / 1000:F3} ms at {ClockMegahertz} MHz " +
        $"({LatencyPerInferenceMicroseconds:F1} us per inference), energy {EnergyMicrojoules:F2} uJ ({EnergyPerInferenceMicrojoules:F2} uJ per inference), " +
        $"NPU MACs {NpuMacFraction * 100:F2} % ({Segments} NPU segment(s), {CpuSteps} CPU step(s) per inference)");
}

/// <summary>An application model on the NPU backend: the float model is quantized to int8 with the
/// application's own calibration samples, lowered to the integer program, partitioned between the simulated
/// NPU and the integer executor for each input shape it is fed (OCR crops vary in width), and run by the
/// <see cref="HybridRunner"/>. A step the integer executor cannot run is an <see cref="UnsupportedException"/>;
/// nothing falls back to the float model.</summary>
public sealed class NpuAppModel : AppModel
{
    private readonly IntegerProgram _program;
    private readonly NpuSpec _spec;
    private readonly Dictionary<string, ModelPartition> _partitions = new(StringComparer.Ordinal);
    private readonly List<HybridReport> _reports = [];
    private readonly Model _quantized;

    private NpuAppModel(string name, string configuration, Model quantized, IntegerProgram program, NpuSpec spec)
    {
        Name = name;
        Configuration = configuration;
        _quantized = quantized;
        _program = program;
        _spec = spec;
    }

    public string Name { get; }

    public string Configuration { get; }

    /// <summary>The QDQ model the integer program was lowered from.</summary>
    public Model QuantizedModel => _quantized;

    public override IReadOnlyList<Value> Inputs => _quantized.Graph.Inputs.Where(v => v.Constant is null && !_quantized.Graph.Initializers.ContainsKey(v.Name)).ToList();

    public override IReadOnlyList<Value> Outputs => _quantized.Graph.Outputs;

    /// <summary>Every inference's report, in order.</summary>
    public IReadOnlyList<HybridReport> Reports => _reports;

    /// <param name="floatModel">The float model; it is prepared in place by the quantizer.</param>
    /// <param name="samples">The calibration inputs, made by the application's own preprocessing.</param>
    /// <param name="preprocessing">The catalog preset when the model has one (it binds constant inputs such as
    /// Silero's sample rate and carries streaming state during calibration).</param>
    /// <param name="equalize">Cross-layer equalization before calibrating (the VAD turns it off: measured worse).</param>
    /// <param name="expandLstm">Expand LSTMs with a known input shape into Gemm/MatMul, Sigmoid, Tanh, Mul and Add before
    /// calibrating, so they are quantized and run on the NPU instead of staying float steps on the host.</param>
    /// <param name="method">How activation ranges are chosen from the calibration data (OCR recognition uses mse:
    /// with minmax the padded lines lose their spaces, docs/quantization.md).</param>
    public static NpuAppModel Create(string name, Model floatModel, NpuTarget target, Func<Model, IEnumerable<CalibrationSample>> samples,
        Preprocessing? preprocessing = null, bool equalize = true, CalibrationMethod method = CalibrationMethod.MinMax, bool expandLstm = false)
    {
        var spec = NpuSpecLoader.Load(target.Configuration);
        var calibration = Quantizer.Calibrate(floatModel, samples, preprocessing, optimize: true, equalize: equalize, expandLstm: expandLstm);
        if (calibration.Observers.Count == 0)
        {
            throw new InvalidInputException($"no calibration sample for '{name}'", target.CalibrationFolder, "give a folder with images or 16-bit WAV files the application reads");
        }
        var bytes = OnnxExporter.ToBytes(Quantizer.Rewrite(calibration, new QuantizationOptions { Method = method }).Model);
        var quantized = OnnxImporter.Load(bytes, name);
        IntegerProgram program;
        try
        {
            program = IntegerLowering.Lower(OnnxImporter.Load(bytes, name));
        }
        catch (UnsupportedException e)
        {
            throw Unsupported(name, e);
        }
        return new NpuAppModel(name, target.Configuration, quantized, program, spec);
    }

    public override IReadOnlyDictionary<string, DataValue> Run(IReadOnlyDictionary<string, DataValue> inputs)
    {
        var tensors = inputs.ToDictionary(p => p.Key, p => p.Value as Tensor
            ?? throw new InvalidInputException($"input '{p.Key}' is not a tensor", Name), StringComparer.Ordinal);
        var result = HybridRunner.Run(Partition(tensors), tensors, layerReports: false);
        _reports.Add(result.Report);
        return result.Outputs.ToDictionary(p => p.Key, p => (DataValue)p.Value, StringComparer.Ordinal);
    }

    /// <summary>The partition for the shapes of <paramref name="inputs"/>, compiled on first use.</summary>
    public ModelPartition Partition(IReadOnlyDictionary<string, Tensor> inputs)
    {
        string key = string.Join(';', _program.Inputs.Select(n => n + "=" + (inputs.TryGetValue(n, out var t) ? ShapeMath.Format(t.Shape) : "?")));
        if (_partitions.TryGetValue(key, out var cached)) return cached;
        ProgramValues values;
        try
        {
            values = ProgramValues.Probe(_program, inputs);
        }
        catch (UnsupportedException e)
        {
            throw Unsupported(Name, e);
        }
        var partition = Partitioner.Partition(_program, values, _spec);
        _partitions[key] = partition;
        return partition;
    }

    private static UnsupportedException Unsupported(string name, UnsupportedException e) =>
        new($"'{name}' cannot run on the NPU backend: its int8 program has a step the integer executor does not run ({e.Message})",
            name, "use --backend cpu or reference for this model");

    /// <summary>The totals over every inference so far.</summary>
    public NpuModelUsage Usage()
    {
        var last = _reports.LastOrDefault();
        return new NpuModelUsage(Name, Configuration, _spec.ClockMegahertz, _reports.Count, _reports.Sum(r => r.Cycles), _reports.Sum(r => r.EnergyMicrojoules),
            _reports.Sum(r => r.NpuMacs), _reports.Sum(r => r.CpuMacs), last?.Segments.Count ?? 0, last?.CpuSteps.Count ?? 0);
    }
}
