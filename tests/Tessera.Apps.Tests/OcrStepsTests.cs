using Tessera.Apps.Ocr;
using Tessera.Media;

namespace Tessera.Apps.Tests;

public sealed class OcrStepsTests
{
    /// <summary>A pattern defined in the rectangle's own frame: red grows along its width, green along its
    /// height, blue marks the left half. Turned by 25 degrees and drawn into a grey page.</summary>
    private static (RgbImage Page, PointF[] Corners) TurnedRectangle(double width, double height, double degrees)
    {
        double angle = degrees * Math.PI / 180, cos = Math.Cos(angle), sin = Math.Sin(angle);
        var origin = new PointF(60, 40);
        var page = new RgbImage(300, 240, Enumerable.Repeat((byte)128, 300 * 240 * 3).ToArray());
        for (int y = 0; y < page.Height; y++)
        {
            for (int x = 0; x < page.Width; x++)
            {
                double dx = x - origin.X, dy = y - origin.Y;
                double u = dx * cos + dy * sin, v = -dx * sin + dy * cos;
                if (u < 0 || v < 0 || u >= width || v >= height) continue;
                page.SetPixel(x, y, (byte)(255 * u / width), (byte)(255 * v / height), u < width / 2 ? (byte)255 : (byte)0);
            }
        }
        PointF At(double u, double v) => new(origin.X + u * cos - v * sin, origin.Y + u * sin + v * cos);
        return (page, [At(0, 0), At(width, 0), At(width, height), At(0, height)]);
    }

    [Fact]
    public void Perspective_crop_straightens_a_turned_rectangle()
    {
        var (page, corners) = TurnedRectangle(160, 40, 25);
        var crop = PerspectiveCrop.Crop(page, corners);
        Assert.Equal(160, crop.Width);
        Assert.Equal(40, crop.Height);
        double error = 0;
        int count = 0;
        // Away from the edges (where bilinear sampling mixes in the grey page) the pattern comes back.
        for (int y = 3; y < crop.Height - 3; y++)
        {
            for (int x = 3; x < crop.Width - 3; x++)
            {
                int i = (y * crop.Width + x) * 3;
                error += Math.Abs(crop.Pixels[i] - 255.0 * x / 160) + Math.Abs(crop.Pixels[i + 1] - 255.0 * y / 40);
                if (Math.Abs(x - 80) > 2) Assert.InRange(Math.Abs(crop.Pixels[i + 2] - (x < 80 ? 255 : 0)), 0, 30);
                count++;
            }
        }
        Assert.InRange(error / count, 0, 6);
    }

    [Fact]
    public void Tall_crops_are_turned_counter_clockwise_to_lie_horizontal()
    {
        var (page, corners) = TurnedRectangle(30, 90, 0);
        var crop = PerspectiveCrop.Crop(page, corners);
        Assert.Equal(90, crop.Width);
        Assert.Equal(30, crop.Height);
        // Counter-clockwise: the rectangle's bottom (high green) ends on the right, its left (blue) at the bottom.
        Assert.True(crop.Pixels[(15 * 90 + 85) * 3 + 1] > 200);
        Assert.Equal(255, crop.Pixels[(27 * 90 + 45) * 3 + 2]);
        Assert.Equal(0, crop.Pixels[(2 * 90 + 45) * 3 + 2]);
    }

    [Fact]
    public void Homography_maps_each_corner_onto_its_target()
    {
        PointF[] from = [new(0, 0), new(100, 0), new(100, 30), new(0, 30)];
        PointF[] to = [new(12, 7), new(118, 20), new(110, 55), new(5, 38)];
        var h = PerspectiveCrop.Homography(from, to);
        for (int i = 0; i < 4; i++)
        {
            var mapped = PerspectiveCrop.Apply(h, from[i].X, from[i].Y);
            Assert.Equal(to[i].X, mapped.X, 6);
            Assert.Equal(to[i].Y, mapped.Y, 6);
        }
    }

    [Fact]
    public void Ctc_merges_repeats_drops_blanks_and_keeps_letters_split_by_a_blank()
    {
        var decoder = new CtcDecoder(["a", "b", " "]);
        // Steps: a a blank a b b blank space b -> "aab b"
        int[] winners = [1, 1, 0, 1, 2, 2, 0, 3, 2];
        var probabilities = new float[winners.Length * 4];
        for (int t = 0; t < winners.Length; t++)
        {
            for (int c = 0; c < 4; c++) probabilities[t * 4 + c] = c == winners[t] ? 0.7f : 0.1f;
        }
        probabilities[0 * 4 + 1] = 0.9f; // the first "a": its run is merged into one character scored by the first step
        var read = decoder.Decode(probabilities, winners.Length);
        Assert.Equal("aab b", read.Text);
        Assert.Equal((0.9 + 0.7 * 4) / 5, read.Score, 5);
        Assert.Equal(new RecognizedText("", 0), decoder.Decode(new float[] { 1, 0, 0, 0 }, 1));
        Assert.Throws<Core.ModelFormatException>(() => decoder.Decode(new float[5], 1));
    }

    [Fact]
    public void Db_decoding_keeps_confident_regions_grown_and_scaled_and_drops_weak_ones()
    {
        int width = 64, height = 32;
        var map = new float[width * height];
        void Fill(int left, int top, int right, int bottom, float value)
        {
            for (int y = top; y <= bottom; y++)
            {
                for (int x = left; x <= right; x++) map[y * width + x] = value;
            }
        }
        Fill(4, 4, 43, 9, 0.9f);      // a line of text: 40 x 6 pixel centres -> kernel 39 x 5
        Fill(4, 20, 43, 25, 0.5f);    // above the binarization threshold, below the box threshold
        Fill(55, 20, 56, 21, 0.95f);  // a speck shorter than the minimum side
        var boxes = TextDetectionDecoder.Decode(map, width, height, 128, 64, new TextDetectionSettings());
        var box = Assert.Single(boxes);
        Assert.Equal(0.9, box.Score, 5);
        // Unclip distance = 39 * 5 * 1.5 / 88 = 3.32 map pixels on every side, then x2 to the 128x64 image.
        Assert.InRange(box.Left, (4 - 3.4) * 2 - 1, (4 - 3.2) * 2 + 1);
        Assert.InRange(box.Right, (43 + 3.2) * 2 - 1, (43 + 3.4) * 2 + 1);
        Assert.InRange(box.Top, (4 - 3.4) * 2 - 1, (4 - 3.2) * 2 + 1);
        Assert.InRange(box.Bottom, (9 + 3.2) * 2 - 1, (9 + 3.4) * 2 + 1);
    }

    [Fact]
    public void Reading_order_is_top_to_bottom_then_left_to_right_within_a_line()
    {
        PointF[] Box(double left, double top, double right, double bottom) => [new(left, top), new(right, top), new(right, bottom), new(left, bottom)];
        var boxes = new[]
        {
            ("second line", Box(0, 40, 200, 60)),
            ("first line, right", Box(120, 2, 200, 22)),
            ("first line, left", Box(0, 0, 100, 20)),
            ("third line, right", Box(150, 82, 220, 101)),
            ("third line, left", Box(5, 80, 140, 100)),
        };
        var ordered = ReadingOrder.Sort(boxes, b => b.Item2).Select(b => b.Item1);
        Assert.Equal(["first line, left", "first line, right", "second line", "third line, left", "third line, right"], ordered);
    }
}
