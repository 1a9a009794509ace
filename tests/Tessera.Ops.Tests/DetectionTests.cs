using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class DetectionTests
{
    // Box 0 and 1 overlap with IoU 81/119; box 2 is far away.
    private static readonly Tensor Boxes = F([1, 3, 4], 0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30);
    private static readonly Tensor Scores = F([1, 1, 3], 0.9f, 0.8f, 0.7f);

    private static long[] Nms(Tensor boxes, Tensor scores, long max, float iou, float? scoreThreshold = null, long center = 0)
    {
        var inputs = new DataValue?[] { boxes, scores, L([1], max), F([1], iou), scoreThreshold is { } s ? F([1], s) : null };
        var y = (Tensor)Run("NonMaxSuppression", inputs, 11, 1, attributes: NodeAttribute.Int("center_point_box", center))[0]!;
        Assert.Equal(3, y.Shape[1]);
        return y.As<long>();
    }

    [Fact]
    public void Suppresses_overlapping_boxes_by_iou()
    {
        Assert.Equal([0, 0, 0, 0, 0, 2], Nms(Boxes, Scores, 10, 0.5f));
        Assert.Equal([0, 0, 0, 0, 0, 1, 0, 0, 2], Nms(Boxes, Scores, 10, 0.7f));
    }

    [Fact]
    public void Limits_output_and_applies_the_score_threshold()
    {
        Assert.Equal([0, 0, 0], Nms(Boxes, Scores, 1, 0.5f));
        Assert.Empty(Nms(Boxes, Scores, 0, 0.5f));
        Assert.Equal([0, 0, 0], Nms(Boxes, Scores, 10, 0.5f, 0.75f));
    }

    [Fact]
    public void Flipped_corners_and_center_format_give_the_same_answer()
    {
        var flipped = F([1, 3, 4], 10, 10, 0, 0, 11, 11, 1, 1, 30, 30, 20, 20);
        Assert.Equal([0, 0, 0, 0, 0, 2], Nms(flipped, Scores, 10, 0.5f));
        var center = F([1, 3, 4], 5, 5, 10, 10, 6, 6, 10, 10, 25, 25, 10, 10);
        Assert.Equal([0, 0, 0, 0, 0, 2], Nms(center, Scores, 10, 0.5f, center: 1));
    }

    [Fact]
    public void Iou_of_identical_disjoint_and_degenerate_boxes()
    {
        Assert.Equal(1, Detection.NonMaxSuppression.Iou((0, 0, 2, 2), (0, 0, 2, 2)));
        Assert.Equal(0, Detection.NonMaxSuppression.Iou((0, 0, 1, 1), (2, 2, 3, 3)));
        Assert.Equal(0, Detection.NonMaxSuppression.Iou((0, 0, 0, 5), (0, 0, 1, 1)));
    }

    [Fact]
    public void RoiAlign_averages_bilinear_samples()
    {
        // 1x1x2x2 image [[0, 1], [2, 3]]; one ROI covering it with output_half_pixel: sample centres at
        // 0.5 px steps inside [0, 2) -> bilinear values average to the image mean at sampling 2.
        var x = F([1, 1, 2, 2], 0, 1, 2, 3);
        var rois = F([1, 4], 0, 0, 1, 1);
        var y = Run1("RoiAlign", [x, rois, L([1], 0)], 10, NodeAttribute.Int("sampling_ratio", 1));
        Assert.Equal([1, 1, 1, 1], y.Shape);
        Close([1.5], y); // one sample at (0.5, 0.5): bilinear of all four pixels
        var half = Run1("RoiAlign", [x, F([1, 4], 0.5f, 0.5f, 1.5f, 1.5f), L([1], 0)], 16, NodeAttribute.Int("sampling_ratio", 1));
        Close([1.5], half); // half_pixel shifts the ROI back by 0.5 to the same sample point
        var max = Run1("RoiAlign", [x, F([1, 4], 1, 1, 1, 1), L([1], 0)], 16, NodeAttribute.Int("sampling_ratio", 1), NodeAttribute.String("mode", "max"));
        Close([0.75], max); // sample at (0.5,0.5): largest weighted corner term is 0.25 * 3
    }

    [Fact]
    public void RoiAlign_rejects_bad_batch_indices()
    {
        var x = F([1, 1, 2, 2], 0, 1, 2, 3);
        Assert.Throws<InvalidInputException>(() => Run1("RoiAlign", [x, F([1, 4], 0, 0, 1, 1), L([1], 3)], 16));
    }
}
