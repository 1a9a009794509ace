using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Media;
using Tessera.Core;
using Tessera.Testing;

namespace Tessera.Media.Tests;

public sealed class RgbImageTests
{
    [Fact]
    public void Truncated_png_is_a_clear_input_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tessera-truncated-{Guid.NewGuid():N}.png");
        try
        {
            File.WriteAllBytes(path, File.ReadAllBytes(TestAssets.Image("astronaut.png"))[..100]);
            var error = Assert.Throws<InvalidInputException>(() => RgbImage.Load(path));
            Assert.Contains("not a readable image", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Padding_to_square_centres_the_image()
    {
        var image = new RgbImage(4, 2, Enumerable.Repeat((byte)200, 4 * 2 * 3).ToArray());
        var (square, left, top) = image.PadToSquare();
        Assert.Equal((4, 4, 0, 1), (square.Width, square.Height, left, top));
        Assert.Equal(0, square.Pixels[0]);
        Assert.Equal(200, square.Pixels[(1 * 4) * 3]);
        Assert.Equal(0, square.Pixels[(3 * 4) * 3]);
    }

    [Property(MaxTest = 50)]
    public Property Rotating_twice_gives_the_original(PositiveInt width, PositiveInt height, int seed)
    {
        int w = width.Get % 17 + 1, h = height.Get % 17 + 1;
        var pixels = new byte[w * h * 3];
        new Random(seed).NextBytes(pixels);
        var image = new RgbImage(w, h, pixels);
        return image.Rotate180().Rotate180().Pixels.SequenceEqual(pixels).ToProperty();
    }
}
