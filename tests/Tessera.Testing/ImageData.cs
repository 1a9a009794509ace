using StbImageSharp;
using Tessera.Core;

namespace Tessera.Testing;

/// <summary>Decoded RGB images and the plain preprocessing the test models expect.</summary>
public sealed class ImageData(int width, int height, byte[] rgb)
{
    public int Width { get; } = width;

    public int Height { get; } = height;

    /// <summary>Interleaved 8-bit RGB, row-major.</summary>
    public byte[] Rgb { get; } = rgb;

    public static ImageData Load(string path)
    {
        using var stream = System.IO.File.OpenRead(path);
        var image = ImageResult.FromStream(stream, ColorComponents.RedGreenBlue);
        return new ImageData(image.Width, image.Height, image.Data);
    }

    /// <summary>Bilinear resize (half-pixel centres).</summary>
    public ImageData Resize(int width, int height)
    {
        var result = new byte[width * height * 3];
        double sx = (double)Width / width, sy = (double)Height / height;
        for (int y = 0; y < height; y++)
        {
            double fy = Math.Clamp((y + 0.5) * sy - 0.5, 0, Height - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, Height - 1);
            double wy = fy - y0;
            for (int x = 0; x < width; x++)
            {
                double fx = Math.Clamp((x + 0.5) * sx - 0.5, 0, Width - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, Width - 1);
                double wx = fx - x0;
                for (int c = 0; c < 3; c++)
                {
                    double top = Rgb[(y0 * Width + x0) * 3 + c] * (1 - wx) + Rgb[(y0 * Width + x1) * 3 + c] * wx;
                    double bottom = Rgb[(y1 * Width + x0) * 3 + c] * (1 - wx) + Rgb[(y1 * Width + x1) * 3 + c] * wx;
                    result[(y * width + x) * 3 + c] = (byte)Math.Round(top * (1 - wy) + bottom * wy);
                }
            }
        }
        return new ImageData(width, height, result);
    }

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
