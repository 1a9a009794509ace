using Tessera.Media;
using Tessera.Apps;
using Tessera.Core;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Apps.Tests;

public sealed class FaceDetectorTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("blazeface-front")]
    [InlineData("blazeface-back")]
    public void Astronaut_has_exactly_one_face_holding_both_eyes_and_the_mouth(string model)
    {
        TestAssets.Model(model);
        var detector = new FaceDetector(BlazeFaceVariant.Named(model));
        var faces = detector.Detect(RgbImage.Load(TestAssets.Image("astronaut.png")));
        foreach (var face in faces) output.WriteLine($"{model}: {face.Left:F1},{face.Top:F1} - {face.Right:F1},{face.Bottom:F1} score {face.Score:F3}");
        var only = Assert.Single(faces);
        Assert.True(only.Contains(only.Keypoint("right_eye")), "right eye outside the box");
        Assert.True(only.Contains(only.Keypoint("left_eye")), "left eye outside the box");
        Assert.True(only.Contains(only.Keypoint("mouth")), "mouth outside the box");
        // The face sits in the upper middle of the 512x512 photo; a box elsewhere means wrong anchor decoding.
        Assert.InRange((only.Left + only.Right) / 2, 150, 300);
        Assert.InRange((only.Top + only.Bottom) / 2, 60, 220);
        Assert.True(only.Keypoint("mouth").Y > only.Keypoint("right_eye").Y, "mouth above the eyes");
    }

    [Theory]
    [InlineData("blazeface-front")]
    [InlineData("blazeface-back")]
    public void Coffee_cup_has_no_face(string model)
    {
        TestAssets.Model(model);
        var detector = new FaceDetector(BlazeFaceVariant.Named(model));
        Assert.Empty(detector.Detect(RgbImage.Load(TestAssets.Image("coffee.png"))));
    }

    [Fact]
    public void Anchors_follow_the_two_head_layout()
    {
        var anchors = FaceDetector.CreateAnchors();
        Assert.Equal(896, anchors.Count);
        Assert.Equal(new PointF(0.5 / 16, 0.5 / 16), anchors[0]);
        Assert.Equal(anchors[0], anchors[1]);
        Assert.Equal(new PointF(1.5 / 16, 0.5 / 16), anchors[2]);
        Assert.Equal(new PointF(0.5 / 8, 0.5 / 8), anchors[512]);
        Assert.Equal(new PointF(7.5 / 8, 7.5 / 8), anchors[895]);
    }

    [Fact]
    public void Weighted_suppression_averages_overlapping_boxes_by_score()
    {
        var keypoints = Enumerable.Repeat(new PointF(0, 0), 6).ToArray();
        var faces = FaceDetector.WeightedSuppression(
        [
            new Face(0, 0, 10, 10, 0.9, keypoints),
            new Face(2, 0, 12, 10, 0.3, keypoints),
            new Face(50, 50, 60, 60, 0.8, keypoints),
        ], 0.3);
        Assert.Equal(2, faces.Count);
        Assert.Equal(0.5, faces[0].Left, 6);
        Assert.Equal(10.5, faces[0].Right, 6);
        Assert.Equal(0.9, faces[0].Score);
        Assert.Equal(50, faces[1].Left);
    }

    [Fact]
    public void Drawing_writes_a_png_that_decodes_with_green_box_pixels()
    {
        var image = new RgbImage(40, 30, new byte[40 * 30 * 3]);
        var face = new Face(5, 5, 30, 25, 1, Enumerable.Repeat(new PointF(15, 15), 6).ToArray());
        var drawn = FaceDetector.Draw(image, [face]);
        var path = Path.Combine(Path.GetTempPath(), $"tessera-faces-{Guid.NewGuid():N}.png");
        try
        {
            drawn.SavePng(path);
            var decoded = RgbImage.Load(path);
            Assert.Equal(drawn.Pixels, decoded.Pixels);
            int corner = (5 * 40 + 5) * 3;
            Assert.Equal([0, 255, 0], decoded.Pixels[corner..(corner + 3)]);
            int centre = (15 * 40 + 15) * 3;
            Assert.Equal([255, 0, 0], decoded.Pixels[centre..(centre + 3)]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Unknown_backend_is_invalid_input()
    {
        var error = Assert.Throws<InvalidInputException>(() => new FaceDetector(BlazeFaceVariant.Front, "gpu"));
        Assert.Contains("unknown backend 'gpu'", error.Message);
    }
}
