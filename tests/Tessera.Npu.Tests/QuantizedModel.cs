using System.Collections.Concurrent;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Onnx;
using Tessera.Quantization;
using Tessera.Testing;

namespace Tessera.Npu.Tests;

/// <summary>A real model quantized by the project's quantizer (calibrated on test images, optimizer on, as
/// `tessera quantize` does), lowered to its integer program; one per model per test process, because
/// calibration is the slow part.</summary>
internal sealed record QuantizedModel(string Name, byte[] OnnxBytes, IntegerProgram Program)
{
    private static readonly ConcurrentDictionary<string, Lazy<QuantizedModel>> Cache = new();

    public static QuantizedModel Get(string model, Preprocessing preprocessing, params string[] images) =>
        Cache.GetOrAdd(model, _ => new Lazy<QuantizedModel>(() => Quantize(model, TestAssets.Model(model), preprocessing, images, null, equalize: true))).Value;

    /// <summary>As <see cref="Get(string, Preprocessing, string[])"/> for a model file (SqueezeNet 1.1 ships in
    /// tests/assets), with the graph inputs declared at the concrete <paramref name="shapes"/> before
    /// quantization, as a deployment fixes them: Silero v5 tests its state's batch size with an <c>If</c>, which
    /// folds away only when that size is known; SqueezeNet declares 224x224 and runs here at a smaller size.</summary>
    public static QuantizedModel Get(string model, string path, IReadOnlyDictionary<string, int[]> shapes, Preprocessing preprocessing, params string[] images) =>
        Cache.GetOrAdd(model, _ => new Lazy<QuantizedModel>(() => Quantize(model, path, preprocessing, images, shapes, equalize: true))).Value;

    /// <summary>As <see cref="Get(string, Preprocessing, string[])"/>, with the model's inputs declared at fixed shapes
    /// before it is prepared (the optimizer then folds checks on them: Silero v5's If nodes on the input's rank and
    /// batch), without cross-layer equalization (the VAD application's setting).</summary>
    public static QuantizedModel GetAtShapes(string model, Preprocessing preprocessing, IReadOnlyDictionary<string, int[]> shapes, params string[] images) =>
        GetAtShapes(model, preprocessing, shapes, expandLstm: false, images);

    /// <summary>As above; with <paramref name="expandLstm"/> the LSTMs are expanded into standard ops before
    /// calibration (<see cref="Passes.ExpandLstm"/>, as `tessera compile --calibration` does), so they are quantized
    /// and can run on the NPU instead of staying float islands.</summary>
    public static QuantizedModel GetAtShapes(string model, Preprocessing preprocessing, IReadOnlyDictionary<string, int[]> shapes, bool expandLstm, params string[] images) =>
        GetAtShapes(model, preprocessing, shapes, expandLstm, 4, images);

    /// <summary>As above with at most <paramref name="samples"/> calibration runs (audio: frames in order, an equal
    /// share per file).</summary>
    public static QuantizedModel GetAtShapes(string model, Preprocessing preprocessing, IReadOnlyDictionary<string, int[]> shapes, bool expandLstm, int samples, params string[] images) =>
        Cache.GetOrAdd($"{model} at fixed shapes{(expandLstm ? ", LSTM expanded" : "")}, {samples} samples of {string.Join(",", images)}",
            _ => new Lazy<QuantizedModel>(() => Quantize(model, TestAssets.Model(model), preprocessing, images, shapes, equalize: false, expandLstm, samples))).Value;

    private static QuantizedModel Quantize(string model, string path, Preprocessing preprocessing, string[] images, IReadOnlyDictionary<string, int[]>? shapes, bool equalize, bool expandLstm = false, int samples = 4)
    {
        var folder = Path.Combine(Path.GetTempPath(), "tessera-npu-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var file in images)
            {
                var source = file.EndsWith(".wav", StringComparison.Ordinal) ? TestAssets.Audio(file) : TestAssets.Image(file);
                File.Copy(source, Path.Combine(folder, file));
            }
            var floatModel = OnnxImporter.Load(path);
            foreach (var input in floatModel.Graph.Inputs)
            {
                if (shapes is not null && shapes.TryGetValue(input.Name, out var shape))
                {
                    input.Type = new TensorType(input.TensorType?.ElementType ?? DataType.Float32, TensorShape.FromConcrete(shape));
                }
            }
            var calibration = Quantizer.Calibrate(floatModel, m => CalibrationData.Read(folder, m, preprocessing, samples), preprocessing, optimize: true, equalize: equalize, expandLstm: expandLstm);
            var (quantized, _) = Quantizer.Rewrite(calibration, new QuantizationOptions());
            var bytes = OnnxExporter.ToBytes(quantized);
            return new QuantizedModel(model, bytes, IntegerLowering.Lower(OnnxImporter.Load(bytes, model)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Partitions for a configuration at the shapes of <paramref name="inputs"/>.</summary>
    public ModelPartition Partition(string configuration, IReadOnlyDictionary<string, Tensor> inputs, bool exposeAll = true)
    {
        var values = ProgramValues.Probe(Program, inputs);
        return Partitioner.Partition(Program, values, NpuSpecLoader.Load(configuration), exposeAll);
    }
}
