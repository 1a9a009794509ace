using Tessera.Media;

namespace Tessera.Apps.Ocr;

/// <summary>Cuts a text quadrilateral out of an image and maps it onto an upright rectangle, so the
/// recognizer always reads a horizontal line.</summary>
public static class PerspectiveCrop
{
    /// <summary>PaddleOCR turns crops at least this much taller than wide by 90 degrees: such a box holds a
    /// vertical line of text.</summary>
    public const double VerticalAspect = 1.5;

    /// <summary>Maps <paramref name="corners"/> (top-left, top-right, bottom-right, bottom-left) onto a
    /// rectangle as wide as the longer horizontal side and as tall as the longer vertical side, sampling the
    /// source bilinearly through the homography and repeating edge pixels outside the image. Crops with
    /// height / width >= 1.5 are then rotated 90 degrees counter-clockwise.</summary>
    public static RgbImage Crop(RgbImage image, IReadOnlyList<PointF> corners)
    {
        if (corners.Count != 4) throw new ArgumentException("a crop needs four corners", nameof(corners));
        int width = Math.Max(1, (int)Math.Round(Math.Max(TextGeometry.Distance(corners[0], corners[1]), TextGeometry.Distance(corners[3], corners[2]))));
        int height = Math.Max(1, (int)Math.Round(Math.Max(TextGeometry.Distance(corners[0], corners[3]), TextGeometry.Distance(corners[1], corners[2]))));
        PointF[] target = [new(0, 0), new(width, 0), new(width, height), new(0, height)];
        // Destination pixel -> source point: the homography from the target rectangle to the quadrilateral.
        var toSource = Homography(target, corners);
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                // cv2.warpPerspective maps pixel indices (not half-pixel centres) between the two grids.
                var source = Apply(toSource, x, y);
                Sample(image, source.X, source.Y, pixels.AsSpan((y * width + x) * 3, 3));
            }
        }
        var crop = new RgbImage(width, height, pixels);
        return height >= VerticalAspect * width ? RotateCounterClockwise(crop) : crop;
    }

    /// <summary>The 3x3 projective transform (h33 = 1) taking each <paramref name="from"/> corner to the
    /// matching <paramref name="to"/> corner, from the 8x8 linear system of the four correspondences.</summary>
    public static double[] Homography(IReadOnlyList<PointF> from, IReadOnlyList<PointF> to)
    {
        var system = new double[8, 9];
        for (int i = 0; i < 4; i++)
        {
            double x = from[i].X, y = from[i].Y, u = to[i].X, v = to[i].Y;
            double[] rowU = [x, y, 1, 0, 0, 0, -u * x, -u * y, u];
            double[] rowV = [0, 0, 0, x, y, 1, -v * x, -v * y, v];
            for (int k = 0; k < 9; k++)
            {
                system[2 * i, k] = rowU[k];
                system[2 * i + 1, k] = rowV[k];
            }
        }
        var solution = Solve(system);
        return [.. solution, 1];
    }

    public static PointF Apply(double[] homography, double x, double y)
    {
        double w = homography[6] * x + homography[7] * y + homography[8];
        return new PointF((homography[0] * x + homography[1] * y + homography[2]) / w, (homography[3] * x + homography[4] * y + homography[5]) / w);
    }

    /// <summary>Gauss-Jordan elimination with partial pivoting on an n x (n+1) augmented matrix.</summary>
    private static double[] Solve(double[,] augmented)
    {
        int n = augmented.GetLength(0);
        for (int column = 0; column < n; column++)
        {
            int pivot = column;
            for (int row = column + 1; row < n; row++)
            {
                if (Math.Abs(augmented[row, column]) > Math.Abs(augmented[pivot, column])) pivot = row;
            }
            if (Math.Abs(augmented[pivot, column]) < 1e-12) throw new ArgumentException("the corners are degenerate (three on a line)");
            for (int k = 0; k <= n; k++) (augmented[column, k], augmented[pivot, k]) = (augmented[pivot, k], augmented[column, k]);
            for (int row = 0; row < n; row++)
            {
                if (row == column) continue;
                double factor = augmented[row, column] / augmented[column, column];
                for (int k = column; k <= n; k++) augmented[row, k] -= factor * augmented[column, k];
            }
        }
        var result = new double[n];
        for (int i = 0; i < n; i++) result[i] = augmented[i, n] / augmented[i, i];
        return result;
    }

    private static void Sample(RgbImage image, double x, double y, Span<byte> rgb)
    {
        x = Math.Clamp(x, 0, image.Width - 1);
        y = Math.Clamp(y, 0, image.Height - 1);
        int x0 = (int)x, y0 = (int)y;
        int x1 = Math.Min(x0 + 1, image.Width - 1), y1 = Math.Min(y0 + 1, image.Height - 1);
        double wx = x - x0, wy = y - y0;
        var p = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            double top = p[(y0 * image.Width + x0) * 3 + c] * (1 - wx) + p[(y0 * image.Width + x1) * 3 + c] * wx;
            double bottom = p[(y1 * image.Width + x0) * 3 + c] * (1 - wx) + p[(y1 * image.Width + x1) * 3 + c] * wx;
            rgb[c] = (byte)Math.Round(top * (1 - wy) + bottom * wy);
        }
    }

    /// <summary>Rotation by 90 degrees counter-clockwise (numpy's rot90): the top row becomes the left column.</summary>
    public static RgbImage RotateCounterClockwise(RgbImage image)
    {
        int width = image.Height, height = image.Width;
        var pixels = new byte[image.Pixels.Length];
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                int targetX = y, targetY = image.Width - 1 - x;
                Array.Copy(image.Pixels, (y * image.Width + x) * 3, pixels, (targetY * width + targetX) * 3, 3);
            }
        }
        return new RgbImage(width, height, pixels);
    }
}
