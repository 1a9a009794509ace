using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Quantization;

/// <summary>Error of one layer's output. Accumulated: the QDQ model run on its own, so errors of earlier
/// layers add up. Local: the layer's inputs are the float model's values passed through their Q/DQ, so only
/// this layer's own quantization (inputs, weights, output) shows. Local is null for layers left in float.</summary>
public sealed record LayerError(string Node, string OpType, string Tensor, ErrorMetrics Accumulated, ErrorMetrics? Local, long Macs)
{
    /// <summary>What ranks layers worst first: the local cosine where there is one.</summary>
    public double RankingCosine => Local?.Cosine ?? Accumulated.Cosine;
}

/// <summary>Per-layer and per-output agreement of a QDQ model with its float model on the same samples.</summary>
public sealed record AnalysisResult(IReadOnlyList<LayerError> Layers, IReadOnlyDictionary<string, ErrorMetrics> Outputs)
{
    /// <summary>The lowest cosine over the model's float outputs (the figure auto-fallback drives up).</summary>
    public double OutputCosine => Outputs.Count == 0 ? 1 : Outputs.Values.Min(m => m.Cosine);
}

public static class QuantizationAnalysis
{
    /// <summary>Runs the float model, the QDQ model, and the QDQ model with every QuantizeLinear fed the float
    /// model's value, on the same samples, and compares every layer output. Both models must come from the
    /// same prepared float model (tensor names line up: a QDQ output keeps the float tensor's name).</summary>
    public static AnalysisResult Compare(Model floatModel, Model qdqModel, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing, IReadOnlyDictionary<string, long>? macs = null)
    {
        var (local, referenceInputs, quantizers, originals) = LocalModel(qdqModel);

        var layers = new List<(Node Node, string Compared, Node? Quantize)>();
        foreach (var node in qdqModel.Graph.Nodes.Where(n => n.OpType is not ("QuantizeLinear" or "DequantizeLinear" or "Constant")))
        {
            foreach (var output in node.Outputs.Where(o => o is not null))
            {
                var q = quantizers.FirstOrDefault(n => n.Input(0) == output);
                layers.Add((node, q is null ? output!.Name : originals[q], q));
            }
        }
        var accumulated = layers.ToDictionary(l => l.Compared, _ => new ErrorMetrics(), StringComparer.Ordinal);
        var localMetrics = layers.Where(l => l.Quantize is not null).ToDictionary(l => l.Compared, _ => new ErrorMetrics(), StringComparer.Ordinal);
        // Recurrent state carried to the next frame is not a result; its error shows in the outputs it feeds.
        var outputs = floatModel.Graph.Outputs.Where(o => preprocessing is null || !preprocessing.State.ContainsValue(o.Name))
            .ToDictionary(o => o.Name, _ => new ErrorMetrics(), StringComparer.Ordinal);
        // Scale, zero point and level range of each activation QuantizeLinear (int8, or int16 where the options asked).
        var parameters = quantizers.ToDictionary(q => q.Name, q => (Scale: q.Input(1)!.Constant!.ToFloatArray()[0], Zero: q.Input(2)!.Constant!.GetInt64(0),
            Wide: q.Input(2)!.Constant!.DataType == DataType.Int16));

        var floatRun = new Recorder(floatModel, preprocessing);
        var qdqRun = new Recorder(qdqModel, preprocessing);
        var localRun = new Recorder(local, preprocessing);
        foreach (var sample in samples)
        {
            var reference = floatRun.Run(sample, null);
            var quantized = qdqRun.Run(sample, null);
            var localValues = localRun.Run(sample, referenceInputs.ToDictionary(kv => kv.Key, kv => reference[kv.Value], StringComparer.Ordinal));
            foreach (var (node, compared, q) in layers)
            {
                if (!reference.TryGetValue(compared, out var expected)) continue;
                if (quantized.TryGetValue(compared, out var actual) && actual.Length == expected.Length) accumulated[compared].Add(expected.As<float>(), actual.As<float>());
                if (q is not null && localValues.TryGetValue(q.Input(0)!.Name, out var raw) && raw.Length == expected.Length)
                {
                    var p = parameters[q.Name];
                    var requantized = raw.As<float>().Select(v => Requantize(v, p.Scale, p.Zero, p.Wide)).ToArray();
                    localMetrics[compared].Add(expected.As<float>(), requantized);
                }
            }
            foreach (var (name, metrics) in outputs)
            {
                if (reference.TryGetValue(name, out var expected) && quantized.TryGetValue(name, out var actual) && actual.Length == expected.Length) metrics.Add(expected.As<float>(), actual.As<float>());
            }
        }
        var result = layers.Select(l => new LayerError(l.Node.Name, l.Node.OpType, l.Compared, accumulated[l.Compared],
                l.Quantize is null ? null : localMetrics[l.Compared], macs?.GetValueOrDefault(l.Node.Name) ?? 0))
            .Where(l => l.Accumulated.Count > 0)
            .OrderBy(l => l.RankingCosine).ToList();
        return new AnalysisResult(result, outputs.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
    }

    private static float Requantize(float value, float scale, long zero, bool wide)
    {
        double q = System.Math.Clamp(System.Math.Round(value / scale, MidpointRounding.ToEven) + zero, wide ? short.MinValue : sbyte.MinValue, wide ? short.MaxValue : sbyte.MaxValue);
        return (float)(q - zero) * scale;
    }

    /// <summary>A copy of <paramref name="qdqModel"/> in which every activation QuantizeLinear reads a new graph
    /// input instead of its producer (feed it the float model's value, named in ReferenceInputs, to see each
    /// layer's own quantization error); also the QuantizeLinear nodes of the QDQ model and the float tensor name
    /// each one quantizes.</summary>
    internal static (Model Local, Dictionary<string, string> ReferenceInputs, List<Node> Quantizers, Dictionary<Node, string> Originals) LocalModel(Model qdqModel)
    {
        var quantizers = qdqModel.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear" && n.Input(0)?.Constant is null).ToList();
        // The float tensor each QuantizeLinear reads, by the name it has in the float model.
        var originals = new Dictionary<Node, string>();
        foreach (var q in quantizers)
        {
            var dequantize = qdqModel.Graph.Nodes.FirstOrDefault(n => n.OpType == "DequantizeLinear" && n.Input(0) == q.Output(0));
            bool isInput = q.Input(0)!.Producer is null;
            originals[q] = isInput || dequantize is null ? q.Input(0)!.Name : dequantize.Output(0)!.Name;
        }
        var local = Quantizer.Copy(qdqModel);
        var referenceInputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var q in local.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear" && n.Input(0)?.Constant is null).ToList())
        {
            var original = originals.First(kv => kv.Key.Name == q.Name).Value;
            var input = new Value(q.Name + "_reference", q.Input(0)!.Type);
            local.Graph.Inputs.Add(input);
            q.SetInput(0, input);
            referenceInputs[input.Name] = original;
        }
        return (local, referenceInputs, quantizers, originals);
    }

    /// <summary>Runs one model over a stream of samples (carrying recurrent state) and keeps every float
    /// tensor of the latest run by name, as float32.</summary>
    internal sealed class Recorder
    {
        private readonly InferenceSession _session;
        private readonly SampleFeeder _feeder;
        private readonly Dictionary<string, Tensor> _values = new(StringComparer.Ordinal);

        public Recorder(Model model, Preprocessing? preprocessing)
        {
            _session = new InferenceSession(model)
            {
                NodeExecuted = (node, outputs) =>
                {
                    for (int i = 0; i < outputs.Count && i < node.Outputs.Count; i++)
                    {
                        if (node.Outputs[i] is { } v && outputs[i] is Tensor t) Keep(v.Name, t);
                    }
                },
            };
            _feeder = new SampleFeeder(model, preprocessing);
        }

        private void Keep(string name, Tensor tensor)
        {
            if (tensor.DataType == DataType.Float32) _values[name] = tensor;
            else if (tensor.DataType is DataType.Float16 or DataType.Float64) _values[name] = tensor.CastTo(DataType.Float32);
        }

        public Dictionary<string, Tensor> Run(CalibrationSample sample, Dictionary<string, Tensor>? extra)
        {
            _values.Clear();
            var inputs = _feeder.Inputs(sample);
            foreach (var (name, value) in inputs) if (value is Tensor t) Keep(name, t);
            if (extra is not null) foreach (var (name, tensor) in extra) inputs[name] = tensor;
            _feeder.Observe(_session.Run(inputs));
            return new Dictionary<string, Tensor>(_values, StringComparer.Ordinal);
        }
    }
}
