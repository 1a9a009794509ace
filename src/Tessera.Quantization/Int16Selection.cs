using Tessera.Core;

namespace Tessera.Quantization;

/// <summary>Chooses the activations to quantize to int16 (<see cref="QuantizationOptions.Int16Tensors"/>): the
/// <c>count</c> tensors with the lowest local SNR in <see cref="QuantizationAnalysis"/> (each layer's own
/// quantization on the float model's inputs), i.e. where one int8 range serves the tensor's values worst. Unlike
/// float fallback, every layer stays quantized (int8 weights, MACs counted as int8 x int16) and the choice costs one
/// analysis run, not a search.</summary>
public static class Int16Selection
{
    public static IReadOnlyList<string> Worst(Calibration calibration, QuantizationOptions options, IReadOnlyList<CalibrationSample> samples, Preprocessing? preprocessing, int count)
    {
        if (count <= 0) return [];
        var (qdq, _) = Quantizer.Rewrite(calibration, options with { Int16Tensors = new HashSet<string>(StringComparer.Ordinal) });
        var analysis = QuantizationAnalysis.Compare(calibration.FloatModel, qdq, samples, preprocessing);
        return analysis.Layers.Where(l => l.Local is { Count: > 0 }).OrderBy(l => l.Local!.SnrDb).Select(l => l.Tensor).Distinct(StringComparer.Ordinal).Take(count).ToList();
    }
}
