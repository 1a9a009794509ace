using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Work of one node from its attributes and concrete shapes. MACs count multiply-accumulates in
/// contractions (Conv, ConvTranspose, MatMul, Gemm, recurrent cells); element-wise arithmetic, pooling,
/// reductions and normalizations are counted separately as other operations, one per element touched,
/// so MACs compare with the usual published figures. Independent of Operator.Macs on purpose.</summary>
public static class CostTable
{
    public static readonly HashSet<string> DataMovement =
    [
        "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements",
        "Shape", "Size", "Identity", "Dropout", "Cast", "Constant", "ConstantOfShape", "Expand", "Tile", "Pad", "DepthToSpace", "SpaceToDepth",
    ];

    /// <summary>(MACs, other operations), or null when a shape the formula needs is unknown.</summary>
    public static (long Macs, long Operations)? Work(Node node, Func<Value?, int[]?> shapeOf)
    {
        long Count(Value? v) => shapeOf(v) is { } s ? ShapeMath.ElementCount(s) : -1;
        var output = node.Outputs.FirstOrDefault(o => o is not null);
        long outCount = Count(output);
        string op = node.Domain == FusedActivation.Domain && node.OpType.StartsWith("Fused", StringComparison.Ordinal) ? node.OpType["Fused".Length..] : node.OpType;
        long activation = node.HasAttribute("activation") && outCount >= 0 ? outCount : 0;
        switch (op)
        {
            case "Conv":
            {
                if (shapeOf(node.Input(1)) is not { } w || outCount < 0) return null;
                return (outCount * ElementsAfterFirst(w), activation);
            }
            case "ConvTranspose":
            {
                long inCount = Count(node.Input(0));
                if (shapeOf(node.Input(1)) is not { } w || inCount < 0) return null;
                return (inCount * ElementsAfterFirst(w), activation);
            }
            case "MatMul" or "MatMulInteger":
            {
                if (shapeOf(node.Input(0)) is not { Length: > 0 } a || outCount < 0) return null;
                bool transA = a.Length >= 2 && (node.Attribute("transA")?.Value as long? ?? 0) != 0;
                return (outCount * (transA ? a[^2] : a[^1]), 0);
            }
            case "Gemm":
            {
                if (shapeOf(node.Input(0)) is not { Length: 2 } a || outCount < 0) return null;
                bool transA = (node.Attribute("transA")?.Value as long? ?? 0) != 0;
                return (outCount * (transA ? a[0] : a[1]), node.Input(2) is null ? activation : outCount + activation);
            }
            case "LSTM" or "GRU" or "RNN":
            {
                if (shapeOf(node.Input(0)) is not { Length: 3 } x || shapeOf(node.Input(2)) is not { Length: 3 } r) return null;
                long directions = r[0], gatesTimesHidden = r[1], hidden = r[2];
                return ((long)x[0] * x[1] * directions * gatesTimesHidden * (x[2] + hidden), (long)x[0] * x[1] * directions * gatesTimesHidden);
            }
            case "MaxPool" or "AveragePool" or "LpPool":
            {
                var kernel = node.Attribute("kernel_shape")?.Value as long[];
                return outCount < 0 || kernel is null ? null : (0, outCount * kernel.Aggregate(1L, (p, k) => p * k));
            }
            case "GlobalAveragePool" or "GlobalMaxPool" or "Softmax" or "LogSoftmax" or "ReduceMean" or "ReduceSum" or "ReduceMax"
                or "ReduceMin" or "LayerNormalization" or "BatchNormalization" or "InstanceNormalization":
            {
                long inCount = Count(node.Input(0));
                return inCount < 0 ? null : (0, inCount);
            }
        }
        if (DataMovement.Contains(op) || node.Subgraphs().Any()) return (0, 0);
        return outCount < 0 ? null : (0, outCount);
    }

    private static long ElementsAfterFirst(int[] shape)
    {
        long product = 1;
        for (int i = 1; i < shape.Length; i++) product *= shape[i];
        return product;
    }
}
