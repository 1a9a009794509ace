using Tessera.Core;

namespace Tessera.Testing;

/// <summary>The real inputs the ASSETS.md image models are checked on, preprocessed as each model expects, so
/// every backend's test feeds exactly the same tensors.</summary>
public static class RealModelInputs
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    private static readonly float[] HalfMean = [0.5f, 0.5f, 0.5f];

    /// <summary>PP-OCR det: the text page resized to width x height, ImageNet-normalized NCHW.</summary>
    public static Dictionary<string, Tensor> Detection(int width, int height) =>
        new() { ["x"] = ImageData.Load(TestAssets.Image("imageTextN.png")).Resize(width, height).ToNchw(ImageNetMean, ImageNetStd) };

    /// <summary>PP-OCR rec (48 x 320) and cls (48 x 192): a text image scaled to [-1, 1], NCHW.</summary>
    public static Dictionary<string, Tensor> TextLine(int width) =>
        new() { ["x"] = ImageData.Load(TestAssets.Image("text.png")).Resize(width, 48).ToNchw(HalfMean, HalfMean) };

    /// <summary>BlazeFace: astronaut.png resized to size x size, NHWC in [-1, 1].</summary>
    public static Dictionary<string, Tensor> BlazeFace(int size) =>
        new() { ["input:0"] = ImageData.Load(TestAssets.Image("astronaut.png")).Resize(size, size).ToNhwcSigned() };
}
