using Tessera.Augment.Text;
using Tessera.Core;

namespace Tessera.Augment.Tests;

public class TextRenderingTests
{
    private static readonly FontFace Sans = FontCatalog.Get("DejaVu Sans");

    private static bool IsInk(RenderedTextLine line, int x, int y, int threshold = 60)
    {
        var pixels = line.Image.Pixels;
        int i = (y * line.Image.Width + x) * 3;
        var background = line.Style.Background;
        return System.Math.Abs(pixels[i] - background.R) + System.Math.Abs(pixels[i + 1] - background.G) + System.Math.Abs(pixels[i + 2] - background.B) > threshold;
    }

    [Fact]
    public void Ink_lies_inside_the_glyph_box_and_padding_stays_clear()
    {
        var line = TextLineRenderer.Render("Harbour 42", TextLineStyle.BlackOnWhite(Sans, 32, padding: 10));
        int inside = 0, outside = 0;
        for (int y = 0; y < line.Image.Height; y++)
        {
            for (int x = 0; x < line.Image.Width; x++)
            {
                if (!IsInk(line, x, y, threshold: 0)) continue;
                bool inBox = x >= line.InkBox.Left - 1 && x < line.InkBox.Right + 1 && y >= line.InkBox.Top - 1 && y < line.InkBox.Bottom + 1;
                if (inBox) inside++;
                else outside++;
            }
        }
        Assert.Equal(0, outside);
        // Glyph strokes cover a real fraction of the box (not an empty or a filled image).
        double box = (line.InkBox.Right - line.InkBox.Left) * (line.InkBox.Bottom - line.InkBox.Top);
        Assert.InRange(inside / box, 0.1, 0.7);
        Assert.True(line.InkBox.Left >= 10 && line.InkBox.Top >= 9 && line.InkBox.Right <= line.Image.Width - 9);
    }

    [Fact]
    public void Every_letter_has_ink_in_its_span_and_the_spaces_have_none()
    {
        var line = TextLineRenderer.Render("A  B  C", TextLineStyle.BlackOnWhite(FontCatalog.Get("Liberation Sans"), 40));
        for (int i = 0; i < line.Text.Length; i++)
        {
            var (left, right) = line.CharacterSpans[i];
            int ink = 0;
            for (int x = (int)System.Math.Ceiling(left) + 1; x < (int)System.Math.Floor(right) - 1; x++)
            {
                for (int y = 0; y < line.Image.Height; y++) ink += IsInk(line, x, y) ? 1 : 0;
            }
            if (line.Text[i] == ' ') Assert.True(ink == 0, $"space {i} has {ink} ink pixels");
            else Assert.True(ink > 20, $"'{line.Text[i]}' has only {ink} ink pixels");
        }
    }

    [Fact]
    public void A_longer_string_gives_a_wider_image_of_the_same_height()
    {
        var style = TextLineStyle.BlackOnWhite(Sans, 24);
        var short_ = TextLineRenderer.Render("river", style);
        var long_ = TextLineRenderer.Render("river garden engine", style);
        Assert.True(long_.Image.Width > 2.5 * short_.Image.Width, $"{long_.Image.Width} vs {short_.Image.Width}");
        Assert.Equal(short_.Image.Height, long_.Image.Height);
        // Without the padding (8 on each side), twice the font size gives twice the line height.
        int larger = TextLineRenderer.Render("river", TextLineStyle.BlackOnWhite(Sans, 48)).Image.Height - 16;
        Assert.InRange(larger / (double)(short_.Image.Height - 16), 1.9, 2.1);
    }

    [Fact]
    public void Coloured_text_uses_the_requested_colours()
    {
        var style = new TextLineStyle(Sans, 36, (200, 20, 20), (20, 20, 200), 6);
        var line = TextLineRenderer.Render("Mill", style);
        Assert.Equal(new byte[] { 20, 20, 200 }, line.Image.Pixels[..3]);
        bool foundInk = false;
        for (int i = 0; i < line.Image.Pixels.Length; i += 3)
        {
            foundInk |= line.Image.Pixels[i] == 200 && line.Image.Pixels[i + 1] == 20 && line.Image.Pixels[i + 2] == 20;
        }
        Assert.True(foundInk, "no pixel has the full foreground colour");
    }

    [Fact]
    public void A_missing_font_says_to_run_setup()
    {
        var missing = new FontFace("Nonexistent", "/usr/share/fonts/truetype/none/Nonexistent.ttf");
        var error = Assert.Throws<UnsupportedException>(() => TextLineRenderer.Render("x", TextLineStyle.BlackOnWhite(missing, 20)));
        Assert.Contains("scripts/setup.sh", error.UserMessage, StringComparison.Ordinal);
        Assert.Throws<InvalidInputException>(() => FontCatalog.Get("Comic"));
    }

    [Fact]
    public void The_corpus_is_deterministic_and_varied()
    {
        var lines = TextCorpus.Lines(200, seed: 7);
        Assert.Equal(lines, TextCorpus.Lines(200, seed: 7));
        Assert.NotEqual(lines, TextCorpus.Lines(200, seed: 8));
        Assert.True(lines.Distinct().Count() >= 195, $"{lines.Distinct().Count()} distinct lines");
        Assert.All(lines, l => Assert.Matches(@"^[A-Za-z0-9 .,:;'?!$%/()-]{8,60}$", l));
    }

    [Fact]
    public void Two_hundred_lines_render_in_every_font_with_known_text()
    {
        var set = TextLineSet.Generate(200, seed: 3).ToList();
        Assert.Equal(200, set.Count);
        Assert.Equal(TextCorpus.Lines(200, 3), set.Select(l => l.Text));
        Assert.Equal(FontCatalog.All.Count, set.Select(l => l.Style.Font.Name).Distinct().Count());
        Assert.Contains(set, l => l.Style.Background != (255, 255, 255));
        Assert.All(set, l => Assert.True(l.InkBox.Right - l.InkBox.Left > 3 * l.Style.Size, $"'{l.Text}' is only {l.InkBox.Right - l.InkBox.Left} px wide"));
        var again = TextLineSet.Generate(5, seed: 3).Select(l => l.Image.Pixels).ToList();
        Assert.Equal(set.Take(5).Select(l => l.Image.Pixels), again);
    }
}
