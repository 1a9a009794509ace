using Tessera.Apps.Ocr;
using Tessera.Core;
using Tessera.Media;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

/// <summary>text.png (slanted handwriting) finds nothing at its own size: this shows that is the model's
/// answer, not a flaw of the reference kernels or the preprocessing, by running the same input through ONNX
/// Runtime.</summary>
public sealed class OcrDetectorAgreementTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    public void Detector_map_on_handwriting_matches_onnx_runtime(int scale, int expectedBoxes)
    {
        var session = AppBackend.Open("ppocr-det", "reference");
        var image = RgbImage.Load(TestAssets.Image("text.png"));
        var scaled = image.Resize(image.Width * scale, image.Height * scale);
        var (input, width, height) = OcrPipeline.DetectionInput(scaled, 960);
        var map = AppBackend.Output(session.Run(new Dictionary<string, DataValue> { ["x"] = input }), session.Outputs[0].Name).ToFloatArray();
        var reference = OrtBridge.Run(File.ReadAllBytes(TestAssets.Model("ppocr-det")), new Dictionary<string, Tensor> { ["x"] = input }).Values.First().ToFloatArray();
        double difference = map.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        var boxes = TextDetectionDecoder.Decode(map, width, height, scaled.Width, scaled.Height, new TextDetectionSettings());
        output.WriteLine($"{width}x{height}: max probability {map.Max():F3}, pixels above 0.3: {map.Count(v => v > 0.3f)}, " +
            $"largest difference from ONNX Runtime {difference:G3}, boxes {boxes.Count}");
        Assert.InRange(difference, 0, 1e-3);
        Assert.Equal(expectedBoxes, boxes.Count);
    }
}
