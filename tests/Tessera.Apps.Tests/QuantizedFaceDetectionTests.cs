using Tessera.Augment.Image;
using Tessera.Core;
using Tessera.Media;
using Tessera.Onnx;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

/// <summary>BlazeFace int8 against float, as the face application sees them: the catalog model and its QDQ
/// model (the project quantizer, calibrated on the two face photos and seeded augmentations of them) run on
/// the reference backend through the same <see cref="FaceDetector"/> on the photos and on other seeded
/// augmentations. Front: every float face must have an int8 face with IoU >= 0.9 and keypoints within 2 px
/// of the detector's input grid. Back: its int8 score output collapses (docs/quantization.md), so what holds
/// anchor by anchor is asserted and the missing faces are reported.</summary>
public sealed class QuantizedFaceDetectionTests(ITestOutputHelper output)
{
    private const string CalibrationSpec = "flip:p=0.5, rotate:degrees=10, jitter:brightness=0.2:contrast=0.2";
    private const string EvaluationSpec = "flip:p=0.5, rotate:degrees=8, jitter:brightness=0.15:contrast=0.15, noise:sigma=0.01";
    private static readonly string[] Photos = ["astronaut.png", "messi5.jpg"];

    /// <summary>Keypoint distances are in source pixels and in the model's input pixels (source x input size /
    /// longer side): the detector sees a 128 or 256 pixel grid, so its own resolution is the scale-free unit.</summary>
    internal sealed record Comparison(int FloatFaces, int QuantizedFaces, int Matched, double LowestIoU, double LargestKeypointPixels, double LargestKeypointInputPixels);

