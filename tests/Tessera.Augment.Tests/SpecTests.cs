using Tessera.Augment.Audio;
using Tessera.Augment.Image;
using Tessera.Augment.Spec;
using Tessera.Core;

namespace Tessera.Augment.Tests;

public class SpecTests
{
    [Fact]
    public void Parses_operations_numbers_ranges_and_words()
    {
        var operations = AugmentSpec.Parse("flip:p=0.5, rotate:degrees=15, jitter:brightness=0.2:contrast=0.2,noise:sigma=0.03 , jpeg:quality=40..90, rotate:fill=#ff0000");
        Assert.Equal(["flip", "rotate", "jitter", "noise", "jpeg", "rotate"], operations.Select(o => o.Name));
        var quality = operations[4].Parameters.Single();
        Assert.Equal((40.0, 90.0, true), (quality.Minimum!.Value, quality.Maximum!.Value, quality.IsRange));
        Assert.Equal("#ff0000", operations[5].Parameters.Single().Text);
        Assert.False(operations[5].Parameters.Single().IsNumber);
        Assert.Equal(13, operations[1].Column);
        Assert.Empty(AugmentSpec.Parse("  "));
    }

    [Fact]
    public void Both_example_specs_build_pipelines()
    {
        var image = ImageOperations.Catalog.Parse("flip:p=0.5, rotate:degrees=15, jitter:brightness=0.2:contrast=0.2, noise:sigma=0.03, jpeg:quality=40");
        Assert.Equal([0.5, 1, 1, 1, 1], image.Steps.Select(s => s.Probability));
        var audio = AudioOperations.Catalog.Parse("gain:db=-6..6, noise:snr=10:color=pink, shift:seconds=0.1, speed:factor=0.9..1.1, reverb:decay=0.4:mix=0.2");
        Assert.Equal(["gain", "noise", "shift", "speed", "reverb"], audio.Steps.Select(s => s.Augmentation.Name));
    }

    [Theory]
    [InlineData("flp:p=0.5", "unknown image operation 'flp' (column 1", "image operations are resize, crop, flip")]
    [InlineData("flip, rotate:deg=3", "'rotate' has no parameter 'deg' (column 14", "its parameters are degrees, fill, p")]
    [InlineData("jpeg:quality=abc..9", "not a range of numbers (column 6", "LOW..HIGH")]
    [InlineData("jpeg:quality=0", "outside 1..100", "give a value in 1..100")]
    [InlineData("jpeg:quality=50.5", "must be a whole number", "quality=50")]
    [InlineData("rotate:degrees=30..10", "runs backwards", "degrees=10..30")]
    [InlineData("rotate:degrees", "is not key=value (column 8", "rotate:key=value")]
    [InlineData("flip,,blur", "empty operation between commas (column 6", "remove the extra comma")]
    [InlineData("flip:axis=diagonal", "is not one of horizontal, vertical", "axis=horizontal")]
    [InlineData("flip:p=0.2..0.4", "p in 'flip' must be one number", "p=0.5")]
    [InlineData("rotate:fill=#12", "is not a colour", "#rrggbb")]
    [InlineData("blur:sigma=1:sigma=2", "'sigma' is given twice", "keep one")]
    [InlineData("resize", "resize needs width, height or both", "resize:width=224")]
    [InlineData("noise:sigma=pink", "must be a number or a range", "sigma=1")]
    public void Image_spec_errors_say_what_where_and_what_to_do(string spec, string what, string hint)
    {
        var error = Assert.Throws<InvalidInputException>(() => ImageOperations.Catalog.Parse(spec));
        Assert.Contains(what, error.UserMessage, StringComparison.Ordinal);
        Assert.Contains(hint, error.UserMessage, StringComparison.Ordinal);
        Assert.Contains(spec, error.UserMessage, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.UserMessage);
    }

    [Theory]
    [InlineData("noise:snr=10:color=blue", "is not one of white, pink")]
    [InlineData("flip", "unknown audio operation 'flip'")]
    [InlineData("speed:factor=0", "outside 0.1..10")]
    [InlineData("shift:seconds=-0.1", "must not be negative (it means -v..v)")]
    public void Audio_spec_errors_name_the_problem(string spec, string what)
    {
        var error = Assert.Throws<InvalidInputException>(() => AudioOperations.Catalog.Parse(spec));
        Assert.Contains(what, error.UserMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_number_for_a_spread_parameter_is_symmetric()
    {
        var step = ImageOperations.Catalog.Parse("rotate:degrees=10").Steps.Single();
        var angles = Enumerable.Range(0, 200).Select(seed =>
        {
            var applied = new Dictionary<string, object>();
            step.Augmentation.Apply(new Media.RgbImage(4, 4, new byte[48]), new Random(seed), applied);
            return (double)applied["degrees"];
        }).ToList();
        Assert.All(angles, a => Assert.InRange(a, -10, 10));
        Assert.True(angles.Min() < -8 && angles.Max() > 8);
    }
}
