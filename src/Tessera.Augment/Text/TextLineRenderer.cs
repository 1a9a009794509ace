using SkiaSharp;
using Tessera.Media;

namespace Tessera.Augment.Text;

/// <summary>How a line is drawn: font, size in pixels (the em size), colours and the margin on every side.</summary>
public sealed record TextLineStyle(FontFace Font, float Size, (byte R, byte G, byte B) Foreground, (byte R, byte G, byte B) Background, int Padding)
{
    public static TextLineStyle BlackOnWhite(FontFace font, float size, int padding = 8) => new(font, size, (0, 0, 0), (255, 255, 255), padding);
}

/// <summary>A pixel rectangle, right and bottom exclusive.</summary>
public readonly record struct PixelBox(int Left, int Top, int Right, int Bottom);

/// <summary>A rendered line with its ground truth: the text, the style, the box the glyphs' outlines occupy,
/// and for every character the horizontal span of its advance (kerning aside, where it is drawn).</summary>
public sealed record RenderedTextLine(string Text, TextLineStyle Style, RgbImage Image, PixelBox InkBox, IReadOnlyList<(float Left, float Right)> CharacterSpans);

/// <summary>Renders one line of text with a TrueType font through SkiaSharp (anti-aliased, subpixel positioned).
/// The image is as wide as the text's advance plus padding and as tall as the font's ascent plus descent plus padding.</summary>
public static class TextLineRenderer
{
    public static RenderedTextLine Render(string text, TextLineStyle style)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(style.Size, 4f);
        ArgumentOutOfRangeException.ThrowIfNegative(style.Padding);
        FontCatalog.EnsureInstalled(style.Font);
        using var typeface = SKTypeface.FromFile(style.Font.Path)
            ?? throw new Core.UnsupportedException($"'{style.Font.Path}' is not a font SkiaSharp can read", "text rendering", "reinstall the font with scripts/setup.sh");
        using var font = new SKFont(typeface, style.Size) { Edging = SKFontEdging.Antialias, Subpixel = true };
        float advance = font.MeasureText(text, out var bounds);
        var metrics = font.Metrics;
        int width = (int)System.Math.Ceiling(System.Math.Max(advance, bounds.Right)) + 2 * style.Padding;
        int height = (int)System.Math.Ceiling(metrics.Descent - metrics.Ascent) + 2 * style.Padding;
        float baseline = style.Padding - metrics.Ascent, origin = style.Padding;
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(style.Background.R, style.Background.G, style.Background.B));
            using var paint = new SKPaint { Color = new SKColor(style.Foreground.R, style.Foreground.G, style.Foreground.B), IsAntialias = true };
            canvas.DrawText(text, origin, baseline, SKTextAlign.Left, font, paint);
        }
        var rgba = bitmap.GetPixelSpan();
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++)
        {
            pixels[i * 3] = rgba[i * 4];
            pixels[i * 3 + 1] = rgba[i * 4 + 1];
            pixels[i * 3 + 2] = rgba[i * 4 + 2];
        }
        var inkBox = new PixelBox((int)System.Math.Floor(origin + bounds.Left), (int)System.Math.Floor(baseline + bounds.Top),
            (int)System.Math.Ceiling(origin + bounds.Right), (int)System.Math.Ceiling(baseline + bounds.Bottom));
        var spans = new (float, float)[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            spans[i] = (origin + font.MeasureText(text[..i]), origin + font.MeasureText(text[..(i + 1)]));
        }
        return new RenderedTextLine(text, style, new RgbImage(width, height, pixels), inkBox, spans);
    }
}