    internal static Model Quantize(BlazeFaceVariant variant, string method)
    {
        var folder = Directory.CreateTempSubdirectory("tessera-faces-int8-").FullName;
        try
        {
            foreach (var photo in Photos) File.Copy(TestAssets.Image(photo), Path.Combine(folder, photo));
            var preset = PreprocessingPresets.Get(variant.CatalogName);
            var augmentation = new CalibrationAugmentation(CalibrationSpec, Count: 3, Seed: 1);
            var calibration = Quantizer.Calibrate(OnnxImporter.Load(TestAssets.Model(variant.CatalogName)),
                m => CalibrationData.Read(folder, m, preset, 16, augmentation), preset, optimize: true);
            return Quantizer.Rewrite(calibration, new QuantizationOptions { Method = RangeSelection.Parse(method) }).Model;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The photos, then <paramref name="variants"/> augmentations of each from a seed the calibration did not use.</summary>
    internal static IEnumerable<(string Name, RgbImage Image)> EvaluationImages(int variants)
    {
        var pipeline = ImageOperations.Catalog.Parse(EvaluationSpec);
        foreach (var photo in Photos)
        {
            var image = RgbImage.Load(TestAssets.Image(photo));
            yield return (photo, image);
            for (int v = 1; v <= variants; v++) yield return ($"{photo} #{v}", pipeline.Apply(image, new Random(7000 + v)).Output);
        }
    }

    internal static Comparison Compare(IReadOnlyList<Face> reference, IReadOnlyList<Face> quantized, double sourceToInput)
    {
        double lowest = 1, largest = 0;
        int matched = 0;
        foreach (var face in reference)
        {
            var best = quantized.OrderByDescending(face.IntersectionOverUnion).FirstOrDefault();
            if (best is null || face.IntersectionOverUnion(best) == 0)
            {
                lowest = 0;
                continue;
            }
            matched++;
            lowest = System.Math.Min(lowest, face.IntersectionOverUnion(best));
            for (int k = 0; k < face.Keypoints.Count; k++)
            {
                largest = System.Math.Max(largest, System.Math.Sqrt(System.Math.Pow(face.Keypoints[k].X - best.Keypoints[k].X, 2) + System.Math.Pow(face.Keypoints[k].Y - best.Keypoints[k].Y, 2)));
            }
        }
        return new Comparison(reference.Count, quantized.Count, matched, lowest, largest, largest * sourceToInput);
    }

    private static double InputScale(BlazeFaceVariant variant, RgbImage image) => (double)variant.InputSize / System.Math.Max(image.Width, image.Height);

    private static double KeypointDistance(Face a, Face b) =>
        Enumerable.Range(0, a.Keypoints.Count).Max(k => System.Math.Sqrt(System.Math.Pow(a.Keypoints[k].X - b.Keypoints[k].X, 2) + System.Math.Pow(a.Keypoints[k].Y - b.Keypoints[k].Y, 2)));

    [Fact]
    public void FrontInt8FindsTheSameFacesAsFloat()
    {
        var variant = BlazeFaceVariant.Front;
        var floatDetector = new FaceDetector(variant);
        var int8Detector = new FaceDetector(variant, Quantize(variant, "minmax"));
        var results = new List<Comparison>();
        foreach (var (name, image) in EvaluationImages(variants: 3))
        {
            var comparison = Compare(floatDetector.Detect(image), int8Detector.Detect(image), InputScale(variant, image));
            output.WriteLine($"{name}: faces float {comparison.FloatFaces} int8 {comparison.QuantizedFaces}; IoU {comparison.LowestIoU:F4}; largest keypoint distance {comparison.LargestKeypointPixels:F2} px ({comparison.LargestKeypointInputPixels:F2} input px)");
            results.Add(comparison);
        }
        var faces = results.Where(r => r.FloatFaces > 0).ToList();
        output.WriteLine($"blazeface-front minmax: {results.Sum(r => r.FloatFaces)} float faces, {results.Sum(r => r.QuantizedFaces)} int8 faces; lowest IoU {faces.Min(r => r.LowestIoU):F4}; "
            + $"largest keypoint distance {faces.Max(r => r.LargestKeypointPixels):F2} px = {faces.Max(r => r.LargestKeypointInputPixels):F2} input px");
        Assert.True(faces.Count >= 4, "the evaluation set must hold faces the float model finds");
        Assert.All(results, r => Assert.Equal(r.FloatFaces, r.QuantizedFaces));
        Assert.All(faces, r =>
        {
            Assert.Equal(r.FloatFaces, r.Matched);
            Assert.True(r.LowestIoU >= 0.9, $"IoU {r.LowestIoU}");
            Assert.True(r.LargestKeypointInputPixels <= 2, $"keypoint {r.LargestKeypointInputPixels} input px");
        });
    }

    /// <summary>BlazeFace back misses the bar today and the test says how: its int8 score output collapses to
    /// sigmoid(0) = 0.5 at every face anchor, so at the 0.65 threshold the application finds no face, and its
    /// regressors at the float model's face anchors give boxes of IoU 0.66 and keypoints 5 input px off
    /// (docs/quantization.md). Asserted is what holds: the int8 box at every float face anchor still covers the
    /// same face (IoU >= 0.5, the usual same-object criterion). Once the scores are fixed, the front model's
    /// bar should replace this one.</summary>
    [Fact]
    public void BackInt8BoxesMatchFloatAtTheFloatFaceAnchors()
    {
        var variant = BlazeFaceVariant.Back;
        var floatDetector = new FaceDetector(variant);
        var int8Detector = new FaceDetector(variant, Quantize(variant, "mse"));
        double lowestIoU = 1, largestKeypoint = 0, largestScore = 0;
        int anchors = 0, floatFaces = 0, int8Faces = 0;
        foreach (var (name, image) in EvaluationImages(variants: 3))
        {
            var reference = floatDetector.Candidates(image);
            var quantized = int8Detector.Candidates(image);
            floatFaces += FaceDetector.WeightedSuppression(reference.Where(f => f.Score >= variant.ScoreThreshold), FaceDetector.SuppressionOverlap).Count;
            int8Faces += FaceDetector.WeightedSuppression(quantized.Where(f => f.Score >= variant.ScoreThreshold), FaceDetector.SuppressionOverlap).Count;
            var selected = Enumerable.Range(0, reference.Count).Where(i => reference[i].Score >= variant.ScoreThreshold).ToList();
            foreach (int i in selected)
            {
                lowestIoU = System.Math.Min(lowestIoU, reference[i].IntersectionOverUnion(quantized[i]));
                largestKeypoint = System.Math.Max(largestKeypoint, KeypointDistance(reference[i], quantized[i]) * InputScale(variant, image));
                largestScore = System.Math.Max(largestScore, quantized[i].Score);
            }
            anchors += selected.Count;
            output.WriteLine($"{name}: {selected.Count} face anchors; int8 scores there {string.Join(", ", selected.Select(i => quantized[i].Score.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");
        }
        output.WriteLine($"blazeface-back mse: faces float {floatFaces}, int8 {int8Faces}; at the {anchors} float face anchors: lowest box IoU {lowestIoU:F4}, largest keypoint distance {largestKeypoint:F2} input px, highest int8 score {largestScore:F3}");
        Assert.True(anchors >= 8, "the evaluation set must hold faces the float model finds");
        Assert.True(lowestIoU >= 0.5, $"box IoU at the float face anchors {lowestIoU}: the int8 regressors no longer find the face");
    }
}
