using Tessera.Core;

namespace Tessera.Ops.Detection;

/// <summary>RoiAlign: for each region (x1, y1, x2, y2 scaled by spatial_scale) of image batch_indices[r],
/// pools output_height x output_width bins, each averaging (mode avg) or taking the maximum (mode max) of
/// sampling_ratio² bilinear samples (adaptive ceil(roi/bins) when 0). coordinate_transformation_mode
/// half_pixel (opset 16 default) shifts by -0.5 pixel; output_half_pixel (opset 10 behaviour) does not
/// and forces a region of at least 1x1. Sampling follows the ONNX Runtime kernel: samples more than one
/// pixel outside the image contribute 0, others clamp to the border.</summary>
[Op("RoiAlign")]
public sealed class RoiAlign : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var rois = context.Input(1);
        var batchIndices = context.Input(2);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"RoiAlign on {DataTypes.Name(x.DataType)}");
        if (x.Rank != 4) throw context.Invalid($"X must be [N, C, H, W], got {ShapeMath.Format(x.Shape)}");
        if (rois.Rank != 2 || rois.Shape[1] != 4) throw context.Invalid($"rois must be [num_rois, 4], got {ShapeMath.Format(rois.Shape)}");
        string mode = context.GetString("mode", "avg");
        if (mode is not ("avg" or "max")) throw context.Unsupported($"mode '{mode}'");
        string transform = context.Opset >= 16 ? context.GetString("coordinate_transformation_mode", "half_pixel") : "output_half_pixel";
        if (transform is not ("half_pixel" or "output_half_pixel")) throw context.Unsupported($"coordinate_transformation_mode '{transform}'");
        int outH = (int)context.GetInt("output_height", 1), outW = (int)context.GetInt("output_width", 1);
        int samplingRatio = (int)context.GetInt("sampling_ratio", 0);
        double scale = context.GetFloat("spatial_scale", 1.0f);
        bool halfPixel = transform == "half_pixel";

        int channels = x.Shape[1], height = x.Shape[2], width = x.Shape[3];
        int numRois = rois.Shape[0];
        var data = x.ToDoubleArray();
        var boxes = rois.ToDoubleArray();
        var result = new double[(long)numRois * channels * outH * outW];
        double offset = halfPixel ? 0.5 : 0;
        for (int r = 0; r < numRois; r++)
        {
            long image = batchIndices.GetInt64(r);
            if (image < 0 || image >= x.Shape[0]) throw context.Invalid($"batch index {image} is out of range");
            double startW = boxes[r * 4] * scale - offset, startH = boxes[r * 4 + 1] * scale - offset;
            double endW = boxes[r * 4 + 2] * scale - offset, endH = boxes[r * 4 + 3] * scale - offset;
            double roiW = endW - startW, roiH = endH - startH;
            if (!halfPixel)
            {
                roiW = System.Math.Max(roiW, 1);
                roiH = System.Math.Max(roiH, 1);
            }
            double binH = roiH / outH, binW = roiW / outW;
            int gridH = samplingRatio > 0 ? samplingRatio : (int)System.Math.Ceiling(roiH / outH);
            int gridW = samplingRatio > 0 ? samplingRatio : (int)System.Math.Ceiling(roiW / outW);
            int samples = System.Math.Max(gridH * gridW, 1);
            for (int c = 0; c < channels; c++)
            {
                long plane = (image * channels + c) * height * width;
                for (int ph = 0; ph < outH; ph++)
                {
                    for (int pw = 0; pw < outW; pw++)
                    {
                        double sum = 0, max = double.NegativeInfinity;
                        for (int iy = 0; iy < gridH; iy++)
                        {
                            double y = startH + ph * binH + (iy + 0.5) * binH / gridH;
                            for (int ix = 0; ix < gridW; ix++)
                            {
                                double xx = startW + pw * binW + (ix + 0.5) * binW / gridW;
                                var (v, corners) = Bilinear(data, plane, height, width, y, xx);
                                sum += v;
                                max = System.Math.Max(max, corners);
                            }
                        }
                        double value = mode == "avg" ? sum / samples : (gridH * gridW == 0 ? 0 : max);
                        result[(((long)r * channels + c) * outH + ph) * outW + pw] = value;
                    }
                }
            }
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, [numRois, channels, outH, outW], result));
    }

    /// <summary>The bilinear sample at (y, x) and, for max mode, the largest of its four weighted corner terms.</summary>
    private static (double Value, double MaxTerm) Bilinear(double[] data, long plane, int height, int width, double y, double x)
    {
        if (y < -1.0 || y > height || x < -1.0 || x > width) return (0, 0);
        if (y <= 0) y = 0;
        if (x <= 0) x = 0;
        int yLow = (int)y, xLow = (int)x, yHigh, xHigh;
        if (yLow >= height - 1) { yHigh = yLow = height - 1; y = yLow; } else yHigh = yLow + 1;
        if (xLow >= width - 1) { xHigh = xLow = width - 1; x = xLow; } else xHigh = xLow + 1;
        double ly = y - yLow, lx = x - xLow, hy = 1 - ly, hx = 1 - lx;
        double t1 = hy * hx * data[plane + (long)yLow * width + xLow];
        double t2 = hy * lx * data[plane + (long)yLow * width + xHigh];
        double t3 = ly * hx * data[plane + (long)yHigh * width + xLow];
        double t4 = ly * lx * data[plane + (long)yHigh * width + xHigh];
        return (t1 + t2 + t3 + t4, System.Math.Max(System.Math.Max(t1, t2), System.Math.Max(t3, t4)));
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        Dim rois = context.InputTensorType(1)?.Shape is { Rank: 2 } r ? r[0] : Dim.Unknown;
        Dim channels = x.Shape is { Rank: 4 } s ? s[1] : Dim.Unknown;
        context.SetOutput(0, x.ElementType, new TensorShape([rois, channels, context.GetInt("output_height", 1), context.GetInt("output_width", 1)]));
    }

    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } s ? ShapeMath.ElementCount(s) * 4 : 0;
}
