using Tessera.Augment.Image;
using Tessera.Media;
using static Tessera.Augment.Tests.ImageMeasures;

namespace Tessera.Augment.Tests;

public class ImageOperationTests
{
    private static readonly RgbImage Astronaut = Load("astronaut.png", 128);
    private static readonly RgbImage Cat = RgbImage.Load(Testing.TestAssets.Image("chelsea.png"));

    private static RgbImage Run(string spec, RgbImage image, int seed = 1) => ImageOperations.Catalog.Parse(spec).Apply(image, new Random(seed)).Output;

    [Fact]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_other_bytes()
    {
        const string spec = "flip:p=0.5, rotate:degrees=15, jitter:brightness=0.2:contrast=0.2:saturation=0.3:hue=0.05, noise:sigma=0.03, jpeg:quality=40..90, cutout:size=0.2, crop:scale=0.7..1, affine:scale=0.9..1.1:shear=5:translate=0.05, blur:sigma=0.5..1.5";
        var first = Run(spec, Astronaut, seed: 11);
        Assert.Equal(first.Pixels, Run(spec, Astronaut, seed: 11).Pixels);
        var other = Run(spec, Astronaut, seed: 12);
        Assert.False(first.Width == other.Width && first.Pixels.AsSpan().SequenceEqual(other.Pixels));
    }

    [Fact]
    public void Flipping_twice_is_the_identity_and_once_mirrors()
    {
        foreach (var axis in new[] { "horizontal", "vertical" })
        {
            var once = Run($"flip:axis={axis}", Cat);
            Assert.NotEqual(Cat.Pixels, once.Pixels);
            Assert.Equal(Cat.Pixels, Run($"flip:axis={axis}", once).Pixels);
        }
        var flipped = ImageGeometry.Flip(Cat, horizontal: true);
        Assert.Equal(Cat.Pixels.AsSpan(0, 3).ToArray(), flipped.Pixels.AsSpan((Cat.Width - 1) * 3, 3).ToArray());
    }

    [Fact]
    public void Rotation_by_zero_is_the_identity_and_by_ninety_moves_corners()
    {
        Assert.Equal(Astronaut.Pixels, ImageGeometry.Rotate(Astronaut, 0, (0, 0, 0)).Pixels);
        Assert.Equal(Astronaut.Pixels, Run("rotate:degrees=0..0", Astronaut).Pixels);
        // A square image rotated by 90 degrees counter-clockwise: the top-right pixel goes to the top-left.
        var rotated = ImageGeometry.Rotate(Astronaut, 90, (0, 0, 0));
        int side = Astronaut.Width;
        Assert.Equal(Astronaut.Pixels.AsSpan((side - 1) * 3, 3).ToArray(), rotated.Pixels.AsSpan(0, 3).ToArray());
        // Four quarter turns come back to the start (bilinear weights are zero up to rounding of cos/sin).
        var back = rotated;
        for (int i = 0; i < 3; i++) back = ImageGeometry.Rotate(back, 90, (0, 0, 0));
        Assert.True(Psnr(Astronaut, back) > 45, $"PSNR {Psnr(Astronaut, back):F1} dB");
    }

    [Fact]
    public void Rotation_fills_the_uncovered_corners_with_the_fill_colour()
    {
        var rotated = Run("rotate:degrees=45..45:fill=#ff8000", Astronaut);
        Assert.Equal(new byte[] { 255, 128, 0 }, rotated.Pixels[..3]);
        var centre = (64 * 128 + 64) * 3;
        Assert.NotEqual(new byte[] { 255, 128, 0 }, rotated.Pixels[centre..(centre + 3)]);
    }

    [Fact]
    public void The_identity_affine_keeps_the_image_and_a_translation_moves_it()
    {
        Assert.Equal(Astronaut.Pixels, ImageGeometry.Affine(Astronaut, 0, 1, 0, 0, 0, (0, 0, 0)).Pixels);
        // Shift right by 1/8 of the width = 16 pixels: column x of the result is column x - 16 of the source.
        var moved = ImageGeometry.Affine(Astronaut, 0, 1, 0.125, 0, 0, (0, 0, 0));
        for (int y = 0; y < 128; y += 17)
        {
            Assert.Equal(Astronaut.Pixels.AsSpan((y * 128 + 40) * 3, 3).ToArray(), moved.Pixels.AsSpan((y * 128 + 56) * 3, 3).ToArray());
            Assert.Equal(new byte[3], moved.Pixels.AsSpan((y * 128 + 3) * 3, 3).ToArray());
        }
        // Zooming in by 2 enlarges: the centre 64x64 of the source fills the frame, so detail (gradient energy) per pixel falls.
        Assert.True(GradientEnergy(Run("affine:scale=2", Astronaut)) < 0.6 * GradientEnergy(Astronaut));
    }

    [Fact]
    public void Brightness_raises_the_mean_and_saturation_zero_gives_grey()
    {
        double mean = Mean(Cat);
        Assert.True(Mean(ImageColor.Jitter(Cat, 1.3, 1, 1, 0)) > mean + 20);
        Assert.True(Mean(ImageColor.Jitter(Cat, 0.7, 1, 1, 0)) < mean - 20);
        Assert.Equal(Cat.Pixels, ImageColor.Jitter(Cat, 1, 1, 1, 0).Pixels);
        var grey = ImageColor.Jitter(Cat, 1, 1, 0, 0);
        for (int i = 0; i < grey.Pixels.Length; i += 3)
        {
            Assert.True(grey.Pixels[i] == grey.Pixels[i + 1] && grey.Pixels[i + 1] == grey.Pixels[i + 2]);
        }
    }

