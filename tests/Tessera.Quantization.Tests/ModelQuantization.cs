using Tessera.Core;
using Tessera.Onnx;
using Tessera.Quantization;
using Tessera.Testing;

namespace Tessera.Quantization.Tests;

/// <summary>Quantizes a real model end to end the way `tessera quantize` does and compares it with its
/// float model on the calibration data.</summary>
internal sealed record ModelQuantization(Calibration Calibration, Model Quantized, QuantizationReport Report, IReadOnlyList<CalibrationSample> Samples, Preprocessing Preset)
{
    public static ModelQuantization Run(string model, string preset, string dataFolder, QuantizationOptions? options = null, int maxSamples = 16, bool equalize = true)
    {
        var path = model.EndsWith(".onnx", StringComparison.Ordinal) ? model : TestAssets.Model(model);
        var preprocessing = PreprocessingPresets.Get(preset);
        var floatModel = OnnxImporter.Load(path);
        var calibration = Quantizer.Calibrate(floatModel, m => CalibrationData.Read(dataFolder, m, preprocessing, maxSamples), preprocessing, optimize: true, equalize: equalize);
        var (quantized, report) = Quantizer.Rewrite(calibration, options ?? new QuantizationOptions());
        var samples = CalibrationData.Read(dataFolder, calibration.FloatModel, preprocessing, maxSamples).ToList();
        return new ModelQuantization(calibration, quantized, report, samples, preprocessing);
    }

    /// <summary>Largest |difference| between ONNX Runtime and Tessera's reference backend running the same
    /// QDQ file on the first sample, over all outputs, relative to the largest |output value|.</summary>
    public (double MaxDifference, double MaxValue, double Cosine) OrtAgreement()
    {
        var bytes = OnnxExporter.ToBytes(Quantized);
        var reloaded = OnnxImporter.Load(bytes, "qdq");
        var inputs = new SampleFeeder(reloaded, Preset).Inputs(Samples[0]);
        var tessera = new Tessera.Runtime.InferenceSession(reloaded).Run(inputs);
        var ort = OrtBridge.Run(bytes, inputs.ToDictionary(kv => kv.Key, kv => (Tensor)kv.Value));
        double difference = 0, largest = 0;
        var cosine = new ErrorMetrics();
        foreach (var (name, value) in ort)
        {
            cosine.Add(((Tensor)tessera[name]).ToFloatArray(), value.ToFloatArray());
            var expected = ((Tensor)tessera[name]).ToDoubleArray();
            var actual = value.ToDoubleArray();
            for (int i = 0; i < expected.Length; i++)
            {
                difference = System.Math.Max(difference, System.Math.Abs(expected[i] - actual[i]));
                largest = System.Math.Max(largest, System.Math.Abs(expected[i]));
            }
        }
        return (difference, largest, cosine.Cosine);
    }

    public AnalysisResult Analyze() => QuantizationAnalysis.Compare(Calibration.FloatModel, Quantized, Samples, Preset);

    /// <summary>A fresh folder holding copies of some test images (calibration reads every image of a folder).
    /// Each call gets its own folder: tests run in parallel, and rewriting a file another test is reading races.</summary>
    public static string ImageFolder(params string[] names) => CopyInto(names, TestAssets.Image);

    public static string AudioFolder(params string[] names) => CopyInto(names, TestAssets.Audio);

    private static string CopyInto(string[] names, Func<string, string> locate)
    {
        var folder = Path.Combine(Path.GetTempPath(), "tessera-quant-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var name in names) File.Copy(locate(name), Path.Combine(folder, name));
        return folder;
    }
}
