using Tessera.Core;

namespace Tessera.Quantization;

/// <summary>Empirical bias correction (Nagel et al. 2019, "Data-Free Quantization", section 4.2, measured on
/// calibration data instead of derived from batch-norm statistics): quantizing a layer's weights and inputs
/// shifts the mean of its output channels (the rounding error of a channel's weights times the mean of its inputs
/// does not average out over the samples, and a clipped input range biases the input). Per output channel of
/// every quantized Conv, ConvTranspose and Gemm with a bias, the mean of (QDQ output - float output) over the
/// calibration samples and positions is measured with the layer's inputs set to the float model's values passed
/// through their Q/DQ (the "local" run of <see cref="QuantizationAnalysis"/>, so a layer's correction measures
/// only its own quantization, and all layers can be corrected from one run), and subtracted from the bias
/// before it is quantized (<see cref="QuantizationOptions.BiasCorrections"/>).</summary>
public static class BiasCorrection
{
    /// <summary>Per node name, the per-output-channel mean error to subtract from the bias, from one run of the
    /// QDQ model with every layer fed the float model's inputs (each layer's own error).</summary>
    public static Dictionary<string, float[]> Measure(Calibration calibration, QuantizationOptions options, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing)
    {
        var none = options with { BiasCorrections = new Dictionary<string, float[]>(StringComparer.Ordinal) };
        var (qdq, _) = Quantizer.Rewrite(calibration, none);
        var targets = Targets(calibration.FloatModel, qdq);
        var floatMeans = new ChannelMeans();
        var floatRun = new QuantizationAnalysis.Recorder(calibration.FloatModel, preprocessing);
        var (local, referenceInputs, _, _) = QuantizationAnalysis.LocalModel(qdq);
        var localMeans = new ChannelMeans();
        var localRun = new QuantizationAnalysis.Recorder(local, preprocessing);
        foreach (var sample in samples)
        {
            var reference = floatRun.Run(sample, null);
            var values = localRun.Run(sample, referenceInputs.ToDictionary(kv => kv.Key, kv => reference[kv.Value], StringComparer.Ordinal));
            foreach (var t in targets)
            {
                if (!reference.TryGetValue(t.FloatOutput, out var expected) || !values.TryGetValue(t.QdqOutput, out var actual) || actual.Length != expected.Length) continue;
                floatMeans.Add(t.Node, expected, t.Axis);
                localMeans.Add(t.Node, actual, t.Axis);
            }
        }
        return Difference(localMeans, floatMeans, targets.Select(t => t.Node));
    }

    private sealed record Target(string Node, string FloatOutput, string QdqOutput, int Axis);

    /// <summary>Conv/ConvTranspose/Gemm nodes whose weight and bias the rewrite quantized (both read through
    /// DequantizeLinear).</summary>
    private static List<Target> Targets(Model floatModel, Model qdq)
    {
        var floatOutputs = floatModel.Graph.Nodes.Where(n => n.Outputs.Count > 0 && n.Output(0) is not null)
            .ToDictionary(n => n.Name, n => n.Output(0)!.Name, StringComparer.Ordinal);
        var result = new List<Target>();
        foreach (var node in qdq.Graph.Nodes)
        {
            bool target = node.OpType is "Conv" or "ConvTranspose" or "Gemm" && node.Inputs.Count >= 3
                && node.Input(1)?.Producer?.OpType == "DequantizeLinear" && node.Input(2)?.Producer?.OpType == "DequantizeLinear"
                && floatOutputs.ContainsKey(node.Name) && node.Output(0) is not null;
            if (target) result.Add(new Target(node.Name, floatOutputs[node.Name], node.Output(0)!.Name, node.OpType == "Gemm" ? -1 : 1));
        }
        return result;
    }

    private static Dictionary<string, float[]> Difference(ChannelMeans quantized, ChannelMeans reference, IEnumerable<string> nodes)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (quantized.Mean(node) is not { } q || reference.Mean(node) is not { } f || q.Length != f.Length) continue;
            result[node] = q.Select((v, i) => (float)(v - f[i])).ToArray();
        }
        return result;
    }

    /// <summary>Per node, the mean of every output channel over samples and positions.</summary>
    private sealed class ChannelMeans
    {
        private readonly Dictionary<string, (double[] Sum, long Count)> _sums = new(StringComparer.Ordinal);

        public void Add(string node, Tensor tensor, int axis)
        {
            var shape = tensor.Shape;
            int channelAxis = axis < 0 ? shape.Length - 1 : axis;
            if (channelAxis >= shape.Length) return;
            int channels = shape[channelAxis];
            int inner = shape.Skip(channelAxis + 1).Aggregate(1, (a, b) => a * b);
            if (!_sums.TryGetValue(node, out var entry)) entry = (new double[channels], 0);
            if (entry.Sum.Length != channels) return;
            var values = tensor.As<float>();
            for (int i = 0; i < values.Length; i++) entry.Sum[i / inner % channels] += values[i];
            _sums[node] = (entry.Sum, entry.Count + values.Length / channels);
        }

        public double[]? Mean(string node) => _sums.TryGetValue(node, out var e) && e.Count > 0 ? e.Sum.Select(s => s / e.Count).ToArray() : null;
    }
}
