using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>GlobalAveragePool, GlobalMaxPool and GlobalLpPool: one value per (batch, channel) over all
/// spatial axes; the output keeps the rank with every spatial size 1.</summary>
[Op("GlobalAveragePool")]
[Op("GlobalMaxPool")]
[Op("GlobalLpPool")]
public sealed class GlobalPooling : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(x.DataType)}");
        if (x.Rank < 2) throw context.Invalid($"input must have rank 2 or more, got {ShapeMath.Format(x.Shape)}");
        int planes = x.Shape[0] * x.Shape[1];
        int size = (int)ShapeMath.ElementCount(x.Shape.AsSpan(2));
        int[] outShape = [x.Shape[0], x.Shape[1], .. Enumerable.Repeat(1, x.Rank - 2)];
        double p = context.GetInt("p", 2);
        var y = new double[planes];
        if (x.Data is float[] f)
        {
            for (int plane = 0; plane < planes; plane++) y[plane] = Reduce(context.OpType, f.AsSpan(plane * size, size), p);
        }
        else
        {
            var d = x.ToDoubleArray();
            for (int plane = 0; plane < planes; plane++)
            {
                // float16/bfloat16/float64: reduce in double directly.
                double acc = context.OpType == "GlobalMaxPool" ? double.NegativeInfinity : 0;
                for (int i = 0; i < size; i++)
                {
                    double v = d[plane * size + i];
                    acc = context.OpType switch
                    {
                        "GlobalMaxPool" => System.Math.Max(acc, v),
                        "GlobalLpPool" => acc + System.Math.Pow(System.Math.Abs(v), p),
                        _ => acc + v,
                    };
                }
                y[plane] = context.OpType switch
                {
                    "GlobalMaxPool" => acc,
                    "GlobalLpPool" => System.Math.Pow(acc, 1 / p),
                    _ => acc / size,
                };
            }
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, outShape, y));
    }

    private static double Reduce(string opType, ReadOnlySpan<float> values, double p)
    {
        double acc = opType == "GlobalMaxPool" ? double.NegativeInfinity : 0;
        switch (opType)
        {
            case "GlobalMaxPool":
                foreach (var v in values) acc = System.Math.Max(acc, v);
                return acc;
            case "GlobalLpPool":
                foreach (var v in values) acc += System.Math.Pow(System.Math.Abs(v), p);
                return System.Math.Pow(acc, 1 / p);
            default:
                foreach (var v in values) acc += v;
                return acc / values.Length;
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        if (x.Shape is not { Rank: >= 2 } s)
        {
            context.SetOutput(0, x.ElementType, null);
            return;
        }
        context.SetOutput(0, x.ElementType, new TensorShape([s[0], s[1], .. Enumerable.Repeat(Dim.Known(1), s.Rank - 2)]));
    }

    public override long Macs(CostContext context) =>
        context.InputShapes.ElementAtOrDefault(0) is { } x ? ShapeMath.ElementCount(x) : 0;
}
