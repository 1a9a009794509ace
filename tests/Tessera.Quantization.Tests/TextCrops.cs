using Tessera.Augment.Image;
using Tessera.Augment.Text;
using Tessera.Media;
using Tessera.Testing;

namespace Tessera.Quantization.Tests;

/// <summary>A text image and where it came from; <paramref name="Text"/> is the true string when known.</summary>
internal sealed record TextCrop(RgbImage Image, string Source, bool UpsideDown, string? Text = null);

/// <summary>The text images of the OCR accuracy tests, all deterministic: lines rendered with the Debian fonts
/// (<see cref="TextLineRenderer"/>), windows cut from the lines of the shared text photos, seeded augmentations
/// of both, and 180-degree turns.</summary>
internal static class TextCrops
{
    /// <summary>Mild print and camera effects: small tilt on a white ground, lighting, sensor noise, focus.</summary>
    public const string Augmentation = "rotate:degrees=2:fill=255, jitter:brightness=0.25:contrast=0.25, noise:sigma=0.02, blur:sigma=0.2..0.9, jpeg:quality=40..90:p=0.5";

    /// <summary>Short lines (at most <paramref name="maxLength"/> characters, cut at a word boundary from the
    /// corpus), every font in turn, em sizes 18..48 px, a third dark ink on a light colour, every second one
    /// augmented. Short, so the recognizer's 48x320 input holds them without squashing.</summary>
    public static IReadOnlyList<TextCrop> RenderedLines(int count, int seed, int maxLength)
    {
        var random = new Random(seed);
        var augment = ImageOperations.Catalog.Parse(Augmentation);
        var result = new List<TextCrop>(count);
        var corpus = TextCorpus.Lines(count, seed);
        for (int i = 0; i < count; i++)
        {
            var text = Shorten(corpus[i], maxLength);
            var font = FontCatalog.All[i % FontCatalog.All.Count];
            float size = random.Next(18, 49);
            int padding = random.Next(3, 12);
            var style = i % 3 == 2
                ? new TextLineStyle(font, size, ((byte)random.Next(0, 80), (byte)random.Next(0, 80), (byte)random.Next(0, 80)), ((byte)random.Next(180, 256), (byte)random.Next(180, 256), (byte)random.Next(180, 256)), padding)
                : TextLineStyle.BlackOnWhite(font, size, padding);
            var image = TextLineRenderer.Render(text, style).Image;
            bool augmented = i % 2 == 1;
            if (augmented) image = augment.Apply(image, new Random(seed * 7919 + i)).Output;
            result.Add(new TextCrop(image, $"rendered {i} ({font.Name}, {size} px{(augmented ? ", augmented" : "")})", false, text));
        }
        return result;
    }

    /// <summary>The leading words of <paramref name="line"/> that fit in <paramref name="maxLength"/> characters.</summary>
    public static string Shorten(string line, int maxLength)
    {
        if (line.Length <= maxLength) return line;
        int cut = line.LastIndexOf(' ', maxLength);
        return cut > 0 ? line[..cut] : line[..maxLength];
    }

    /// <summary>Windows of every printed line of imageTextN.png (lines found by the rows holding dark ink, each
    /// cut into three windows) and six windows of the handwriting in text.png.</summary>
    public static IReadOnlyList<TextCrop> SharedImageWindows()
    {
        var result = new List<TextCrop>();
        var page = RgbImage.Load(TestAssets.Image("imageTextN.png"));
        foreach (var (top, bottom) in InkRows(page))
        {
            var (left, right) = InkColumns(page, top, bottom);
            int width = (right - left) / 3;
            if (width < 2 * (bottom - top)) continue;
            for (int w = 0; w < 3; w++)
            {
                result.Add(new TextCrop(ImageGeometry.Crop(page, left + w * width, top, width, bottom - top), $"imageTextN.png rows {top}-{bottom} window {w}", false));
            }
        }
        var handwriting = RgbImage.Load(TestAssets.Image("text.png"));
        for (int row = 0; row < 2; row++)
        {
            for (int column = 0; column < 3; column++)
            {
                result.Add(new TextCrop(ImageGeometry.Crop(handwriting, column * 149, 20 + row * 70, 149, 64), $"text.png window {row},{column}", false));
            }
        }
        return result;
    }

    /// <summary>Each crop, an augmented copy, and both turned by 180 degrees.</summary>
    public static IEnumerable<TextCrop> WithVariants(IEnumerable<TextCrop> crops, int seed)
    {
        var augment = ImageOperations.Catalog.Parse(Augmentation);
        int i = 0;
        foreach (var crop in crops)
        {
            var augmented = crop with { Image = augment.Apply(crop.Image, new Random(seed + i++)).Output, Source = crop.Source + ", augmented" };
            foreach (var variant in new[] { crop, augmented })
            {
                yield return variant;
                yield return variant with { Image = variant.Image.Rotate180(), Source = variant.Source + ", turned 180", UpsideDown = !variant.UpsideDown };
            }
        }
    }

    private static bool IsInk(RgbImage image, int x, int y)
    {
        int i = (y * image.Width + x) * 3;
        return image.Pixels[i] + image.Pixels[i + 1] + image.Pixels[i + 2] < 3 * 110;
    }

    /// <summary>Bands of consecutive rows with ink, widened by a 3-pixel margin.</summary>
    private static List<(int Top, int Bottom)> InkRows(RgbImage image)
    {
        var rows = new List<(int, int)>();
        int start = -1;
        for (int y = 0; y <= image.Height; y++)
        {
            bool ink = y < image.Height && Enumerable.Range(0, image.Width).Count(x => IsInk(image, x, y)) > 2;
            if (ink && start < 0) start = y;
            if (!ink && start >= 0)
            {
                if (y - start >= 6) rows.Add((System.Math.Max(0, start - 3), System.Math.Min(image.Height, y + 3)));
                start = -1;
            }
        }
        return rows;
    }

    private static (int Left, int Right) InkColumns(RgbImage image, int top, int bottom)
    {
        int left = image.Width, right = 0;
        for (int y = top; y < bottom; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                if (!IsInk(image, x, y)) continue;
                left = System.Math.Min(left, x);
                right = System.Math.Max(right, x + 1);
            }
        }
        return (System.Math.Max(0, left - 3), System.Math.Min(image.Width, right + 3));
    }
}
