using Tessera.Core;

namespace Tessera.Ops.Signal;

/// <summary>DFT and STFT by the direct O(n²) sum (the specification, not a fast transform). Signals
/// carry a trailing dim of 1 (real) or 2 (complex); outputs are complex (trailing dim 2). onesided keeps
/// the first floor(n/2)+1 bins; inverse uses exp(+2πi kn/N) and divides by N. DFT's axis is an attribute
/// (default 1) before opset 20 and an optional input (default -2) from opset 20; dft_length pads with
/// zeros or truncates. STFT frames the signal by frame_step, multiplies by the window (ones when absent).</summary>
[Op("DFT")]
[Op("STFT")]
public sealed class Dft : Operator
{
    public override void Execute(KernelContext context)
    {
        if (context.OpType == "STFT") Stft(context);
        else Transform(context);
    }

    private static void Transform(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"DFT on {DataTypes.Name(x.DataType)}");
        int rank = x.Rank;
        if (rank < 2 || x.Shape[^1] is not (1 or 2)) throw context.Invalid($"input shape {ShapeMath.Format(x.Shape)} must end in 1 (real) or 2 (complex)");
        long axisValue = context.Opset >= 20
            ? context.OptionalInput(2)?.GetInt64(0) ?? -2
            : context.GetInt("axis", 1);
        int axis = ShapeMath.NormalizeAxis(axisValue, rank, context.Node.DisplayName);
        if (axis == rank - 1) throw context.Invalid("the DFT axis cannot be the last (real/imaginary) dim");
        bool inverse = context.GetInt("inverse", 0) != 0;
        bool onesided = context.GetInt("onesided", 0) != 0;
        var lengthInput = context.OptionalInput(1);
        int n = lengthInput is null ? x.Shape[axis] : (int)lengthInput.GetInt64(0);
        if (n < 1) throw context.Invalid($"dft_length {n} must be positive");
        if (onesided && inverse) throw context.Unsupported("an inverse one-sided DFT");
        int bins = onesided ? n / 2 + 1 : n;

