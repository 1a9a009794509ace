using Tessera.Apps.Ocr;
using Tessera.Core;
using Tessera.Kernels.Cpu;
using Tessera.Media;
using Tessera.Onnx;
using Tessera.Runtime;
using Tessera.Testing;

namespace Tessera.Quantization.Tests;

/// <summary>The float PP-OCR cls and rec models and their QDQ models, quantized once per test class: calibrated
/// on the two shared text photos plus eight rendered lines of a seed the tests do not use (cls with percentile ranges,
/// 377 of 380 decisions as float, minmax 376;
/// rec with mse: on 200 padded lines entropy read nothing, minmax dropped spaces, 91.61% against float's 95.37%, mse 95.72%). Both run on the fast
/// "cpu" backend (the QDQ model's QuantizeLinear/DequantizeLinear on its reference kernels).</summary>
public sealed class OcrQuantizationFixture
{
    private const int CalibrationSeed = 991;

    static OcrQuantizationFixture() => CpuBackend.Register();

    private readonly Lazy<(InferenceSession Float, InferenceSession Quantized)> _classifier;
    private readonly Lazy<(InferenceSession Float, InferenceSession Quantized)> _recognizer;

    public OcrQuantizationFixture()
    {
        _classifier = new(() => Sessions("ppocr-cls", CalibrationMethod.Percentile, withTurned: false));
        _recognizer = new(() => Sessions("ppocr-rec", CalibrationMethod.Mse, withTurned: false));
        Decoder = CtcDecoder.FromDictionary(TestAssets.Model("ppocr-keys"));
    }

    public static Preprocessing Classification => PreprocessingPresets.Get("ppocr-cls");

    public static Preprocessing Recognition => PreprocessingPresets.Get("ppocr-rec");

    public CtcDecoder Decoder { get; }

    public (InferenceSession Float, InferenceSession Quantized) Classifier => _classifier.Value;

    public (InferenceSession Float, InferenceSession Quantized) Recognizer => _recognizer.Value;

    /// <summary>The recognizer's input for one line: height 48, width 48 * aspect (at most 320), normalized as the
    /// preset; with <paramref name="padded"/> zero-padded on the right to 320 (PaddleOCR's 3x48x320), else at its
    /// natural width.</summary>
    public static Tensor RecognitionInput(RgbImage line, bool padded)
    {
        var full = Recognition.ImageTensor(line);
        if (padded) return full;
        int width = System.Math.Clamp((int)System.Math.Ceiling(Recognition.Height * (double)line.Width / line.Height), 1, Recognition.Width);
        var source = full.ToFloatArray();
        var data = new float[3 * Recognition.Height * width];
        for (int row = 0; row < 3 * Recognition.Height; row++) Array.Copy(source, row * Recognition.Width, data, row * width, width);
        return Tensor.Create([1, 3, Recognition.Height, width], data);
    }

    /// <summary>The recognizer's reading of one line.</summary>
    public string Read(InferenceSession session, RgbImage line, bool padded)
    {
        var outputs = session.Run(new Dictionary<string, DataValue> { [session.Inputs[0].Name] = RecognitionInput(line, padded) });
        var output = (Tensor)outputs[session.Outputs[0].Name];
        return Decoder.Decode(output.ToFloatArray(), output.Shape[1]).Text;
    }

    /// <summary>The single output of <paramref name="session"/> for one image.</summary>
    public static Tensor Run(InferenceSession session, Preprocessing preprocessing, RgbImage image)
    {
        var outputs = session.Run(new Dictionary<string, DataValue> { [session.Inputs[0].Name] = preprocessing.ImageTensor(image) });
        return (Tensor)outputs[session.Outputs[0].Name];
    }

    /// <summary>With <paramref name="withTurned"/> every calibration image is also given turned by 180 degrees.
    /// Measured for the classifier: 373 of 380 same decisions with turned images, 376 without, so it is off.</summary>
    private static (InferenceSession, InferenceSession) Sessions(string model, CalibrationMethod method, bool withTurned)
    {
        var folder = ModelQuantization.ImageFolder("text.png", "imageTextN.png");
        var images = TextCrops.RenderedLines(8, CalibrationSeed, maxLength: 14).Select(l => l.Image)
            .Concat(new[] { "text.png", "imageTextN.png" }.Select(name => RgbImage.Load(TestAssets.Image(name)))).ToList();
        for (int i = 0; i < images.Count; i++)
        {
            if (i < 8) images[i].SavePng(Path.Combine(folder, $"rendered_{i}.png"));
            if (withTurned) images[i].Rotate180().SavePng(Path.Combine(folder, $"turned_{i}.png"));
        }
        var run = ModelQuantization.Run(model, model, folder, new QuantizationOptions { Method = method }, maxSamples: 24);
        var bytes = OnnxExporter.ToBytes(run.Quantized);
        var options = new SessionOptions { Backend = CpuBackend.Name };
        return (new InferenceSession(OnnxImporter.Load(TestAssets.Model(model)), options), new InferenceSession(OnnxImporter.Load(bytes, model + "-qdq"), options));
    }
}
