using Tessera.Media;
using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Apps;

/// <summary>One class of a classifier's answer.</summary>
public sealed record Prediction(int Index, string Label, double Probability);

/// <summary>How an image becomes the classifier's input tensor.</summary>
/// <param name="KeepAspect">Resize to the input height keeping the aspect ratio (width at most
/// <paramref name="Width"/>) and fill the rest with zeros after normalization, as PaddleOCR does; squashing a
/// short word to the full width would distort its letters.</param>
public sealed record ClassifierPreprocessing(int Width, int Height, float[] Mean, float[] Std, bool KeepAspect = false)
{
    /// <summary>ImageNet statistics at 224x224, what most ONNX classifiers expect.</summary>
    public static readonly ClassifierPreprocessing ImageNet = new(224, 224, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>PaddleOCR's text orientation classifier: 192x48, (x/255 - 0.5) / 0.5.</summary>
    public static readonly ClassifierPreprocessing PaddleText = new(192, 48, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], KeepAspect: true);

    public Tensor Apply(RgbImage image)
    {
        if (!KeepAspect) return image.Resize(Width, Height).ToNchw(Mean, Std);
        int width = Math.Clamp((int)Math.Ceiling(Height * (double)image.Width / image.Height), 1, Width);
        var resized = image.Resize(width, Height).ToNchw(Mean, Std).As<float>();
        var data = new float[3 * Height * Width];
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < Height; y++) Array.Copy(resized, (c * Height + y) * width, data, (c * Height + y) * Width, width);
        }
        return Tensor.Create([1, 3, Height, Width], data);
    }
}

/// <summary>Any ONNX classifier with one NCHW image input and one [1, classes] output: resize, normalize,
/// run, and rank the classes. The output is treated as probabilities when it already sums to one and
/// passed through softmax otherwise (logits).</summary>
public sealed class ImageClassifier
{
    private readonly AppModel _session;

    /// <param name="npu">On the npu backend: the configuration and the images the model is calibrated on
    /// (through <paramref name="preprocessing"/>).</param>
    /// <summary>The model as the classifier runs it (an <see cref="NpuAppModel"/> on the npu backend).</summary>
    public AppModel Model => _session;

    public ImageClassifier(string model, IReadOnlyList<string> labels, ClassifierPreprocessing preprocessing, string backend = "reference", NpuTarget? npu = null)
        : this(model, labels, preprocessing, backend, npu, AppBackend.CalibrationImages)
    {
    }

    /// <param name="calibrationImages">The images the NPU model is calibrated on (OCR gives text-line crops).</param>
    internal ImageClassifier(string model, IReadOnlyList<string> labels, ClassifierPreprocessing preprocessing, string backend, NpuTarget? npu,
        Func<NpuTarget, IEnumerable<(string File, RgbImage Image)>> calibrationImages)
    {
        _session = AppBackend.Open(model, backend, npu, (m, t) => NpuAppModel.Create(model, m, t, _ => calibrationImages(t)
            .Select(p => new Quantization.CalibrationSample(new Dictionary<string, Tensor> { [m.Graph.Inputs.First(v => v.Constant is null).Name] = preprocessing.Apply(p.Image) }, true, p.File))));
        if (_session.Inputs.Count != 1)
        {
            throw new UnsupportedException($"'{model}' has {_session.Inputs.Count} inputs; classify needs a model with one image input", model, null);
        }
        Labels = labels;
        Preprocessing = preprocessing;
    }

    public IReadOnlyList<string> Labels { get; }

    public ClassifierPreprocessing Preprocessing { get; }

    public static IReadOnlyList<string> ReadLabels(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"labels file '{path}' does not exist", "--labels", "give a text file with one label per line");
        return File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
    }

    public IReadOnlyList<Prediction> Classify(RgbImage image, int top)
    {
        var input = Preprocessing.Apply(image);
        var outputs = _session.Run(new Dictionary<string, DataValue> { [_session.Inputs[0].Name] = input });
        var scores = AppBackend.Output(outputs, _session.Outputs[0].Name);
        int classes = scores.Length;
        if (classes != Labels.Count)
        {
            throw new InvalidInputException($"the model gives {classes} classes but the labels file has {Labels.Count} lines", "--labels",
                "give one label per class, in the model's order");
        }
        var values = Enumerable.Range(0, classes).Select(scores.GetDouble).ToArray();
        bool isDistribution = values.All(v => v >= 0) && Math.Abs(values.Sum() - 1) < 1e-3;
        if (!isDistribution)
        {
            double max = values.Max();
            var exponentials = values.Select(v => Math.Exp(v - max)).ToArray();
            double sum = exponentials.Sum();
            values = exponentials.Select(e => e / sum).ToArray();
        }
        return values.Select((p, i) => new Prediction(i, Labels[i], p))
            .OrderByDescending(p => p.Probability).ThenBy(p => p.Index)
            .Take(Math.Max(1, top)).ToList();
    }
}