    [Fact]
    public void Contrast_spreads_values_and_hue_turns_red_to_green()
    {
        static double Spread(RgbImage image) { double m = Mean(image); return image.Pixels.Average(p => (p - m) * (p - m)); }
        Assert.True(Spread(ImageColor.Jitter(Cat, 1, 1.5, 1, 0)) > 1.5 * Spread(Cat));
        Assert.True(Spread(ImageColor.Jitter(Cat, 1, 0.5, 1, 0)) < 0.5 * Spread(Cat));
        var red = new RgbImage(1, 1, [200, 10, 10]);
        var turned = ImageColor.Jitter(red, 1, 1, 1, 1.0 / 3);
        Assert.Equal(new byte[] { 10, 200, 10 }, turned.Pixels);
        // A full turn of hue is the identity (up to the HSV round trip's rounding).
        Assert.True(Psnr(Cat, ImageColor.Jitter(Cat, 1, 1, 1, 0.999999)) > 50);
    }

    [Fact]
    public void Gaussian_noise_has_the_requested_standard_deviation()
    {
        var grey = new RgbImage(200, 200, Enumerable.Repeat((byte)128, 200 * 200 * 3).ToArray());
        var noisy = ImageColor.AddGaussianNoise(grey, 0.04, new Random(5));
        double sd = System.Math.Sqrt(noisy.Pixels.Average(p => (p - 128.0) * (p - 128.0)));
        Assert.InRange(sd, 0.04 * 255 * 0.97, 0.04 * 255 * 1.03);
    }

    [Fact]
    public void Blur_lowers_high_frequency_energy_more_with_a_larger_sigma()
    {
        double original = GradientEnergy(Cat), light = GradientEnergy(ImageColor.GaussianBlur(Cat, 1)), heavy = GradientEnergy(ImageColor.GaussianBlur(Cat, 3));
        Assert.True(light < 0.7 * original, $"sigma 1: {light / original:F2}");
        Assert.True(heavy < 0.5 * light, $"sigma 3 vs 1: {heavy / light:F2}");
        // The kernel sums to one: flat areas and the mean are kept.
        Assert.InRange(Mean(ImageColor.GaussianBlur(Cat, 3)), Mean(Cat) - 0.5, Mean(Cat) + 0.5);
    }

    [Fact]
    public void Lower_JPEG_quality_gives_lower_PSNR()
    {
        int[] qualities = [95, 75, 50, 25, 10, 3];
        var psnr = qualities.Select(q => Psnr(Cat, ImageColor.JpegRoundTrip(Cat, q))).ToArray();
        for (int i = 1; i < psnr.Length; i++) Assert.True(psnr[i] < psnr[i - 1], string.Join(", ", psnr.Select(p => p.ToString("F1"))));
        Assert.InRange(psnr[0], 35, 60);
    }

    [Fact]
    public void Crop_and_resize_give_the_requested_sizes()
    {
        var crop = Run("crop:width=100:height=60", Cat, seed: 3);
        Assert.Equal((100, 60), (crop.Width, crop.Height));
        var applied = ImageOperations.Catalog.Parse("crop:width=100:height=60").Apply(Cat, new Random(3)).Applied.Single();
        int left = (int)applied.Parameters["left"], top = (int)applied.Parameters["top"];
        Assert.Equal(Cat.Pixels.AsSpan((top * Cat.Width + left) * 3, 300).ToArray(), crop.Pixels.AsSpan(0, 300).ToArray());
        var scaled = Run("crop:scale=0.5", Cat);
        Assert.Equal(((int)System.Math.Round(Cat.Width * 0.5), (int)System.Math.Round(Cat.Height * 0.5)), (scaled.Width, scaled.Height));
        var resized = Run("resize:width=64", Cat);
        Assert.Equal((64, (int)System.Math.Round(64.0 * Cat.Height / Cat.Width)), (resized.Width, resized.Height));
    }

    [Fact]
    public void Cutout_paints_squares_of_the_fill_colour()
    {
        var result = ImageOperations.Catalog.Parse("cutout:size=0.25:count=2:fill=#00ff00").Apply(Astronaut, new Random(9));
        var boxes = (List<int[]>)result.Applied.Single().Parameters["boxes"];
        Assert.Equal(2, boxes.Count);
        foreach (var box in boxes)
        {
            int x = System.Math.Clamp(box[0] + box[2] / 2, 0, 127), y = System.Math.Clamp(box[1] + box[2] / 2, 0, 127);
            Assert.Equal(new byte[] { 0, 255, 0 }, result.Output.Pixels.AsSpan((y * 128 + x) * 3, 3).ToArray());
        }
        int green = 0;
        for (int i = 0; i < result.Output.Pixels.Length; i += 3) green += result.Output.Pixels[i + 1] == 255 && result.Output.Pixels[i] == 0 ? 1 : 0;
        Assert.InRange(green, 32 * 32 / 4, 2 * 32 * 32);
    }

    [Fact]
    public void A_step_with_probability_zero_never_runs_and_one_always_runs()
    {
        var pipeline = ImageOperations.Catalog.Parse("flip:p=0, jpeg:quality=30:p=1");
        for (int seed = 0; seed < 20; seed++)
        {
            Assert.Equal(["jpeg"], pipeline.Apply(Astronaut, new Random(seed)).Applied.Select(a => a.Operation));
        }
        var half = ImageOperations.Catalog.Parse("flip:p=0.5");
        int runs = Enumerable.Range(0, 400).Count(seed => half.Apply(Astronaut, new Random(seed)).Applied.Count == 1);
        Assert.InRange(runs, 160, 240);
    }
}
