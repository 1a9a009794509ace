using Tessera.Core;

namespace Tessera.Ops.Reduce;

/// <summary>ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
/// ReduceLogSumExp and ReduceSumSquare. Axes come from the attribute before opset 18 (ReduceSum: 13) and
/// from the optional second input after. An empty axes list reduces everything, or (with
/// noop_with_empty_axes) passes the input through. Reducing an empty set gives the identity of the
/// reduction (0 for sums, 1 for products, -inf/+inf or the type's extreme for max/min, -inf for the
/// log sums, NaN for the mean). Floats accumulate in double; integers accumulate exactly in long.</summary>
[Op("ReduceSum")]
[Op("ReduceMean")]
[Op("ReduceMax")]
[Op("ReduceMin")]
[Op("ReduceProd")]
[Op("ReduceL1")]
[Op("ReduceL2")]
[Op("ReduceLogSum")]
[Op("ReduceLogSumExp")]
[Op("ReduceSumSquare")]
public sealed class Reduction : Operator
{
    /// <summary>First opset in which the op takes its axes as an input rather than an attribute.</summary>
    private static long AxesInputOpset(string opType) => opType == "ReduceSum" ? 13 : 18;

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.DataType == DataType.String) throw context.Unsupported($"{context.OpType} on strings");
        if (x.DataType == DataType.Bool && context.OpType is not ("ReduceMax" or "ReduceMin"))
        {
            throw context.Unsupported($"{context.OpType} on bool");
        }
        long[]? axes = ReadAxes(context.OpType, context.Opset, context, context.OptionalInput(1));
        bool keepDims = context.GetInt("keepdims", 1) != 0;
        bool noop = context.GetInt("noop_with_empty_axes", 0) != 0;
        if ((axes is null || axes.Length == 0) && noop && context.Opset >= AxesInputOpset(context.OpType))
        {
            context.SetOutput(0, x);
            return;
        }
        var reduced = ReducedMask(x.Rank, axes, context.Node.DisplayName);
        context.SetOutput(0, Compute(context.OpType, x, reduced, keepDims));
    }

    private static long[]? ReadAxes(string opType, long opset, AttributeReader attributes, Tensor? axesInput)
    {
        if (opset >= AxesInputOpset(opType)) return axesInput?.ToInt64Array();
        return attributes.GetInts("axes");
    }

    /// <summary>Which dims are reduced; null or empty <paramref name="axes"/> reduces all of them.</summary>
    public static bool[] ReducedMask(int rank, long[]? axes, string? where = null)
    {
        var mask = new bool[rank];
        if (axes is null || axes.Length == 0)
        {
            Array.Fill(mask, true);
            return mask;
        }
        foreach (var a in axes)
        {
            int axis = ShapeMath.NormalizeAxis(a, rank, where);
            if (mask[axis]) throw new InvalidInputException($"axis {a} appears twice", where);
            mask[axis] = true;
        }
        return mask;
    }

    /// <summary>Reduces <paramref name="x"/> over the dims marked in <paramref name="reduced"/>.</summary>
    public static Tensor Compute(string opType, Tensor x, bool[] reduced, bool keepDims)
    {
        var outShape = new List<int>();
        var keptShape = new int[x.Rank];
        long groupSize = 1;
        for (int d = 0; d < x.Rank; d++)
        {
            keptShape[d] = reduced[d] ? 1 : x.Shape[d];
            if (reduced[d]) groupSize *= x.Shape[d];
            if (!reduced[d] || keepDims) outShape.Add(keptShape[d]);
        }
        // Each input element's output slot: the kept shape (1 on reduced axes) broadcast over the input.
        var map = ShapeMath.BroadcastIndexMap(keptShape, x.Shape);
        int outCount = (int)ShapeMath.ElementCount(keptShape);
        bool integer = DataTypes.IsInteger(x.DataType) || x.DataType == DataType.Bool;
        var result = Tensor.Zeros(x.DataType, outShape.ToArray());
        if (integer && opType is "ReduceSum" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceSumSquare")
        {
            var acc = IntegerReduce(opType, x, map, outCount);
            for (int i = 0; i < outCount; i++) result.SetInt64(i, acc[i]);
            return result;
        }
        var values = FloatReduce(opType, x, map, outCount, groupSize);
        if (result.Data is float[] floats)
        {
            for (int i = 0; i < outCount; i++) floats[i] = (float)values[i];
        }
        else
        {
            for (int i = 0; i < outCount; i++) result.SetDouble(i, values[i]);
        }
        return result;
    }


    private static long[] IntegerReduce(string opType, Tensor x, int[] map, int outCount)
    {
        var (min, max) = IntegerRange(x.DataType);
        long init = opType switch
        {
            "ReduceMax" => min,
            "ReduceMin" => max,
            "ReduceProd" => 1,
            _ => 0,
        };
        var acc = new long[outCount];
        Array.Fill(acc, init);
        for (int i = 0; i < map.Length; i++)
        {
            long v = x.GetInt64(i);
            ref long a = ref acc[map[i]];
            a = opType switch
            {
                "ReduceMax" => System.Math.Max(a, v),
                "ReduceMin" => System.Math.Min(a, v),
                "ReduceProd" => unchecked(a * v),
                "ReduceL1" => unchecked(a + System.Math.Abs(v)),
                "ReduceSumSquare" => unchecked(a + v * v),
                _ => unchecked(a + v),
            };
        }
        return acc;
    }

    private static (long Min, long Max) IntegerRange(DataType type) => type switch
    {
        DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        DataType.UInt8 => (byte.MinValue, byte.MaxValue),
        DataType.Int16 => (short.MinValue, short.MaxValue),
        DataType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        DataType.Int32 => (int.MinValue, int.MaxValue),
        DataType.UInt32 => (uint.MinValue, uint.MaxValue),
        DataType.Bool => (0, 1),
        DataType.UInt64 => (0, -1),
        _ => (long.MinValue, long.MaxValue),
    };

    private static double[] FloatReduce(string opType, Tensor x, int[] map, int outCount, long groupSize)
    {
        double[] values = x.Data is float[] f ? Widen(f) : x.ToDoubleArray();
        var acc = new double[outCount];
        switch (opType)
        {
            case "ReduceMax":
                Array.Fill(acc, double.NegativeInfinity);
                for (int i = 0; i < map.Length; i++) acc[map[i]] = MaxPropagatingNaN(acc[map[i]], values[i]);
                break;
            case "ReduceMin":
                Array.Fill(acc, double.PositiveInfinity);
                for (int i = 0; i < map.Length; i++) acc[map[i]] = MinPropagatingNaN(acc[map[i]], values[i]);
                break;
            case "ReduceProd":
                Array.Fill(acc, 1.0);
                for (int i = 0; i < map.Length; i++) acc[map[i]] *= values[i];
                break;
            case "ReduceL1":
                for (int i = 0; i < map.Length; i++) acc[map[i]] += System.Math.Abs(values[i]);
                break;
            case "ReduceL2":
                for (int i = 0; i < map.Length; i++) acc[map[i]] += values[i] * values[i];
                for (int i = 0; i < outCount; i++) acc[i] = System.Math.Sqrt(acc[i]);
                break;
            case "ReduceSumSquare":
                for (int i = 0; i < map.Length; i++) acc[map[i]] += values[i] * values[i];
                break;
            case "ReduceLogSumExp":
                var peak = new double[outCount];
                Array.Fill(peak, double.NegativeInfinity);
                for (int i = 0; i < map.Length; i++) peak[map[i]] = System.Math.Max(peak[map[i]], values[i]);
                for (int i = 0; i < outCount; i++) if (double.IsInfinity(peak[i])) peak[i] = 0;
                for (int i = 0; i < map.Length; i++) acc[map[i]] += System.Math.Exp(values[i] - peak[map[i]]);
                for (int i = 0; i < outCount; i++) acc[i] = System.Math.Log(acc[i]) + peak[i];
                break;
            default:
                for (int i = 0; i < map.Length; i++) acc[map[i]] += values[i];
                if (opType == "ReduceMean") for (int i = 0; i < outCount; i++) acc[i] /= groupSize;
                else if (opType == "ReduceLogSum") for (int i = 0; i < outCount; i++) acc[i] = System.Math.Log(acc[i]);
                break;
        }
        return acc;
    }

    private static double[] Widen(float[] f)
    {
        var d = new double[f.Length];
        for (int i = 0; i < f.Length; i++) d[i] = f[i];
        return d;
    }

    private static double MaxPropagatingNaN(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : System.Math.Max(a, b);

    private static double MinPropagatingNaN(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : System.Math.Min(a, b);

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } input) return;
        bool keepDims = context.GetInt("keepdims", 1) != 0;
        bool noop = context.GetInt("noop_with_empty_axes", 0) != 0;
        bool axesFromInput = context.Opset >= AxesInputOpset(context.OpType);
        if (input.Shape is null || (axesFromInput && context.HasInput(1) && context.InputConstant(1) is null))
        {
            int? rank = keepDims ? input.Shape?.Rank : null;
            context.SetOutput(0, input.ElementType, rank is { } r ? new TensorShape(Enumerable.Repeat(Dim.Unknown, r)) : null);
            return;
        }
        long[]? axes = ReadAxes(context.OpType, context.Opset, context, context.InputConstant(1));
        if ((axes is null || axes.Length == 0) && noop && axesFromInput)
        {
            context.SetOutputType(0, input);
            return;
        }
        var mask = ReducedMask(input.Shape.Rank, axes, context.Node.DisplayName);
        var dims = new List<Dim>();
        for (int d = 0; d < mask.Length; d++)
        {
            if (!mask[d]) dims.Add(input.Shape[d]);
            else if (keepDims) dims.Add(Dim.Known(1));
        }
        context.SetOutput(0, input.ElementType, new TensorShape(dims));
    }

    public override long Macs(CostContext context) =>
        context.InputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;
}
