using Tessera.Media;

namespace Tessera.Augment.Tests;

/// <summary>Measurements the image tests assert on.</summary>
internal static class ImageMeasures
{
    public static double Mean(RgbImage image) => image.Pixels.Average(p => (double)p);

    /// <summary>Peak signal-to-noise ratio in dB against a reference of the same size.</summary>
    public static double Psnr(RgbImage reference, RgbImage test)
    {
        double sum = 0;
        for (int i = 0; i < reference.Pixels.Length; i++)
        {
            double difference = reference.Pixels[i] - test.Pixels[i];
            sum += difference * difference;
        }
        double meanSquare = sum / reference.Pixels.Length;
        return 10 * System.Math.Log10(255.0 * 255.0 / meanSquare);
    }

    /// <summary>Energy of the differences between horizontal and vertical neighbours: the high-frequency content.</summary>
    public static double GradientEnergy(RgbImage image)
    {
        double sum = 0;
        int width = image.Width;
        for (int y = 0; y < image.Height - 1; y++)
        {
            for (int x = 0; x < width - 1; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int here = image.Pixels[(y * width + x) * 3 + c];
                    double right = image.Pixels[(y * width + x + 1) * 3 + c] - here, down = image.Pixels[((y + 1) * width + x) * 3 + c] - here;
                    sum += right * right + down * down;
                }
            }
        }
        return sum;
    }

    public static RgbImage Load(string name, int side) => RgbImage.Load(Testing.TestAssets.Image(name)).Resize(side, side);
}
