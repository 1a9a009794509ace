using System.Runtime.CompilerServices;
using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>BatchNormalization (inference, and training_mode which normalizes with the batch statistics
/// and returns updated running statistics), InstanceNormalization, LayerNormalization (with the
/// optional Mean and InvStdDev outputs) and GroupNormalization. Statistics are computed in double;
/// variances are population variances, as in the ONNX reference.</summary>
[Op("BatchNormalization")]
[Op("InstanceNormalization")]
[Op("LayerNormalization")]
[Op("GroupNormalization")]
public sealed class Normalization : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(x.DataType)}");
        switch (context.OpType)
        {
            case "BatchNormalization": BatchNorm(context, x); break;
            case "InstanceNormalization": InstanceNorm(context, x); break;
            case "LayerNormalization": LayerNorm(context, x); break;
            default: GroupNorm(context, x); break;
        }
    }

    private static void BatchNorm(KernelContext context, Tensor x)
    {
        if (x.Rank < 2) throw context.Invalid($"X must have rank 2 or more, got {ShapeMath.Format(x.Shape)}");
        if (context.Opset < 9 && context.GetInt("spatial", 1) == 0) throw context.Unsupported("spatial=0");
        int channels = x.Shape[1], n = x.Shape[0];
        int inner = (int)ShapeMath.ElementCount(x.Shape.AsSpan(2));
        var scale = Vector(context, 1, channels);
        var bias = Vector(context, 2, channels);
        var mean = Vector(context, 3, channels);
        var variance = Vector(context, 4, channels);
        double epsilon = context.GetFloat("epsilon", 1e-5f);
        // Before opset 14 the extra outputs only exist in training graphs; inference ignores them.
        bool training = context.Opset >= 14 && context.GetInt("training_mode", 0) != 0;
        if (training)
        {
            double momentum = context.GetFloat("momentum", 0.9f);
            var batchMean = new double[channels];
            var batchVariance = new double[channels];
            var values = x.ToDoubleArray();
            for (int c = 0; c < channels; c++)
            {
                double sum = 0, squares = 0;
                for (int b = 0; b < n; b++)
                {
                    for (int i = 0; i < inner; i++) sum += values[(b * channels + c) * inner + i];
                }
                batchMean[c] = sum / ((double)n * inner);
                for (int b = 0; b < n; b++)
                {
                    for (int i = 0; i < inner; i++) squares += Square(values[(b * channels + c) * inner + i] - batchMean[c]);
                }
                batchVariance[c] = squares / ((double)n * inner);
            }
            context.SetOutput(0, Apply(x, scale, bias, batchMean, batchVariance, epsilon, inner));
            var meanType = context.Input(3).DataType;
            context.SetOutput(1, Tensor.FromDoubles(meanType, [channels], mean.Select((m, c) => m * momentum + batchMean[c] * (1 - momentum)).ToArray()));
            context.SetOutput(2, Tensor.FromDoubles(meanType, [channels], variance.Select((v, c) => v * momentum + batchVariance[c] * (1 - momentum)).ToArray()));
            return;
        }
        context.SetOutput(0, Apply(x, scale, bias, mean, variance, epsilon, inner));
    }

    /// <summary>y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c], channel c = axis 1.</summary>
    private static Tensor Apply(Tensor x, double[] scale, double[] bias, double[] mean, double[] variance, double epsilon, int inner)
    {
        int channels = x.Shape[1];
        var factor = new double[channels];
        var shift = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            factor[c] = scale[c] / System.Math.Sqrt(variance[c] + epsilon);
            shift[c] = bias[c] - mean[c] * factor[c];
        }
        var result = Tensor.Zeros(x.DataType, x.Shape);
        int planes = x.Length / System.Math.Max(inner, 1);
        if (x.Data is float[] xf)
        {
            var yf = result.As<float>();
            Parallel.For(0, inner == 0 ? 0 : planes, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
            {
                float a = (float)factor[p % channels], b = (float)shift[p % channels];
                for (int i = p * inner; i < (p + 1) * inner; i++) yf[i] = xf[i] * a + b;
            });
            return result;
        }
        for (int i = 0; i < x.Length; i++) result.SetDouble(i, x.GetDouble(i) * factor[i / inner % channels] + shift[i / inner % channels]);
        return result;
    }

    private static double[] Vector(KernelContext context, int input, int length)
    {
        var t = context.Input(input);
        if (t.Length != length) throw context.Invalid($"input {input} has {t.Length} values, expected {length}");
        return t.ToDoubleArray();
    }

    private static double Square(double v) => v * v;

    private static void InstanceNorm(KernelContext context, Tensor x)
    {
        if (x.Rank < 3) throw context.Invalid($"X must have rank 3 or more, got {ShapeMath.Format(x.Shape)}");
        int channels = x.Shape[1];
        var scale = Vector(context, 1, channels);
        var bias = Vector(context, 2, channels);
        double epsilon = context.GetFloat("epsilon", 1e-5f);
        int inner = (int)ShapeMath.ElementCount(x.Shape.AsSpan(2));
        var values = x.ToDoubleArray();
        var y = new double[values.Length];
        for (int p = 0; p < x.Shape[0] * channels; p++)
        {
            NormalizeSlice(values, y, p * inner, inner, epsilon, out _, out _);
            int c = p % channels;
            for (int i = p * inner; i < (p + 1) * inner; i++) y[i] = y[i] * scale[c] + bias[c];
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, x.Shape, y));
    }

    /// <summary>y[start..start+count] = (x - mean) / sqrt(var + eps) over that contiguous slice.</summary>
    private static void NormalizeSlice(double[] x, double[] y, int start, int count, double epsilon, out double mean, out double invStdDev)
    {
        double sum = 0;
        for (int i = start; i < start + count; i++) sum += x[i];
        mean = count == 0 ? 0 : sum / count;
        double squares = 0;
        for (int i = start; i < start + count; i++) squares += Square(x[i] - mean);
        invStdDev = 1 / System.Math.Sqrt((count == 0 ? 0 : squares / count) + epsilon);
        for (int i = start; i < start + count; i++) y[i] = (x[i] - mean) * invStdDev;
    }

    private static void LayerNorm(KernelContext context, Tensor x)
    {
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", -1), x.Rank, context.Node.DisplayName);
        double epsilon = context.GetFloat("epsilon", 1e-5f);
        int outer = (int)ShapeMath.ElementCount(x.Shape.AsSpan(0, axis));
        int inner = (int)ShapeMath.ElementCount(x.Shape.AsSpan(axis));
        var normalized = x.Shape[axis..];
        var scale = context.Input(1);
        var bias = context.OptionalInput(2);
        int[] ScaleMap(Tensor t) => ShapeMath.TryBroadcast(t.Shape, normalized) is { } s && s.SequenceEqual(normalized)
            ? ShapeMath.BroadcastIndexMap(t.Shape, normalized)
            : throw context.Invalid($"{ShapeMath.Format(t.Shape)} cannot be broadcast to the normalized shape {ShapeMath.Format(normalized)}");
        var scaleMap = ScaleMap(scale);
        var biasMap = bias is null ? null : ScaleMap(bias);
        var scaleValues = scale.ToDoubleArray();
        var biasValues = bias?.ToDoubleArray();
        var values = x.ToDoubleArray();
        var y = new double[values.Length];
        var means = new double[outer];
        var inverse = new double[outer];
        Parallel.For(0, outer, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o) =>
        {
            NormalizeSlice(values, y, o * inner, inner, epsilon, out means[o], out inverse[o]);
            for (int i = 0; i < inner; i++)
            {
                y[o * inner + i] = y[o * inner + i] * scaleValues[scaleMap[i]] + (biasValues is null ? 0 : biasValues[biasMap![i]]);
            }
        });
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, x.Shape, y));
        int[] statShape = [.. x.Shape[..axis], .. Enumerable.Repeat(1, x.Rank - axis)];
        var statType = StatType(context.GetInt("stash_type", 1), x.DataType);
        context.SetOutput(1, Tensor.FromDoubles(statType, statShape, means));
        context.SetOutput(2, Tensor.FromDoubles(statType, statShape, inverse));
    }

    private static DataType StatType(long stashType, DataType fallback) =>
        Enum.IsDefined((DataType)stashType) && DataTypes.IsFloat((DataType)stashType) ? (DataType)stashType : fallback;

    private static void GroupNorm(KernelContext context, Tensor x)
    {
        if (x.Rank < 2) throw context.Invalid($"X must have rank 2 or more, got {ShapeMath.Format(x.Shape)}");
        int groups = checked((int)context.GetInt("num_groups"));
        int channels = x.Shape[1];
        if (groups <= 0 || channels % groups != 0) throw context.Invalid($"{channels} channels cannot be split into {groups} groups");
        // Opset 18 gives one scale and bias per group; opset 21 one per channel.
        int perScale = context.Opset >= 21 ? channels : groups;
        var scale = Vector(context, 1, perScale);
        var bias = Vector(context, 2, perScale);
        double epsilon = context.GetFloat("epsilon", 1e-5f);
        int inner = (int)ShapeMath.ElementCount(x.Shape.AsSpan(2));
        int groupSize = channels / groups * inner;
        var values = x.ToDoubleArray();
        var y = new double[values.Length];
        for (int g = 0; g < x.Shape[0] * groups; g++) NormalizeSlice(values, y, g * groupSize, groupSize, epsilon, out _, out _);
        for (int i = 0; i < y.Length; i++)
        {
            int c = i / System.Math.Max(inner, 1) % channels;
            int k = perScale == channels ? c : c / (channels / groups);
            y[i] = y[i] * scale[k] + bias[k];
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, x.Shape, y));
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        context.SetOutput(0, x.ElementType, x.Shape);
        if (context.OpType == "BatchNormalization")
        {
            var meanType = context.InputTensorType(3)?.ElementType ?? x.ElementType;
            var channels = x.Shape is { Rank: >= 2 } s ? s[1] : Dim.Unknown;
            for (int i = 1; i < 3; i++) context.SetOutput(i, meanType, new TensorShape(new[] { channels }));
        }
        else if (context.OpType == "LayerNormalization" && x.Shape is { } shape)
        {
            int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", -1), shape.Rank, context.Node.DisplayName);
            var statShape = new TensorShape(shape.Dims.Select((d, i) => i < axis ? d : Dim.Known(1)));
            var statType = StatType(context.GetInt("stash_type", 1), x.ElementType);
            context.SetOutput(1, statType, statShape);
            context.SetOutput(2, statType, statShape);
        }
    }
}
