using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using Tessera.Onnx;
using Tessera.Testing;
using Tensor = Tessera.Core.Tensor;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;

namespace Tessera.Passes.Tests;

/// <summary>ONNX Runtime (test-only) as the numerical reference, with Tessera tensors in and out; also
/// the source of concrete intermediate shapes while the operator library lacks their type rules.</summary>
public static class OrtRunner
{
    public static Dictionary<string, Tensor> Run(byte[] model, IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyList<string>? outputs = null)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
        options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        using var session = new OrtSession(model, options);
        var names = inputs.Keys.Where(session.InputNames.Contains).ToArray();
        var values = names.Select(n => ToOrt(inputs[n])).ToArray();
        try
        {
            var outputNames = (outputs ?? session.OutputNames).ToArray();
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, outputNames);
            var dict = new Dictionary<string, Tensor>();
            for (int i = 0; i < outputNames.Length; i++)
            {
                if (results[i].IsTensor) dict[outputNames[i]] = FromOrt(results[i]);
            }
            return dict;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>Runs the model with every main-graph node output exposed and writes the observed element
    /// types and shapes into the IR's value types.</summary>
    public static void AnnotateShapes(Model model, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var graph = model.Graph;
        var original = graph.Outputs.ToList();
        var extra = graph.Nodes.SelectMany(n => n.Outputs).Where(o => o is not null && !original.Contains(o)).Select(o => o!).Distinct().ToList();
        graph.Outputs.AddRange(extra);
        var valueInfo = graph.ValueInfo.ToList();
        graph.ValueInfo.Clear();
        Dictionary<string, Tensor> results;
        try
        {
            results = Run(OnnxExporter.ToBytes(model), inputs);
        }
        finally
        {
            graph.Outputs.Clear();
            graph.Outputs.AddRange(original);
            graph.ValueInfo.AddRange(valueInfo);
        }
        foreach (var value in extra.Concat(original).Concat(graph.Inputs))
        {
            if (results.TryGetValue(value.Name, out var t) || inputs.TryGetValue(value.Name, out t))
            {
                value.Type = new TensorType(t.DataType, TensorShape.FromConcrete(t.Shape));
            }
        }
    }

    public static OrtValue ToOrt(Tensor tensor) => OrtBridge.ToOrt(tensor);

    public static Tensor FromOrt(OrtValue value) => OrtBridge.FromOrt(value);

    /// <summary>A synthetic printed page for the OCR models (normalized as PaddleOCR does): white paper with
    /// dark glyph-sized blocks on text lines, so the detector and recognizer see text-like structure and
    /// their outputs are not all near zero as they are for noise.</summary>
    public static Tensor TextPage(int[] shape, Random random)
    {
        int channels = shape[1], height = shape[2], width = shape[3];
        double[] mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
        var ink = new bool[height, width];
        int lineHeight = Math.Max(8, Math.Min(height / 2, 24));
        for (int top = lineHeight / 2; top + lineHeight <= height; top += lineHeight * 2)
        {
            int x = random.Next(4, 16);
            while (x < width - 8)
            {
                int glyph = random.Next(lineHeight / 2, lineHeight);
                for (int y = top; y < top + lineHeight * 3 / 4; y++)
                {
                    for (int dx = 0; dx < glyph && x + dx < width; dx++) ink[y, x + dx] = random.Next(3) != 0;
                }
                x += glyph + random.Next(2, lineHeight / 2);
            }
        }
        var values = new double[ShapeMath.ElementCount(shape)];
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    double pixel = ink[y, x] ? 0.1 : 0.95;
                    values[(c * height + y) * width + x] = (pixel - mean[c % 3]) / std[c % 3];
                }
            }
        }
        return Tensor.FromDoubles(DataType.Float32, shape, values);
    }

    /// <summary>Deterministic inputs for a model: images in [0,1), audio in [-1,1), sample rate 16000, zero states.</summary>
    public static Dictionary<string, Tensor> Inputs(Model model, IReadOnlyDictionary<string, int[]> shapes, int seed = 7)
    {
        var random = new Random(seed);
        var inputs = new Dictionary<string, Tensor>();
        foreach (var input in model.Graph.Inputs.Where(v => v.Constant is null))
        {
            var type = (TensorType)input.Type!;
            var shape = shapes.TryGetValue(input.Name, out var s) ? s
                : type.Shape!.Dims.Select(d => d.IsKnown ? (int)d.Value : 1).ToArray();
            if (type.ElementType == DataType.Int64)
            {
                inputs[input.Name] = Tensor.FromInt64s(DataType.Int64, shape, Enumerable.Repeat(16000L, (int)ShapeMath.ElementCount(shape)).ToArray());
                continue;
            }
            if (input.Name == "x" && shape.Length == 4)
            {
                inputs[input.Name] = TextPage(shape, random);
                continue;
            }
            bool state = input.Name is "state" or "h" or "c";
            bool audio = input.Name == "input";
            var values = new double[ShapeMath.ElementCount(shape)];
            for (int i = 0; i < values.Length; i++) values[i] = state ? 0 : audio ? random.NextDouble() * 2 - 1 : random.NextDouble();
            inputs[input.Name] = Tensor.FromDoubles(type.ElementType, shape, values);
        }
        return inputs;
    }
}
