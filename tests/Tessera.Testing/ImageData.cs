using Tessera.Media;
using Tessera.Core;

namespace Tessera.Testing;

/// <summary>Decoded RGB images and the plain preprocessing the test models expect.</summary>
public sealed class ImageData(int width, int height, byte[] rgb)
{
    public int Width { get; } = width;

    public int Height { get; } = height;

    /// <summary>Interleaved 8-bit RGB, row-major.</summary>
    public byte[] Rgb { get; } = rgb;

    public static ImageData Load(string path) => From(RgbImage.Load(path));

    /// <summary>Bilinear resize with half-pixel centres: the applications' own resize, so tests feed models
    /// exactly what the apps do.</summary>
    public ImageData Resize(int width, int height) => From(new RgbImage(Width, Height, Rgb).Resize(width, height));

    private static ImageData From(RgbImage image) => new(image.Width, image.Height, image.Pixels);

    /// <summary>float32 [1,3,H,W]: (pixel/255 - mean[c]) / std[c].</summary>
    public Tensor ToNchw(float[] mean, float[] std)
    {
        var data = new float[3 * Width * Height];
        int plane = Width * Height;
        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 3; c++) data[c * plane + i] = (Rgb[i * 3 + c] / 255f - mean[c]) / std[c];
        }
        return Tensor.Create([1, 3, Height, Width], data);
    }

    /// <summary>float32 [1,H,W,3] scaled to [-1, 1].</summary>
    public Tensor ToNhwcSigned()
    {
        var data = new float[Rgb.Length];
        for (int i = 0; i < data.Length; i++) data[i] = Rgb[i] / 127.5f - 1f;
        return Tensor.Create([1, Height, Width, 3], data);
    }
}
