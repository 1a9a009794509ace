using Tessera.Core;

namespace Tessera.Ops.Sampling;

/// <summary>GridSample (opset 16 four-dimensional form; opset 20 mode names linear/cubic accepted): samples
/// X [N,C,H,W] at the normalized (x, y) locations of grid [N,Hout,Wout,2] with nearest, bilinear or bicubic
/// (A = -0.75) interpolation and zeros, border or reflection padding.</summary>
[Op("GridSample")]
public sealed class GridSample : Operator
{
    private enum Mode { Nearest, Linear, Cubic }

    private enum Padding { Zeros, Border, Reflection }

    private sealed record Image(double[] Data, int Offset, int Height, int Width, Padding Padding, double XMin, double XMax, double YMin, double YMax);

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var grid = context.Input(1);
        if (x.Rank != 4 || grid.Rank != 4 || grid.Shape[3] != 2)
        {
            throw context.Unsupported($"GridSample on X {ShapeMath.Format(x.Shape)} and grid {ShapeMath.Format(grid.Shape)} (only the 2-D spatial form)");
        }
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"GridSample on {DataTypes.Name(x.DataType)}");
        var mode = context.GetString("mode", context.Opset >= 20 ? "linear" : "bilinear") switch
        {
            "nearest" => Mode.Nearest,
            "bilinear" or "linear" => Mode.Linear,
            "bicubic" or "cubic" => Mode.Cubic,
            var other => throw context.Invalid($"unknown mode '{other}'"),
        };
        var padding = context.GetString("padding_mode", "zeros") switch
        {
            "zeros" => Padding.Zeros,
            "border" => Padding.Border,
            "reflection" => Padding.Reflection,
            var other => throw context.Invalid($"unknown padding_mode '{other}'"),
        };
        bool alignCorners = context.GetInt("align_corners", 0) != 0;
        int n = x.Shape[0], channels = x.Shape[1], height = x.Shape[2], width = x.Shape[3];
        if (grid.Shape[0] != n) throw context.Invalid($"grid batch {grid.Shape[0]} differs from X batch {n}");
        int outHeight = grid.Shape[1], outWidth = grid.Shape[2];
        var source = x.ToDoubleArray();
        var g = grid.ToDoubleArray();
        var result = new double[(long)n * channels * outHeight * outWidth];
        double xMin = alignCorners ? 0 : -0.5, xMax = alignCorners ? width - 1 : width - 0.5;
        double yMin = alignCorners ? 0 : -0.5, yMax = alignCorners ? height - 1 : height - 0.5;
        for (int b = 0; b < n; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                var image = new Image(source, (b * channels + c) * height * width, height, width, padding, xMin, xMax, yMin, yMax);
                for (int oy = 0; oy < outHeight; oy++)
                {
                    for (int ox = 0; ox < outWidth; ox++)
                    {
                        int gi = ((b * outHeight + oy) * outWidth + ox) * 2;
                        double px = Denormalize(g[gi], width, alignCorners);
                        double py = Denormalize(g[gi + 1], height, alignCorners);
                        result[((b * channels + c) * outHeight + oy) * outWidth + ox] = Sample(image, px, py, mode);
                    }
                }
            }
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, [n, channels, outHeight, outWidth], result));
    }

    private static double Denormalize(double v, int length, bool alignCorners) =>
        alignCorners ? (v + 1) / 2 * (length - 1) : ((v + 1) * length - 1) / 2;

    private static double Sample(Image image, double x, double y, Mode mode)
    {
        if (mode == Mode.Nearest)
        {
            x = System.Math.Round(x, MidpointRounding.ToEven);
            y = System.Math.Round(y, MidpointRounding.ToEven);
        }
        if (x < image.XMin || x > image.XMax || y < image.YMin || y > image.YMax)
        {
            if (image.Padding == Padding.Border)
            {
                x = System.Math.Clamp(x, 0, image.Width - 1);
                y = System.Math.Clamp(y, 0, image.Height - 1);
            }
            else if (image.Padding == Padding.Reflection)
            {
                x = Reflect(x, image.XMin, image.XMax);
                y = Reflect(y, image.YMin, image.YMax);
            }
        }
        switch (mode)
        {
            case Mode.Nearest:
                return Pixel(image, (int)y, (int)x);
            case Mode.Linear:
            {
                int x1 = (int)System.Math.Floor(x), y1 = (int)System.Math.Floor(y), x2 = x1 + 1, y2 = y1 + 1;
                double dx2 = x2 - x, dx1 = x - x1, dy2 = y2 - y, dy1 = y - y1;
                return dy2 * (dx2 * Pixel(image, y1, x1) + dx1 * Pixel(image, y1, x2))
                     + dy1 * (dx2 * Pixel(image, y2, x1) + dx1 * Pixel(image, y2, x2));
            }
            default:
            {
                int x0 = (int)System.Math.Floor(x) - 1, y0 = (int)System.Math.Floor(y) - 1;
                Span<double> cx = stackalloc double[4], cy = stackalloc double[4];
                CubicCoefficients(x - x0 - 1, cx);
                CubicCoefficients(y - y0 - 1, cy);
                double sum = 0;
                for (int i = 0; i < 4; i++)
                {
                    double row = 0;
                    for (int j = 0; j < 4; j++) row += cx[j] * Pixel(image, y0 + i, x0 + j);
                    sum += cy[i] * row;
                }
                return sum;
            }
        }
    }

    /// <summary>A pixel read with the padding rule: zero outside, clamped to the border, or reflected.</summary>
    private static double Pixel(Image image, int row, int column)
    {
        switch (image.Padding)
        {
            case Padding.Zeros:
                return row < 0 || row >= image.Height || column < 0 || column >= image.Width
                    ? 0
                    : image.Data[image.Offset + row * image.Width + column];
            case Padding.Border:
                row = System.Math.Clamp(row, 0, image.Height - 1);
                column = System.Math.Clamp(column, 0, image.Width - 1);
                return image.Data[image.Offset + row * image.Width + column];
            default:
                row = System.Math.Clamp((int)Reflect(row, image.YMin, image.YMax), 0, image.Height - 1);
                column = System.Math.Clamp((int)Reflect(column, image.XMin, image.XMax), 0, image.Width - 1);
                return image.Data[image.Offset + row * image.Width + column];
        }
    }

    /// <summary>Reflects <paramref name="v"/> into [min, max] as many times as needed.</summary>
    private static double Reflect(double v, double min, double max)
    {
        double range = max - min;
        if (range <= 0) return min;
        if (v < min)
        {
            double d = min - v;
            int k = (int)(d / range);
            double r = d - k * range;
            return k % 2 == 0 ? min + r : max - r;
        }
        if (v > max)
        {
            double d = v - max;
            int k = (int)(d / range);
            double r = d - k * range;
            return k % 2 == 0 ? max - r : min + r;
        }
        return v;
    }

    /// <summary>Keys cubic convolution weights with A = -0.75 for the four taps around a fraction t.</summary>
    private static void CubicCoefficients(double t, Span<double> weights)
    {
        const double A = -0.75;
        t = System.Math.Abs(t);
        weights[0] = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
        weights[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
        weights[2] = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
        weights[3] = ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A;
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x || context.InputTensorType(1) is not { } grid) return;
        if (x.Shape is null || grid.Shape is null || x.Shape.Rank != 4 || grid.Shape.Rank != 4)
        {
            context.SetOutput(0, x.ElementType, null);
            return;
        }
        context.SetOutput(0, x.ElementType, new TensorShape([x.Shape[0], x.Shape[1], grid.Shape[1], grid.Shape[2]]));
    }

    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } s ? ShapeMath.ElementCount(s) * (context.GetString("mode", "bilinear") is "bicubic" or "cubic" ? 16 : 4) : 0;
}
