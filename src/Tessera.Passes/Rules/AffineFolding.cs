using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Folds a per-output-channel affine map y' = scale[c]*y + shift[c] into the weights and bias of
/// the Conv, ConvTranspose or Gemm that produced y. Shared by the BatchNormalization, Mul and Add rules.</summary>
public static class AffineFolding
{
    /// <summary>Output channel count of a foldable producer, or null when it cannot absorb an affine map
    /// (non-constant weights or bias, unsupported attributes).</summary>
    public static int? OutputChannels(Node producer)
    {
        if (producer.Domain.Length != 0 || producer.Input(1)?.Constant is not { } w || !DataTypes.IsFloat(w.DataType)) return null;
        if (producer.Input(2) is { } b && b.Constant is null) return null;
        long group = producer.Attribute("group")?.Value as long? ?? 1;
        int? channels = producer.OpType switch
        {
            "Conv" when w.Rank >= 3 => w.Shape[0],
            "ConvTranspose" when w.Rank >= 3 => (int)(w.Shape[1] * group),
            "Gemm" when w.Rank == 2 => (producer.Attribute("transB")?.Value as long? ?? 0) != 0 ? w.Shape[0] : w.Shape[1],
            _ => null,
        };
        if (producer.Input(2)?.Constant is { } bias && bias.Length != 1 && bias.Length != channels) return null;
        return channels;
    }

    /// <summary>Rank of the producer's output (NC + spatial dims).</summary>
    public static int OutputRank(Node producer) => producer.OpType == "Gemm" ? 2 : producer.Input(1)!.Constant!.Rank;

    /// <summary>A copy of <paramref name="producer"/> with the affine map folded in; its output takes the
    /// place of <paramref name="replaced"/>.</summary>
    public static Rewrite Fold(Node producer, double[] scale, double[] shift, Value replaced, RuleContext context)
    {
        var w = producer.Input(1)!.Constant!;
        int channels = scale.Length;
        var weights = w.ToDoubleArray();
        var bias = new double[channels];
        double beta = 1;
        if (producer.Input(2)?.Constant is { } b)
        {
            beta = producer.OpType == "Gemm" ? producer.Attribute("beta")?.Value as float? ?? 1f : 1;
            var values = b.ToDoubleArray();
            if (values.Length == 1) Array.Fill(bias, values[0]);
            else for (int c = 0; c < channels; c++) bias[c] = values[c];
        }
        ScaleWeights(producer, w, weights, scale);
        for (int c = 0; c < channels; c++) bias[c] = beta * bias[c] * scale[c] + shift[c];

        var newWeights = context.NewConstant(producer.Input(1)!.Name, Tensor.FromDoubles(w.DataType, w.Shape, weights));
        var newBias = context.NewConstant(producer.Input(2)?.Name ?? producer.Input(1)!.Name + "_bias", Tensor.FromDoubles(w.DataType, [channels], bias));
        var node = new Node(producer.OpType, [producer.Input(0), newWeights, newBias], [context.NewValue(replaced.Name, replaced.Type)], producer.Domain, producer.Name);
        foreach (var a in producer.Attributes.Values) node.SetAttribute(a);
        if (producer.OpType == "Gemm") node.SetAttribute(NodeAttribute.Float("beta", 1f));
        return Rewrite.Single(node, replaced);
    }

