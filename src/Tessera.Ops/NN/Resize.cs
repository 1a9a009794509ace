using System.Runtime.CompilerServices;
using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>Resize (opsets 10-19: nearest/linear/cubic, every coordinate_transformation_mode and
/// nearest_mode, scales or sizes, axes and keep_aspect_ratio_policy; antialias only where it changes
/// nothing) and the older Upsample (asymmetric coordinates, nearest floor or linear). The modes are
/// separable, so each resized axis is interpolated in turn in double; an output coordinate whose source
/// falls outside the crop of tf_crop_and_resize takes extrapolation_value.</summary>
[Op("Resize")]
[Op("Upsample")]
public sealed class Resize : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.DataType == DataType.String) throw context.Unsupported("Resize on strings");
        var plan = Plan(context, x.Shape, context.OptionalInput, out var roi);
        string mode = context.GetString("mode", "nearest");
        string transform = TransformMode(context);
        string nearest = context.OpType == "Upsample" || context.Opset < 11 ? "floor" : context.GetString("nearest_mode", "round_prefer_floor");
        double cubicA = context.GetFloat("cubic_coeff_a", -0.75f);
        bool excludeOutside = context.GetInt("exclude_outside", 0) != 0;
        double extrapolation = context.GetFloat("extrapolation_value", 0f);
        if (mode is not ("nearest" or "linear" or "cubic" or "bilinear" or "trilinear")) throw context.Unsupported($"mode '{mode}'");
        if (mode is "bilinear" or "trilinear") mode = "linear";
        if (context.GetInt("antialias", 0) != 0 && mode != "nearest" && plan.Scales.Any(s => s < 1)) throw context.Unsupported("antialias when downsampling");
        if (transform == "tf_crop_and_resize" && roi is null) throw context.Invalid("tf_crop_and_resize needs an roi with a start and an end per resized axis");
        var allTaps = new (int Index, double Weight)[x.Rank][][];
        for (int axis = 0; axis < x.Rank; axis++)
        {
            int inLength = x.Shape[axis], outLength = plan.Output[axis];
            double start = roi?[axis] ?? 0, end = roi?[axis + x.Rank] ?? 1;
            var taps = allTaps[axis] = new (int Index, double Weight)[outLength][];
            for (int o = 0; o < outLength; o++)
            {
                double source = SourceCoordinate(transform, o, plan.Scales[axis], inLength, outLength, start, end);
                taps[o] = transform == "tf_crop_and_resize" && (source < 0 || source > inLength - 1)
                    ? []
                    : Taps(mode, nearest, source, inLength, cubicA, excludeOutside);
            }
        }
        if (mode == "nearest" && allTaps.All(axis => axis.All(t => t.Length == 1)))
        {
            context.SetOutput(0, GatherNearest(x, plan.Output, allTaps));
            return;
        }
        var data = x.ToDoubleArray();
        var shape = (int[])x.Shape.Clone();
        for (int axis = 0; axis < x.Rank; axis++)
        {
            var taps = allTaps[axis];
            bool identity = x.Shape[axis] == taps.Length;
            for (int o = 0; o < taps.Length && identity; o++) identity = taps[o].Length == 1 && taps[o][0].Index == o && taps[o][0].Weight == 1;
            if (identity) continue;
            data = ResizeAxis(data, shape, axis, taps, extrapolation);
            shape[axis] = taps.Length;
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, shape, data));
    }

    /// <summary>For a Resize or Upsample that is a pure gather (nearest mode, not tf_crop_and_resize), the
    /// output shape and, per axis, the input index each output index copies, exactly as <see cref="Execute"/>
    /// computes them; null otherwise (fast kernels hand such nodes to this reference).</summary>
    public static int[][]? NearestSourceIndices(KernelContext context, Tensor x, out int[] outputShape)
    {
        outputShape = [];
        if (context.GetString("mode", "nearest") != "nearest") return null;
        string transform = TransformMode(context);
        if (transform == "tf_crop_and_resize") return null;
        string nearest = context.OpType == "Upsample" || context.Opset < 11 ? "floor" : context.GetString("nearest_mode", "round_prefer_floor");
        var plan = Plan(context, x.Shape, context.OptionalInput, out var roi);
        var maps = new int[x.Rank][];
        for (int axis = 0; axis < x.Rank; axis++)
        {
            int inLength = x.Shape[axis], outLength = plan.Output[axis];
            double start = roi?[axis] ?? 0, end = roi?[axis + x.Rank] ?? 1;
            var map = maps[axis] = new int[outLength];
            for (int o = 0; o < outLength; o++)
            {
                double source = SourceCoordinate(transform, o, plan.Scales[axis], inLength, outLength, start, end);
                map[o] = Taps("nearest", nearest, source, inLength, 0, false)[0].Index;
            }
        }
        outputShape = plan.Output;
        return maps;
    }

    /// <summary>Nearest mode without extrapolation is a pure gather: each output element copies one
    /// input element, so every type is exact and float32 needs no conversion.</summary>
    private static Tensor GatherNearest(Tensor x, int[] outShape, (int Index, double Weight)[][][] taps)
    {
        int rank = x.Rank;
        var result = Tensor.Zeros(x.DataType, outShape);
        if (result.Length == 0) return result;
        var inStrides = ShapeMath.Strides(x.Shape);
        int rowLength = rank == 0 ? 1 : outShape[^1];
        int[] lastMap = rank == 0 ? [0] : taps[^1].Select(t => t[0].Index).ToArray();
        int rows = result.Length / rowLength;
        var index = new int[System.Math.Max(rank - 1, 0)];
        for (int row = 0; row < rows; row++)
        {
            int rest = row, source = 0;
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d] = rest % outShape[d];
                rest /= outShape[d];
                source += taps[d][index[d]][0].Index * inStrides[d];
            }
            int target = row * rowLength;
            if (x.Data is float[] xf)
            {
                var yf = (float[])result.Data;
                for (int j = 0; j < rowLength; j++) yf[target + j] = xf[source + lastMap[j]];
            }
            else
            {
                for (int j = 0; j < rowLength; j++) Array.Copy(x.Data, source + lastMap[j], result.Data, target + j, 1);
            }
        }
        return result;
    }

    /// <summary>Upsample and opset-10 Resize have no coordinate_transformation_mode: they are asymmetric.</summary>
    private static string TransformMode(KernelContext context) =>
        context.OpType == "Upsample" || context.Opset < 11 ? "asymmetric" : context.GetString("coordinate_transformation_mode", "half_pixel");

    /// <summary>Output shape and per-axis scale of a Resize or Upsample node.</summary>
    private sealed record ResizePlan(int[] Output, double[] Scales);

    private static ResizePlan Plan(AttributeReader context, int[] input, Func<int, Tensor?> inputs, out double[]? roi)
    {
        int rank = input.Length;
        roi = null;
        float[]? scales;
        long[]? sizes = null;
        if (context.OpType == "Upsample")
        {
            scales = context.Node.Inputs.Count > 1 ? inputs(1)?.ToFloatArray() : context.GetFloats("scales");
        }
        else if (IsOpset10(context))
        {
            scales = inputs(1)?.ToFloatArray();
        }
        else
        {
            var roiTensor = inputs(1);
            if (roiTensor is { Length: > 0 }) roi = roiTensor.ToDoubleArray();
            scales = inputs(2) is { Length: > 0 } s ? s.ToFloatArray() : null;
            sizes = inputs(3) is { Length: > 0 } z ? z.ToInt64Array() : null;
        }
        if (scales is null && sizes is null) throw new ModelFormatException("Resize needs scales or sizes", context.Node.DisplayName);
        var axes = (context.GetInts("axes") ?? Enumerable.Range(0, rank).Select(a => (long)a).ToArray())
            .Select(a => ShapeMath.NormalizeAxis(a, rank, context.Node.DisplayName)).ToArray();
        int given = scales?.Length ?? sizes!.Length;
        if (given != axes.Length) throw new InvalidInputException($"{(scales is null ? "sizes" : "scales")} has {given} values, expected {axes.Length}", context.Node.DisplayName);
        if (roi is not null)
        {
            // roi only matters to tf_crop_and_resize; Execute rejects that mode without a usable roi.
            if (roi.Length != 2 * axes.Length) roi = null;
        }
        if (roi is not null)
        {
            var full = new double[2 * rank];
            for (int i = 0; i < rank; i++) full[i + rank] = 1;
            for (int i = 0; i < axes.Length; i++)
            {
                full[axes[i]] = roi[i];
                full[axes[i] + rank] = roi[i + axes.Length];
            }
            roi = full;
        }
        var output = (int[])input.Clone();
        var scale = Enumerable.Repeat(1.0, rank).ToArray();
        if (scales is not null)
        {
            for (int i = 0; i < axes.Length; i++)
            {
                if (!(scales[i] > 0)) throw new InvalidInputException($"scale {scales[i]} must be positive", context.Node.DisplayName);
                scale[axes[i]] = scales[i];
                output[axes[i]] = checked((int)System.Math.Floor(input[axes[i]] * (double)scales[i]));
            }
            return new ResizePlan(output, scale);
        }
        string policy = context.GetString("keep_aspect_ratio_policy", "stretch");
        if (policy == "stretch")
        {
            for (int i = 0; i < axes.Length; i++)
            {
                output[axes[i]] = checked((int)sizes![i]);
                scale[axes[i]] = input[axes[i]] == 0 ? 1 : (double)sizes[i] / input[axes[i]];
            }
            return new ResizePlan(output, scale);
        }
        if (policy is not ("not_larger" or "not_smaller")) throw context.Unsupported($"keep_aspect_ratio_policy '{policy}'");
        var ratios = axes.Select((a, i) => (double)sizes![i] / input[a]).ToArray();
        double common = policy == "not_larger" ? ratios.Min() : ratios.Max();
        foreach (var a in axes)
        {
            scale[a] = common;
            output[a] = (int)System.Math.Round(common * input[a], MidpointRounding.ToEven);
        }
        return new ResizePlan(output, scale);
    }

    private static bool IsOpset10(AttributeReader context) => context switch
    {
        KernelContext k => k.Opset < 11,
        InferenceContext i => i.Opset < 11,
        _ => false,
    };

    /// <summary>Where output coordinate <paramref name="o"/> samples the input along one axis.</summary>
    /// <remarks>As in the ONNX reference, the resized length in these formulas is scale x input length,
    /// which need not be a whole number when scales (not sizes) are given.</remarks>
    public static double SourceCoordinate(string mode, int o, double scale, int inLength, int outLength, double roiStart, double roiEnd)
    {
        double resized = scale * inLength;
        switch (mode)
        {
            case "half_pixel":
                return (o + 0.5) / scale - 0.5;
            case "half_pixel_symmetric":
                double adjustment = outLength / resized;
                double offset = inLength / 2.0 * (1 - adjustment);
                return offset + (o + 0.5) / scale - 0.5;
            case "pytorch_half_pixel":
                return resized > 1 ? (o + 0.5) / scale - 0.5 : 0;
            case "align_corners":
                return resized == 1 ? 0 : o * (inLength - 1) / (resized - 1);
            case "asymmetric":
                return o / scale;
            case "tf_half_pixel_for_nn":
                return (o + 0.5) / scale;
            case "tf_crop_and_resize":
                return resized > 1
                    ? roiStart * (inLength - 1) + o * (roiEnd - roiStart) * (inLength - 1) / (resized - 1)
                    : 0.5 * (roiStart + roiEnd) * (inLength - 1);
            default:
                throw new UnsupportedException($"coordinate_transformation_mode '{mode}' is not supported by the reference backend");
        }
    }

    /// <summary>Input indices and weights that make one output value along one axis.</summary>
    public static (int Index, double Weight)[] Taps(string mode, string nearestMode, double x, int length, double cubicA, bool excludeOutside)
    {
        int Clamp(int i) => System.Math.Clamp(i, 0, length - 1);
        if (mode == "nearest")
        {
            double r = nearestMode switch
            {
                "round_prefer_floor" => x - System.Math.Floor(x) == 0.5 ? System.Math.Floor(x) : System.Math.Round(x),
                "round_prefer_ceil" => x - System.Math.Floor(x) == 0.5 ? System.Math.Ceiling(x) : System.Math.Round(x),
                "floor" => System.Math.Floor(x),
                "ceil" => System.Math.Ceiling(x),
                _ => throw new UnsupportedException($"nearest_mode '{nearestMode}' is not supported by the reference backend"),
            };
            return [(Clamp((int)r), 1)];
        }
        int floor = (int)System.Math.Floor(x);
        double t = x - floor;
        if (mode == "linear")
        {
            if (t == 0) return [(Clamp(floor), 1)];
            return [(Clamp(floor), 1 - t), (Clamp(floor + 1), t)];
        }
        double a = cubicA;
        double s = 1 - t;
        double[] weights =
        [
            ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
        ];
        var taps = new (int, double)[4];
        double total = 0;
        for (int i = 0; i < 4; i++)
        {
            int index = floor - 1 + i;
            if (excludeOutside && (index < 0 || index >= length)) weights[i] = 0;
            total += weights[i];
        }
        for (int i = 0; i < 4; i++) taps[i] = (Clamp(floor - 1 + i), excludeOutside ? weights[i] / total : weights[i]);
        return taps;
    }

    /// <summary>Interpolates <paramref name="data"/> of <paramref name="shape"/> along one axis.</summary>
    private static double[] ResizeAxis(double[] data, int[] shape, int axis, (int Index, double Weight)[][] taps, double extrapolation)
    {
        int outer = (int)ShapeMath.ElementCount(shape.AsSpan(0, axis));
        int inner = (int)ShapeMath.ElementCount(shape.AsSpan(axis + 1));
        int inLength = shape[axis], outLength = taps.Length;
        var result = new double[(long)outer * outLength * inner];
        Parallel.For(0, outer, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) =>
        {
            int inBase = b * inLength * inner, outBase = b * outLength * inner;
            for (int o = 0; o < outLength; o++)
            {
                var oTaps = taps[o];
                int target = outBase + o * inner;
                if (oTaps.Length == 0)
                {
                    Array.Fill(result, extrapolation, target, inner);
                    continue;
                }
                if (inner == 1)
                {
                    double sum = 0;
                    for (int t = 0; t < oTaps.Length; t++) sum += oTaps[t].Weight * data[inBase + oTaps[t].Index];
                    result[target] = sum;
                    continue;
                }
                for (int t = 0; t < oTaps.Length; t++)
                {
                    double weight = oTaps[t].Weight;
                    int source = inBase + oTaps[t].Index * inner;
                    if (weight == 1 && oTaps.Length == 1)
                    {
                        Array.Copy(data, source, result, target, inner);
                        continue;
                    }
                    for (int i = 0; i < inner; i++) result[target + i] += weight * data[source + i];
                }
            }
        });
        return result;
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        if (x.Shape?.ToConcrete() is not { } shape)
        {
            context.SetOutput(0, x.ElementType, x.Shape is null ? null : new TensorShape(Enumerable.Repeat(Dim.Unknown, x.Shape.Rank)));
            return;
        }
        for (int i = 1; i < context.InputCount; i++)
        {
            if (context.HasInput(i) && context.InputConstant(i) is null)
            {
                context.SetOutput(0, x.ElementType, new TensorShape(Enumerable.Repeat(Dim.Unknown, shape.Length)));
                return;
            }
        }
        var plan = Plan(context, shape, context.InputConstant, out _);
        context.SetOutput(0, x.ElementType, TensorShape.FromConcrete(plan.Output));
    }
}
