using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>LpNormalization (x / ||x||_p along one axis), MeanVarianceNormalization
/// ((x - mean) / (std + 1e-9) over the given axes) and LRN (cross-channel local response
/// normalization). Computed in double.</summary>
[Op("LpNormalization")]
[Op("MeanVarianceNormalization")]
[Op("LRN")]
public sealed class LocalNormalization : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(x.DataType)}");
        var values = x.ToDoubleArray();
        var y = context.OpType switch
        {
            "LpNormalization" => LpNormalize(context, x.Shape, values),
            "MeanVarianceNormalization" => MeanVariance(context, x.Shape, values),
            _ => ResponseNormalize(context, x.Shape, values),
        };
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, x.Shape, y));
    }

    private static double[] LpNormalize(KernelContext context, int[] shape, double[] x)
    {
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", -1), shape.Length, context.Node.DisplayName);
        long p = context.GetInt("p", 2);
        if (p is not (1 or 2)) throw context.Invalid($"p must be 1 or 2, got {p}");
        var reduced = (int[])shape.Clone();
        reduced[axis] = 1;
        var map = ShapeMath.BroadcastIndexMap(reduced, shape);
        var norms = new double[ShapeMath.ElementCount(reduced)];
        for (int i = 0; i < x.Length; i++) norms[map[i]] += p == 1 ? System.Math.Abs(x[i]) : x[i] * x[i];
        if (p == 2) for (int i = 0; i < norms.Length; i++) norms[i] = System.Math.Sqrt(norms[i]);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / norms[map[i]];
        return y;
    }

    private static double[] MeanVariance(KernelContext context, int[] shape, double[] x)
    {
        var axes = context.GetInts("axes") ?? [0, 2, 3];
        var reduced = (int[])shape.Clone();
        foreach (var a in axes) reduced[ShapeMath.NormalizeAxis(a, shape.Length, context.Node.DisplayName)] = 1;
        var map = ShapeMath.BroadcastIndexMap(reduced, shape);
        int groups = (int)ShapeMath.ElementCount(reduced);
        double count = groups == 0 ? 0 : (double)x.Length / groups;
        var mean = new double[groups];
        var squares = new double[groups];
        for (int i = 0; i < x.Length; i++)
        {
            mean[map[i]] += x[i];
            squares[map[i]] += x[i] * x[i];
        }
        for (int g = 0; g < groups; g++)
        {
            mean[g] /= count;
            // E[x^2] - E[x]^2, as the ONNX function body computes it.
            squares[g] = System.Math.Sqrt(System.Math.Max(squares[g] / count - mean[g] * mean[g], 0)) + 1e-9;
        }
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = (x[i] - mean[map[i]]) / squares[map[i]];
        return y;
    }

    private static double[] ResponseNormalize(KernelContext context, int[] shape, double[] x)
    {
        if (shape.Length < 3) throw context.Invalid($"X must have rank 3 or more, got {ShapeMath.Format(shape)}");
        int size = checked((int)context.GetInt("size"));
        if (size <= 0) throw context.Invalid($"size must be positive, got {size}");
        double alpha = context.GetFloat("alpha", 1e-4f), beta = context.GetFloat("beta", 0.75f), bias = context.GetFloat("bias", 1f);
        int channels = shape[1], inner = (int)ShapeMath.ElementCount(shape.AsSpan(2));
        int before = (size - 1) / 2, after = size - 1 - before;
        var y = new double[x.Length];
        for (int b = 0; b < shape[0]; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                int lo = System.Math.Max(0, c - before), hi = System.Math.Min(channels - 1, c + after);
                for (int i = 0; i < inner; i++)
                {
                    double sum = 0;
                    for (int k = lo; k <= hi; k++)
                    {
                        double v = x[(b * channels + k) * inner + i];
                        sum += v * v;
                    }
                    int at = (b * channels + c) * inner + i;
                    y[at] = x[at] / System.Math.Pow(bias + alpha / size * sum, beta);
                }
            }
        }
        return y;
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);
}
