using StbImageSharp;
using StbImageWriteSharp;
using Tessera.Core;

namespace Tessera.Media;

/// <summary>An 8-bit RGB image, row-major and interleaved. Decoding (PNG, JPEG, BMP, ...) goes through
/// StbImageSharp and PNG encoding through StbImageWriteSharp, so no codec is written by hand here.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0 || pixels.Length != width * height * 3)
        {
            throw new ArgumentException($"{width}x{height} RGB needs {width * height * 3} bytes, got {pixels.Length}");
        }
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Interleaved R, G, B bytes.</summary>
    public byte[] Pixels { get; }

    public static RgbImage Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"image '{path}' does not exist", path, "give the path of a PNG, JPEG or BMP file");
        try
        {
            using var stream = File.OpenRead(path);
            var image = ImageResult.FromStream(stream, StbImageSharp.ColorComponents.RedGreenBlue);
            return new RgbImage(image.Width, image.Height, image.Data);
        }
        // StbImageSharp reports bad data with plain Exception (sometimes with a blank message).
        catch (Exception error) when (error is not TesseraException and not IOException and not OutOfMemoryException)
        {
            var reason = string.IsNullOrWhiteSpace(error.Message) ? "corrupt or truncated data" : error.Message.Trim();
            throw new InvalidInputException($"'{path}' is not a readable image: {reason}", path, "give a PNG, JPEG or BMP file");
        }
    }

    public void SavePng(string path) =>
        AtomicFile.Write(path, stream => new ImageWriter().WritePng(Pixels, Width, Height, StbImageWriteSharp.ColorComponents.RedGreenBlue, stream));

    public RgbImage Clone() => new(Width, Height, (byte[])Pixels.Clone());

    /// <summary>Bilinear resize with half-pixel centres (what cv2.resize and TF's resize do).</summary>
    public RgbImage Resize(int width, int height)
    {
        var result = new byte[width * height * 3];
        double scaleX = (double)Width / width, scaleY = (double)Height / height;
        for (int y = 0; y < height; y++)
        {
            double sourceY = Math.Clamp((y + 0.5) * scaleY - 0.5, 0, Height - 1);
            int y0 = (int)sourceY, y1 = Math.Min(y0 + 1, Height - 1);
            double weightY = sourceY - y0;
            for (int x = 0; x < width; x++)
            {
                double sourceX = Math.Clamp((x + 0.5) * scaleX - 0.5, 0, Width - 1);
                int x0 = (int)sourceX, x1 = Math.Min(x0 + 1, Width - 1);
                double weightX = sourceX - x0;
                for (int c = 0; c < 3; c++)
                {
                    double top = Pixels[(y0 * Width + x0) * 3 + c] * (1 - weightX) + Pixels[(y0 * Width + x1) * 3 + c] * weightX;
                    double bottom = Pixels[(y1 * Width + x0) * 3 + c] * (1 - weightX) + Pixels[(y1 * Width + x1) * 3 + c] * weightX;
                    result[(y * width + x) * 3 + c] = (byte)Math.Round(top * (1 - weightY) + bottom * weightY);
                }
            }
        }
        return new RgbImage(width, height, result);
    }

    /// <summary>Pads the shorter side with black so the image becomes square and centred; detectors trained on
    /// square inputs see undistorted faces. Returns the padding added on the left and top.</summary>
    public (RgbImage Square, int PadLeft, int PadTop) PadToSquare()
    {
        int side = Math.Max(Width, Height);
        int left = (side - Width) / 2, top = (side - Height) / 2;
        var result = new byte[side * side * 3];
        for (int y = 0; y < Height; y++)
        {
            Array.Copy(Pixels, y * Width * 3, result, ((y + top) * side + left) * 3, Width * 3);
        }
        return (new RgbImage(side, side, result), left, top);
    }

    /// <summary>Rotates by 180 degrees (what an upside-down scan looks like).</summary>
    public RgbImage Rotate180()
    {
        var result = new byte[Pixels.Length];
        int count = Width * Height;
        for (int i = 0; i < count; i++)
        {
            int j = count - 1 - i;
            result[j * 3] = Pixels[i * 3];
            result[j * 3 + 1] = Pixels[i * 3 + 1];
            result[j * 3 + 2] = Pixels[i * 3 + 2];
        }
        return new RgbImage(Width, Height, result);
    }

    public void SetPixel(int x, int y, byte red, byte green, byte blue)
    {
        if (x < 0 || y < 0 || x >= Width || y >= Height) return;
        int i = (y * Width + x) * 3;
        Pixels[i] = red;
        Pixels[i + 1] = green;
        Pixels[i + 2] = blue;
    }

    /// <summary>Outline of an axis-aligned rectangle, <paramref name="thickness"/> pixels wide, clipped to the image.</summary>
    public void DrawRectangle(double left, double top, double right, double bottom, (byte R, byte G, byte B) color, int thickness = 2)
    {
        int x0 = (int)Math.Round(left), y0 = (int)Math.Round(top), x1 = (int)Math.Round(right), y1 = (int)Math.Round(bottom);
        for (int t = 0; t < thickness; t++)
        {
            for (int x = x0; x <= x1; x++)
            {
                SetPixel(x, y0 + t, color.R, color.G, color.B);
                SetPixel(x, y1 - t, color.R, color.G, color.B);
            }
            for (int y = y0; y <= y1; y++)
            {
                SetPixel(x0 + t, y, color.R, color.G, color.B);
                SetPixel(x1 - t, y, color.R, color.G, color.B);
            }
        }
    }

    public void DrawDot(double centerX, double centerY, int radius, (byte R, byte G, byte B) color)
    {
        int cx = (int)Math.Round(centerX), cy = (int)Math.Round(centerY);
        for (int dy = -radius; dy <= radius; dy++)
        {
            for (int dx = -radius; dx <= radius; dx++)
            {
                if (dx * dx + dy * dy <= radius * radius) SetPixel(cx + dx, cy + dy, color.R, color.G, color.B);
            }
        }
    }

    /// <summary>float32 [1,H,W,3] scaled to [-1, 1] (BlazeFace's input).</summary>
    public Tensor ToNhwcSigned()
    {
        var data = new float[Pixels.Length];
        for (int i = 0; i < data.Length; i++) data[i] = Pixels[i] / 127.5f - 1f;
        return Tensor.Create([1, Height, Width, 3], data);
    }

    /// <summary>float32 [1,3,H,W]: (pixel/255 - mean) / std per channel.</summary>
    public Tensor ToNchw(ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        int plane = Width * Height;
        var data = new float[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 3; c++) data[c * plane + i] = (Pixels[i * 3 + c] / 255f - mean[c]) / std[c];
        }
        return Tensor.Create([1, 3, Height, Width], data);
    }
}