        var outShape = (int[])x.Shape.Clone();
        outShape[axis] = bins;
        outShape[^1] = 2;
        int outer = (int)ShapeMath.ElementCount(x.Shape.AsSpan(0, axis));
        int innerIn = (int)ShapeMath.ElementCount(x.Shape.AsSpan(axis + 1));
        int innerOut = (int)ShapeMath.ElementCount(outShape.AsSpan(axis + 1));
        int between = innerIn / x.Shape[^1];
        int channels = x.Shape[^1];
        int available = System.Math.Min(n, x.Shape[axis]);
        var values = x.ToDoubleArray();
        var result = new double[ShapeMath.ElementCount(outShape)];
        var re = new double[n];
        var im = new double[n];
        for (int o = 0; o < outer; o++)
        {
            for (int m = 0; m < between; m++)
            {
                Array.Clear(re);
                Array.Clear(im);
                for (int t = 0; t < available; t++)
                {
                    long index = ((long)o * x.Shape[axis] + t) * innerIn + (long)m * channels;
                    re[t] = values[index];
                    if (channels == 2) im[t] = values[index + 1];
                }
                var (fr, fi) = Transform(re, im, bins, inverse);
                for (int k = 0; k < bins; k++)
                {
                    long index = ((long)o * bins + k) * innerOut + (long)m * 2;
                    result[index] = fr[k];
                    result[index + 1] = fi[k];
                }
            }
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, outShape, result));
    }

    /// <summary>X[k] = sum_t x[t]·exp(∓2πi·k·t/N) for k &lt; bins; the inverse divides by N.</summary>
    public static (double[] Re, double[] Im) Transform(double[] re, double[] im, int bins, bool inverse)
    {
        int n = re.Length;
        double sign = inverse ? 1 : -1;
        var outRe = new double[bins];
        var outIm = new double[bins];
        for (int k = 0; k < bins; k++)
        {
            double sr = 0, si = 0;
            for (int t = 0; t < n; t++)
            {
                // Reduce k·t mod n first so the angle stays small and exact for long signals.
                double angle = sign * 2 * System.Math.PI * ((long)k * t % n) / n;
                double c = System.Math.Cos(angle), s = System.Math.Sin(angle);
                sr += re[t] * c - im[t] * s;
                si += re[t] * s + im[t] * c;
            }
            outRe[k] = inverse ? sr / n : sr;
            outIm[k] = inverse ? si / n : si;
        }
        return (outRe, outIm);
    }

    private static void Stft(KernelContext context)
    {
        var signal = context.Input(0);
        if (!DataTypes.IsFloat(signal.DataType)) throw context.Unsupported($"STFT on {DataTypes.Name(signal.DataType)}");
        if (signal.Rank != 3 || signal.Shape[2] is not (1 or 2)) throw context.Invalid($"signal shape {ShapeMath.Format(signal.Shape)} must be [batch, length, 1 or 2]");
        long step = context.Input(1).GetInt64(0);
        var window = context.OptionalInput(2);
        var lengthInput = context.OptionalInput(3);
        int frameLength = window is not null ? window.Length : lengthInput is not null ? (int)lengthInput.GetInt64(0) : throw context.Invalid("STFT needs a window or a frame_length");
        if (lengthInput is not null && window is not null && lengthInput.GetInt64(0) != window.Length) throw context.Invalid("frame_length differs from the window's length");
        bool onesided = context.GetInt("onesided", 1) != 0;
        int batch = signal.Shape[0], length = signal.Shape[1], channels = signal.Shape[2];
        if (step < 1 || frameLength < 1 || frameLength > length) throw context.Invalid($"frame_step {step} / frame_length {frameLength} do not fit a signal of {length}");
        if (onesided && channels == 2) throw context.Invalid("a one-sided STFT needs a real signal");
        int frames = (int)((length - frameLength) / step + 1);
        int bins = onesided ? frameLength / 2 + 1 : frameLength;
        var w = window?.ToDoubleArray() ?? Enumerable.Repeat(1.0, frameLength).ToArray();
        var values = signal.ToDoubleArray();
        var result = new double[(long)batch * frames * bins * 2];
        for (int b = 0; b < batch; b++)
        {
            for (int f = 0; f < frames; f++)
            {
                var re = new double[frameLength];
                var im = new double[frameLength];
                for (int t = 0; t < frameLength; t++)
                {
                    long index = ((long)b * length + f * step + t) * channels;
                    re[t] = values[index] * w[t];
                    if (channels == 2) im[t] = values[index + 1] * w[t];
                }
                var (fr, fi) = Transform(re, im, bins, false);
                for (int k = 0; k < bins; k++)
                {
                    long index = (((long)b * frames + f) * bins + k) * 2;
                    result[index] = fr[k];
                    result[index + 1] = fi[k];
                }
            }
        }
        context.SetOutput(0, Tensor.FromDoubles(signal.DataType, [batch, frames, bins, 2], result));
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        if (context.OpType == "STFT")
        {
            context.SetOutput(0, x.ElementType, x.Shape is { Rank: 3 } ? new TensorShape([x.Shape[0], Dim.Unknown, Dim.Unknown, 2]) : null);
            return;
        }
        if (x.Shape is null)
        {
            context.SetOutput(0, x.ElementType, null);
            return;
        }
        var dims = x.Shape.Dims.ToArray();
        dims[^1] = 2;
        long axisValue = context.Opset >= 20 ? context.InputConstant(2) is { Length: > 0 } a ? a.GetInt64(0) : -2 : context.GetInt("axis", 1);
        int axis = ShapeMath.NormalizeAxis(axisValue, dims.Length, context.Node.DisplayName);
        bool onesided = context.GetInt("onesided", 0) != 0;
        Dim n = context.HasInput(1) ? context.InputConstant(1) is { Length: > 0 } c ? Dim.Known(c.GetInt64(0)) : Dim.Unknown : dims[axis];
        dims[axis] = !onesided ? n : n.IsKnown ? Dim.Known(n.Value / 2 + 1) : Dim.Unknown;
        context.SetOutput(0, x.ElementType, new TensorShape(dims));
    }

    public override long Macs(CostContext context)
    {
        if (context.InputShapes[0] is not { } x || context.OutputShapes[0] is not { } y) return 0;
        // Each complex output bin sums over the whole transform length (the frame, or the input axis).
        long length = context.OpType == "STFT" ? y[2] : x[System.Math.Clamp((int)context.GetInt("axis", 1), 0, x.Length - 1)];
        return ShapeMath.ElementCount(y) / 2 * length;
    }
}
