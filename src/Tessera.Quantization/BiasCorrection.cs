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
    /// <summary>Per node name, the per-output-channel mean error to subtract from the bias.</summary>
    public static Dictionary<string, float[]> Measure(Calibration calibration, QuantizationOptions options, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing)
    {
        var (qdq, _) = Quantizer.Rewrite(calibration, options with { BiasCorrections = new Dictionary<string, float[]>(StringComparer.Ordinal) });
        var (local, referenceInputs, _, _) = QuantizationAnalysis.LocalModel(qdq);
        var floatOutputs = calibration.FloatModel.Graph.Nodes.Where(n => n.Outputs.Count > 0 && n.Output(0) is not null)
            .ToDictionary(n => n.Name, n => n.Output(0)!.Name, StringComparer.Ordinal);
        // Layers whose weight and bias are both read through DequantizeLinear (the ones the rewrite quantized).
        var targets = new List<(string Node, string FloatOutput, string LocalOutput, int Axis)>();
        foreach (var node in local.Graph.Nodes)
        {
            if (node.OpType is not ("Conv" or "ConvTranspose" or "Gemm") || node.Inputs.Count < 3) continue;
            if (node.Input(1)?.Producer?.OpType != "DequantizeLinear" || node.Input(2)?.Producer?.OpType != "DequantizeLinear") continue;
            if (!floatOutputs.TryGetValue(node.Name, out var floatOutput) || node.Output(0) is not { } output) continue;
            targets.Add((node.Name, floatOutput, output.Name, node.OpType == "Gemm" ? -1 : 1));
        }
        var sums = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var floatRun = new QuantizationAnalysis.Recorder(calibration.FloatModel, preprocessing);
        var localRun = new QuantizationAnalysis.Recorder(local, preprocessing);
        foreach (var sample in samples)
        {
            var reference = floatRun.Run(sample, null);
            var values = localRun.Run(sample, referenceInputs.ToDictionary(kv => kv.Key, kv => reference[kv.Value], StringComparer.Ordinal));
            foreach (var (name, floatOutput, localOutput, axis) in targets)
            {
                if (!reference.TryGetValue(floatOutput, out var expected) || !values.TryGetValue(localOutput, out var actual) || actual.Length != expected.Length) continue;
                var shape = expected.Shape;
                int channelAxis = axis < 0 ? shape.Length - 1 : axis;
                if (channelAxis >= shape.Length) continue;
                int channels = shape[channelAxis];
                int inner = shape.Skip(channelAxis + 1).Aggregate(1, (a, b) => a * b);
                if (!sums.TryGetValue(name, out var sum)) sums[name] = sum = new double[channels];
                if (sum.Length != channels) continue;
                var e = expected.As<float>();
                var q = actual.As<float>();
                for (int i = 0; i < e.Length; i++) sum[i / inner % channels] += q[i] - e[i];
                counts[name] = counts.GetValueOrDefault(name) + e.Length / channels;
            }
        }
        return sums.Where(kv => counts.GetValueOrDefault(kv.Key) > 0)
            .ToDictionary(kv => kv.Key, kv => kv.Value.Select(s => (float)(s / counts[kv.Key])).ToArray(), StringComparer.Ordinal);
    }
}
