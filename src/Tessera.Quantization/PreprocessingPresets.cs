namespace Tessera.Quantization;

/// <summary>Preprocessing of the catalog models, so calibrating them needs no knowledge of their inputs.
/// The numbers are the models' own: PaddleOCR feeds BGR images, ImageNet statistics for detection and
/// (x/255 - 0.5)/0.5 for recognition and orientation at height 48; BlazeFace takes NHWC RGB in [-1, 1];
/// Silero VAD takes 512-sample frames at 16 kHz (v5 with 64 samples of context) and carries its state.</summary>
public static class PreprocessingPresets
{
    private static readonly float[] Half = [0.5f, 0.5f, 0.5f];

    public static readonly IReadOnlyDictionary<string, Preprocessing> All = new Dictionary<string, Preprocessing>(StringComparer.OrdinalIgnoreCase)
    {
        ["ppocr-det"] = new() { Input = "x", Width = 320, Height = 320, Channels = "BGR", Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] },
        ["ppocr-rec"] = new() { Input = "x", Width = 320, Height = 48, Channels = "BGR", Mean = Half, Std = Half, KeepAspect = true },
        ["ppocr-cls"] = new() { Input = "x", Width = 192, Height = 48, Channels = "BGR", Mean = Half, Std = Half, KeepAspect = true },
        ["blazeface-front"] = new() { Width = 128, Height = 128, Layout = "NHWC", Mean = Half, Std = Half },
        ["blazeface-back"] = new() { Width = 256, Height = 256, Layout = "NHWC", Mean = Half, Std = Half },
        ["silero-vad-v5"] = new()
        {
            Input = "input", FrameLength = 512, ContextLength = 64,
            State = new() { ["state"] = "stateN" }, Constants = new() { ["sr"] = 16000 },
        },
        ["silero-vad-legacy"] = new()
        {
            Input = "input", FrameLength = 512,
            State = new() { ["h"] = "hn", ["c"] = "cn" }, Constants = new() { ["sr"] = 16000 },
        },
        // SqueezeNet 1.1 (the Windows ML export) takes raw 0-255 pixels, RGB, channel first.
        ["squeezenet"] = new() { Width = 224, Height = 224, Scale = 1 },
    };

    public static Preprocessing Get(string name) => All.TryGetValue(name, out var preset)
        ? preset
        : throw new Core.InvalidInputException($"no preprocessing preset '{name}'", "--preset", $"known presets: {string.Join(", ", All.Keys)}");
}