    private static void ScaleWeights(Node producer, Tensor w, double[] weights, double[] scale)
    {
        int channels = scale.Length;
        switch (producer.OpType)
        {
            case "Conv":
            {
                int per = weights.Length / channels;
                for (int i = 0; i < weights.Length; i++) weights[i] *= scale[i / per];
                break;
            }
            case "ConvTranspose":
            {
                // Weight layout [Cin, Cout/group, k...]; input channel ci belongs to group ci / (Cin/group).
                long group = producer.Attribute("group")?.Value as long? ?? 1;
                int inChannels = w.Shape[0], outPerGroup = w.Shape[1];
                int kernel = weights.Length / (inChannels * outPerGroup);
                int inPerGroup = (int)(inChannels / group);
                for (int ci = 0; ci < inChannels; ci++)
                {
                    for (int j = 0; j < outPerGroup; j++)
                    {
                        int oc = ci / inPerGroup * outPerGroup + j;
                        int start = (ci * outPerGroup + j) * kernel;
                        for (int k = 0; k < kernel; k++) weights[start + k] *= scale[oc];
                    }
                }
                break;
            }
            default:
            {
                // Gemm: output column n is row n of B when transB, column n otherwise. alpha multiplies
                // A*B with the scaled B just as before, so it stays as it is.
                bool transposed = (producer.Attribute("transB")?.Value as long? ?? 0) != 0;
                int cols = w.Shape[1];
                for (int i = 0; i < weights.Length; i++) weights[i] *= scale[transposed ? i / cols : i % cols];
                break;
            }
        }
    }
}

/// <summary>BatchNormalization after Conv, ConvTranspose or Gemm (whose output it alone reads) folds into
/// that op's weights and bias.</summary>
public sealed class FoldBatchNormIntoProducer : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["BatchNormalization"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0)?.Producer is not { } producer || !context.HasSingleUse(node.Input(0)!)) return null;
        if (node.Outputs.Skip(1).Any(o => o is not null && context.UseCount(o) > 0)) return null;
        if (AffineFolding.OutputChannels(producer) is not { } channels) return null;
        if (BatchNormAffine.ScaleAndShift(node, channels) is not var (scale, shift)) return null;
        return AffineFolding.Fold(producer, scale, shift, node.Output(0)!, context);
    }
}

/// <summary>A BatchNormalization nothing can absorb becomes Mul and Add by constants (which later rules
/// may still fold), so no BatchNormalization is left for backends.</summary>
public sealed class BatchNormToMulAdd : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["BatchNormalization"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0) is not { } x || node.Output(0) is not { } y) return null;
        if (node.Outputs.Skip(1).Any(o => o is not null && context.UseCount(o) > 0)) return null;
        if (RuleContext.Rank(x) is not { } rank || rank < 2 || node.Input(1)?.Constant is not { } s) return null;
        int channels = s.Length;
        if (BatchNormAffine.ScaleAndShift(node, channels) is not var (scale, shift)) return null;
        var type = s.DataType;
        var shape = new[] { channels }.Concat(Enumerable.Repeat(1, rank - 2)).ToArray();
        var scaleValue = context.NewConstant(y.Name + "_scale", Tensor.FromDoubles(type, shape, scale));
        var shiftValue = context.NewConstant(y.Name + "_shift", Tensor.FromDoubles(type, shape, shift));
        var mul = context.NewNode("Mul", [x, scaleValue], y.Name + "_scaled", y.Type);
        var add = context.NewNode("Add", [mul.Outputs[0], shiftValue], y.Name, y.Type);
        return new Rewrite([mul, add], (y, add.Outputs[0]!));
    }
}

/// <summary>Inference-mode BatchNormalization as a per-channel scale and shift.</summary>
public static class BatchNormAffine
{
    public static (double[] Scale, double[] Shift)? ScaleAndShift(Node bn, int channels)
    {
        var parts = Enumerable.Range(1, 4).Select(i => bn.Input(i)?.Constant).ToArray();
        if (parts.Any(p => p is null || p.Length != channels)) return null;
        if (bn.Attribute("training_mode")?.Value is long training && training != 0) return null;
        double epsilon = bn.Attribute("epsilon")?.Value as float? ?? 1e-5f;
        var gamma = parts[0]!.ToDoubleArray();
        var beta = parts[1]!.ToDoubleArray();
        var mean = parts[2]!.ToDoubleArray();
        var variance = parts[3]!.ToDoubleArray();
        var scale = new double[channels];
        var shift = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            scale[c] = gamma[c] / Math.Sqrt(variance[c] + epsilon);
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        return (scale, shift);
    }
}
