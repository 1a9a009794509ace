using StbImageSharp;
using StbImageWriteSharp;
using Tessera.Media;

namespace Tessera.Augment.Image;

/// <summary>Photometric image transforms: colour jitter, noise, blur, JPEG re-compression. Pure functions of
/// their arguments (noise takes the <see cref="Random"/> it draws from).</summary>
public static class ImageColor
{
    /// <summary>Brightness and contrast are factors (1 = unchanged); saturation scales HSV saturation;
    /// hue shifts HSV hue by a fraction of a full turn. Applied in that order.</summary>
    public static RgbImage Jitter(RgbImage image, double brightness, double contrast, double saturation, double hue)
    {
        var pixels = image.Pixels;
        int count = image.Width * image.Height;
        var values = new double[pixels.Length];
        for (int i = 0; i < values.Length; i++) values[i] = pixels[i] / 255.0 * brightness;
        if (contrast != 1)
        {
            // Contrast pulls towards the mean luma (ITU-R BT.601 weights) so overall brightness is kept.
            double mean = 0;
            for (int i = 0; i < count; i++) mean += Luma(System.Math.Min(values[i * 3], 1), System.Math.Min(values[i * 3 + 1], 1), System.Math.Min(values[i * 3 + 2], 1));
            mean /= count;
            for (int i = 0; i < values.Length; i++) values[i] = mean + contrast * (System.Math.Min(values[i], 1) - mean);
        }
        var result = new byte[pixels.Length];
        bool colour = saturation != 1 || hue != 0;
        for (int i = 0; i < count; i++)
        {
            double red = System.Math.Clamp(values[i * 3], 0, 1), green = System.Math.Clamp(values[i * 3 + 1], 0, 1), blue = System.Math.Clamp(values[i * 3 + 2], 0, 1);
            if (colour)
            {
                var (h, s, v) = ToHsv(red, green, blue);
                h = (h + hue) % 1;
                if (h < 0) h += 1;
                (red, green, blue) = FromHsv(h, System.Math.Clamp(s * saturation, 0, 1), v);
            }
            result[i * 3] = ImageGeometry.ToByte(red * 255);
            result[i * 3 + 1] = ImageGeometry.ToByte(green * 255);
            result[i * 3 + 2] = ImageGeometry.ToByte(blue * 255);
        }
        return new RgbImage(image.Width, image.Height, result);
    }

    /// <summary>Adds independent Gaussian noise to every channel; <paramref name="sigma"/> is a fraction of full scale.</summary>
    public static RgbImage AddGaussianNoise(RgbImage image, double sigma, Random random)
    {
        var result = new byte[image.Pixels.Length];
        for (int i = 0; i < result.Length; i++) result[i] = ImageGeometry.ToByte(image.Pixels[i] + 255 * sigma * Gaussian.Next(random));
        return new RgbImage(image.Width, image.Height, result);
    }

    /// <summary>Separable Gaussian blur (a horizontal then a vertical pass with a kernel of radius ceil(3 sigma)),
    /// edges clamped. sigma is in pixels; 0 returns a copy.</summary>
    public static RgbImage GaussianBlur(RgbImage image, double sigma)
    {
        if (sigma <= 0) return image.Clone();
        int radius = System.Math.Max(1, (int)System.Math.Ceiling(3 * sigma));
        var kernel = new double[2 * radius + 1];
        double total = 0;
        for (int i = -radius; i <= radius; i++) total += kernel[i + radius] = System.Math.Exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < kernel.Length; i++) kernel[i] /= total;
        int width = image.Width, height = image.Height;
        var horizontal = new double[image.Pixels.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] * image.Pixels[(y * width + System.Math.Clamp(x + k, 0, width - 1)) * 3 + c];
                    horizontal[(y * width + x) * 3 + c] = sum;
                }
            }
        }
        var result = new byte[image.Pixels.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] * horizontal[(System.Math.Clamp(y + k, 0, height - 1) * width + x) * 3 + c];
                    result[(y * width + x) * 3 + c] = ImageGeometry.ToByte(sum);
                }
            }
        }
        return new RgbImage(width, height, result);
    }

    /// <summary>Encodes as baseline JPEG at <paramref name="quality"/> (1..100) with StbImageWriteSharp and decodes
    /// it back with StbImageSharp: the block and ringing artefacts a camera or a web upload leaves.</summary>
    public static RgbImage JpegRoundTrip(RgbImage image, int quality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(image.Pixels, image.Width, image.Height, StbImageWriteSharp.ColorComponents.RedGreenBlue, stream, quality);
        var decoded = ImageResult.FromMemory(stream.ToArray(), StbImageSharp.ColorComponents.RedGreenBlue);
        return new RgbImage(decoded.Width, decoded.Height, decoded.Data);
    }

    private static double Luma(double red, double green, double blue) => 0.299 * red + 0.587 * green + 0.114 * blue;

    /// <summary>RGB in [0,1] to hue (fraction of a turn), saturation, value.</summary>
    internal static (double H, double S, double V) ToHsv(double red, double green, double blue)
    {
        double max = System.Math.Max(red, System.Math.Max(green, blue)), min = System.Math.Min(red, System.Math.Min(green, blue));
        double delta = max - min;
        double hue = 0;
        if (delta > 0)
        {
            if (max == red) hue = (green - blue) / delta;
            else if (max == green) hue = 2 + (blue - red) / delta;
            else hue = 4 + (red - green) / delta;
            hue /= 6;
            if (hue < 0) hue += 1;
        }
        return (hue, max > 0 ? delta / max : 0, max);
    }

    internal static (double R, double G, double B) FromHsv(double hue, double saturation, double value)
    {
        double sector = hue * 6;
        int index = (int)System.Math.Floor(sector) % 6;
        double fraction = sector - System.Math.Floor(sector);
        double p = value * (1 - saturation), q = value * (1 - saturation * fraction), t = value * (1 - saturation * (1 - fraction));
        return index switch
        {
            0 => (value, t, p),
            1 => (q, value, p),
            2 => (p, value, t),
            3 => (p, q, value),
            4 => (t, p, value),
            _ => (value, p, q),
        };
    }
}
