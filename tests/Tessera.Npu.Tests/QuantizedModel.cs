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
        Cache.GetOrAdd(model, _ => new Lazy<QuantizedModel>(() => Quantize(model, preprocessing, images, null))).Value;

    /// <summary>As <see cref="Get"/>, with the model's inputs declared at fixed shapes before it is prepared (the
    /// optimizer then folds checks on them: Silero v5's If nodes on the input's rank and batch).</summary>
    public static QuantizedModel GetAtShapes(string model, Preprocessing preprocessing, IReadOnlyDictionary<string, int[]> shapes, params string[] images) =>
        Cache.GetOrAdd(model + " at fixed shapes", _ => new Lazy<QuantizedModel>(() => Quantize(model, preprocessing, images, shapes))).Value;

    private static QuantizedModel Quantize(string model, Preprocessing preprocessing, string[] images, IReadOnlyDictionary<string, int[]>? shapes)
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
            var floatModel = OnnxImporter.Load(TestAssets.Model(model));
            foreach (var input in floatModel.Graph.Inputs.Where(v => shapes is not null && shapes.ContainsKey(v.Name)))
            {
                input.Type = new TensorType(input.TensorType?.ElementType ?? DataType.Float32, TensorShape.FromConcrete(shapes![input.Name]));
            }
            var calibration = Quantizer.Calibrate(floatModel, m => CalibrationData.Read(folder, m, preprocessing, 4), preprocessing, optimize: true, equalize: shapes is null);
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
