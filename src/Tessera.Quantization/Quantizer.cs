using Tessera.Core;
using Tessera.Onnx;
using Tessera.Passes;

namespace Tessera.Quantization;

/// <summary>What a calibration produced: the prepared float model, the observers of its tensors and the
/// concrete input shapes of the first sample (for counting MACs of dynamic models).</summary>
public sealed record Calibration(Model FloatModel, IReadOnlyDictionary<string, TensorObserver> Observers, IReadOnlyDictionary<string, int[]> InputShapes, OptimizationResult? Optimization)
{
    /// <summary>The Conv -> Relu -> Conv pairs cross-layer equalization rescaled before calibrating.</summary>
    public IReadOnlyList<EqualizedPair> Equalized { get; init; } = [];
}

/// <summary>The library entry point of <c>tessera quantize</c>: prepare, calibrate, rewrite to QDQ.</summary>
public static class Quantizer
{
    /// <summary>Prepares <paramref name="model"/> in place (see <see cref="ModelPreparation"/>; with
    /// <paramref name="equalize"/> also <see cref="CrossLayerEqualization"/>; with <paramref name="expandLstm"/> LSTMs
    /// of known input shape become standard ops, <see cref="ExpandLstm"/>) and runs it on the samples.</summary>
    public static Calibration Calibrate(Model model, Func<Model, IEnumerable<CalibrationSample>> samples, Preprocessing? preprocessing, bool optimize, Action<int>? progress = null, bool equalize = true, bool expandLstm = false)
    {
        var (optimization, equalized) = ModelPreparation.Prepare(model, preprocessing, optimize, equalize, expandLstm);
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var observers = Calibrator.Run(model, Recording(samples(model), shapes), preprocessing, progress);
        return new Calibration(model, observers, shapes, optimization) { Equalized = equalized };
    }

    private static IEnumerable<CalibrationSample> Recording(IEnumerable<CalibrationSample> samples, Dictionary<string, int[]> shapes)
    {
        foreach (var sample in samples)
        {
            if (shapes.Count == 0) foreach (var (name, tensor) in sample.Inputs) shapes[name] = tensor.Shape;
            yield return sample;
        }
    }

    /// <summary>A QDQ copy of the calibrated float model (which stays unchanged) and the report.</summary>
    public static (Model Model, QuantizationReport Report) Rewrite(Calibration calibration, QuantizationOptions options)
    {
        var copy = Copy(calibration.FloatModel);
        ShapeSource.Infer(copy, null);
        var report = QdqRewriter.Rewrite(copy, calibration.Observers, options, MacsByNode(calibration));
        ShapeSource.Infer(copy, null);
        return (copy, report);
    }

    public static Model Copy(Model model)
    {
        var copy = OnnxImporter.Load(OnnxExporter.ToBytes(model), model.SourcePath ?? "model");
        copy.SourcePath = model.SourcePath;
        return copy;
    }

    /// <summary>MACs of every node at the calibration input shapes, counted on a copy so the model keeps
    /// its dynamic input declarations.</summary>
    public static Dictionary<string, long> MacsByNode(Calibration calibration)
    {
        var copy = Copy(calibration.FloatModel);
        var shapes = calibration.InputShapes.Where(kv => copy.Graph.Inputs.Any(i => i.Name == kv.Key && i.Constant is null))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        try
        {
            ShapeSource.Infer(copy, shapes);
        }
        catch (TesseraException)
        {
            // Counting is a report, not a requirement: without shapes the MACs read as zero.
        }
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var node in copy.Graph.Nodes) result[node.Name] = CostAnalysis.Layer(node).Macs;
        return result;
    }
}
