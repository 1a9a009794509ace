using Tessera.Core;
using Tessera.Onnx;
using Tessera.Testing;

namespace Tessera.Quantization.Tests;

/// <summary>`quantize --augment SPEC --count N`: every calibration file is followed by N augmented variants,
/// reproducible from the seed.</summary>
public sealed class CalibrationAugmentationTests
{
    private static List<CalibrationSample> Read(string folder, CalibrationAugmentation? augmentation) =>
        CalibrationData.Read(folder, OnnxImporter.Load(TestAssets.Model("ppocr-cls")), PreprocessingPresets.Get("ppocr-cls"), 64, augmentation).ToList();

    [Fact]
    public void Each_image_gets_count_variants_reproducible_from_the_seed()
    {
        var folder = ModelQuantization.ImageFolder("text.png", "imageTextN.png");
        var spec = "rotate:degrees=8, jitter:brightness=0.3, noise:sigma=0.03";
        var plain = Read(folder, null);
        var augmented = Read(folder, new CalibrationAugmentation(spec, 3));
        var again = Read(folder, new CalibrationAugmentation(spec, 3));
        var otherSeed = Read(folder, new CalibrationAugmentation(spec, 3, Seed: 2));
        Assert.Equal(2, plain.Count);
        Assert.Equal(8, augmented.Count);
        Assert.Equal(Data(plain[0]), Data(augmented[0]));
        Assert.NotEqual(Data(augmented[0]), Data(augmented[1]));
        Assert.Equal(augmented.Select(Data), again.Select(Data));
        Assert.NotEqual(Data(augmented[1]), Data(otherSeed[1]));
    }

    [Fact]
    public void An_unknown_operation_is_a_clear_error()
    {
        var folder = ModelQuantization.ImageFolder("text.png");
        var error = Assert.ThrowsAny<TesseraException>(() => Read(folder, new CalibrationAugmentation("wobble:amount=3", 2)));
        Assert.Contains("wobble", error.Message);
    }

    private static float[] Data(CalibrationSample sample) => sample.Inputs.Values.Single().ToFloatArray();
}
