using Tessera.Media;

namespace Tessera.Augment.Image;

/// <summary>Geometric image transforms. Each is a pure function of its arguments; the random choices are
/// made by the callers (<see cref="ImageOperations"/>), so these can be tested and reused directly.</summary>
public static class ImageGeometry
{
    public static RgbImage Flip(RgbImage image, bool horizontal)
    {
        int width = image.Width, height = image.Height;
        var result = new byte[image.Pixels.Length];
        for (int y = 0; y < height; y++)
        {
            int targetY = horizontal ? y : height - 1 - y;
            for (int x = 0; x < width; x++)
            {
                int targetX = horizontal ? width - 1 - x : x;
                int from = (y * width + x) * 3, to = (targetY * width + targetX) * 3;
                result[to] = image.Pixels[from];
                result[to + 1] = image.Pixels[from + 1];
                result[to + 2] = image.Pixels[from + 2];
            }
        }
        return new RgbImage(width, height, result);
    }

    public static RgbImage Crop(RgbImage image, int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || width < 1 || height < 1 || left + width > image.Width || top + height > image.Height)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"crop {width}x{height} at ({left},{top}) is outside the {image.Width}x{image.Height} image");
        }
        var result = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            Array.Copy(image.Pixels, ((top + y) * image.Width + left) * 3, result, y * width * 3, width * 3);
        }
        return new RgbImage(width, height, result);
    }

    /// <summary>Rotation about the centre, counter-clockwise as seen for positive degrees, same canvas size;
    /// corners that come from outside the source take <paramref name="fill"/>.</summary>
    public static RgbImage Rotate(RgbImage image, double degrees, (byte R, byte G, byte B) fill) =>
        Affine(image, degrees, 1, 0, 0, 0, fill);

    /// <summary>Affine warp about the centre: scale, then shear along x (degrees), then rotation, then a
    /// translation given as a fraction of the width and height. Bilinear sampling through the inverse map.</summary>
    public static RgbImage Affine(RgbImage image, double degrees, double scale, double translateX, double translateY, double shearDegrees,
        (byte R, byte G, byte B) fill)
    {
        if (scale <= 0) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be positive");
        double angle = degrees * System.Math.PI / 180, shear = System.Math.Tan(shearDegrees * System.Math.PI / 180);
        double cos = System.Math.Cos(angle), sin = System.Math.Sin(angle);
        // Forward map in y-down pixel coordinates: rotation [[c, s], [-s, c]] (counter-clockwise on screen)
        // times shear [[1, k], [0, 1]] times scale.
        double a = cos * scale, b = (cos * shear + sin) * scale;
        double c = -sin * scale, d = (-sin * shear + cos) * scale;
        double determinant = a * d - b * c;
        double inverseA = d / determinant, inverseB = -b / determinant, inverseC = -c / determinant, inverseD = a / determinant;
        double centerX = (image.Width - 1) / 2.0, centerY = (image.Height - 1) / 2.0;
        double shiftX = translateX * image.Width, shiftY = translateY * image.Height;
        var result = new byte[image.Pixels.Length];
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                double dx = x - centerX - shiftX, dy = y - centerY - shiftY;
                double sourceX = centerX + inverseA * dx + inverseB * dy;
                double sourceY = centerY + inverseC * dx + inverseD * dy;
                SampleBilinear(image, sourceX, sourceY, fill, result.AsSpan((y * image.Width + x) * 3, 3));
            }
        }
        return new RgbImage(image.Width, image.Height, result);
    }

    /// <summary>Fills a rectangle (clipped to the image) with one colour.</summary>
    public static RgbImage Cutout(RgbImage image, int left, int top, int width, int height, (byte R, byte G, byte B) fill)
    {
        var result = image.Clone();
        for (int y = System.Math.Max(0, top); y < System.Math.Min(image.Height, top + height); y++)
        {
            for (int x = System.Math.Max(0, left); x < System.Math.Min(image.Width, left + width); x++)
            {
                result.SetPixel(x, y, fill.R, fill.G, fill.B);
            }
        }
        return result;
    }

    /// <summary>Bilinear interpolation between the four pixel centres around (x, y); neighbours outside the
    /// image count as <paramref name="fill"/>, which blends the border smoothly into the fill colour.</summary>
    private static void SampleBilinear(RgbImage image, double x, double y, (byte R, byte G, byte B) fill, Span<byte> target)
    {
        int x0 = (int)System.Math.Floor(x), y0 = (int)System.Math.Floor(y);
        double weightX = x - x0, weightY = y - y0;
        Span<double> sum = stackalloc double[3];
        for (int corner = 0; corner < 4; corner++)
        {
            int cornerX = x0 + (corner & 1), cornerY = y0 + (corner >> 1);
            double weight = ((corner & 1) == 1 ? weightX : 1 - weightX) * ((corner >> 1) == 1 ? weightY : 1 - weightY);
            if (weight == 0) continue;
            if (cornerX < 0 || cornerY < 0 || cornerX >= image.Width || cornerY >= image.Height)
            {
                sum[0] += weight * fill.R;
                sum[1] += weight * fill.G;
                sum[2] += weight * fill.B;
                continue;
            }
            int index = (cornerY * image.Width + cornerX) * 3;
            for (int channel = 0; channel < 3; channel++) sum[channel] += weight * image.Pixels[index + channel];
        }
        for (int channel = 0; channel < 3; channel++) target[channel] = ToByte(sum[channel]);
    }

    internal static byte ToByte(double value) => (byte)System.Math.Clamp(System.Math.Round(value), 0, 255);
}
