using Tessera.Core;

namespace Tessera.Ops.Loss;

/// <summary>NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. Input is [N, C, d1..dk] (scores or
/// log-probabilities), target is [N, d1..dk] with class indices; optional weight is [C]. A target equal
/// to ignore_index contributes nothing and no weight. reduction: "none" keeps [N, d1..dk], "sum" adds,
/// "mean" divides the sum by the total weight of the counted targets. SoftmaxCrossEntropyLoss applies
/// log-softmax over C first and can also return that log-probability tensor.</summary>
[Op("NegativeLogLikelihoodLoss")]
[Op("SoftmaxCrossEntropyLoss")]
public sealed class ClassificationLoss : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var target = context.Input(1);
        var weight = context.OptionalInput(2);
        if (!DataTypes.IsFloat(input.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(input.DataType)}");
        if (input.Rank < 2) throw context.Invalid($"input must have rank >= 2, got {ShapeMath.Format(input.Shape)}");
        string reduction = context.GetString("reduction", "mean");
        if (reduction is not ("none" or "sum" or "mean")) throw context.Unsupported($"reduction '{reduction}'");
        long? ignoreIndex = context.Has("ignore_index") ? context.GetInt("ignore_index") : null;

        int n = input.Shape[0], c = input.Shape[1];
        int inner = (int)ShapeMath.ElementCount(input.Shape.AsSpan(2));
        var targetShape = new int[input.Rank - 1];
        targetShape[0] = n;
        Array.Copy(input.Shape, 2, targetShape, 1, input.Rank - 2);
        if (!target.Shape.SequenceEqual(targetShape))
        {
            throw context.Invalid($"target shape {ShapeMath.Format(target.Shape)} does not match input {ShapeMath.Format(input.Shape)}");
        }

        var x = input.ToDoubleArray();
        bool softmax = context.OpType == "SoftmaxCrossEntropyLoss";
        if (softmax) LogSoftmaxOverClasses(x, n, c, inner);

        var labels = target.ToInt64Array();
        var w = weight?.ToDoubleArray();
        var loss = new double[labels.Length];
        double weightSum = 0;
        for (int b = 0; b < n; b++)
        {
            for (int i = 0; i < inner; i++)
            {
                int t = b * inner + i;
                long label = labels[t];
                if (ignoreIndex == label) continue;
                if (label < 0 || label >= c) throw context.Invalid($"target {label} is outside [0, {c})");
                double wt = w?[label] ?? 1.0;
                loss[t] = -x[((long)b * c + label) * inner + i] * wt;
                weightSum += wt;
            }
        }

        Tensor output = reduction switch
        {
            "none" => Tensor.FromDoubles(input.DataType, targetShape, loss),
            "sum" => Tensor.FromDoubles(input.DataType, [], [loss.Sum()]),
            _ => Tensor.FromDoubles(input.DataType, [], [loss.Sum() / weightSum]),
        };
        context.SetOutput(0, output);
        if (softmax && context.IsOutputUsed(1)) context.SetOutput(1, Tensor.FromDoubles(input.DataType, input.Shape, x));
    }

    /// <summary>In place: x[b, :, i] = x[b, :, i] - log(sum(exp(x[b, :, i]))), stabilized by the max.</summary>
    private static void LogSoftmaxOverClasses(double[] x, int n, int c, int inner)
    {
        for (int b = 0; b < n; b++)
        {
            for (int i = 0; i < inner; i++)
            {
                long first = (long)b * c * inner + i;
                double max = double.NegativeInfinity;
                for (int k = 0; k < c; k++) max = System.Math.Max(max, x[first + (long)k * inner]);
                double sum = 0;
                for (int k = 0; k < c; k++) sum += System.Math.Exp(x[first + (long)k * inner] - max);
                double logSum = System.Math.Log(sum) + max;
                for (int k = 0; k < c; k++) x[first + (long)k * inner] -= logSum;
            }
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } input) return;
        string reduction = context.GetString("reduction", "mean");
        TensorShape? shape = reduction != "none"
            ? new TensorShape(Array.Empty<long>())
            : input.Shape is { Rank: >= 2 } s ? new TensorShape(s.Dims.Where((_, i) => i != 1)) : null;
        context.SetOutput(0, input.ElementType, shape);
        if (context.OpType == "SoftmaxCrossEntropyLoss") context.SetOutputType(1, input);
    }

    public override long Macs(CostContext context) =>
        context.InputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;
}
