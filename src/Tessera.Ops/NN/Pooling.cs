using System.Runtime.CompilerServices;
using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>MaxPool (with the optional Indices output, dilations, storage_order), AveragePool
/// (count_include_pad) and LpPool over N-D windows; all share ceil_mode and auto_pad through
/// <see cref="WindowGeometry"/>. Values are computed in double per (batch, channel) plane.</summary>
[Op("MaxPool")]
[Op("AveragePool")]
[Op("LpPool")]
public sealed class Pooling : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        bool max = context.OpType == "MaxPool";
        if (!DataTypes.IsFloat(x.DataType) && !(max && x.DataType is DataType.Int8 or DataType.UInt8))
        {
            throw context.Unsupported($"{context.OpType} on {DataTypes.Name(x.DataType)}");
        }
        if (x.Rank < 3) throw context.Invalid($"input must have rank 3 or more, got {ShapeMath.Format(x.Shape)}");
        var g = Resolve(context, x.Shape[2..].Select(v => (long)v).ToArray(), x.Rank - 2);
        int[] outShape = [x.Shape[0], x.Shape[1], .. g.Output];
        int planes = x.Shape[0] * x.Shape[1];
        var inSpatial = x.Shape[2..];
        int inSize = (int)ShapeMath.ElementCount(inSpatial), outSize = (int)ShapeMath.ElementCount(g.Output);
        int kernelSize = (int)ShapeMath.ElementCount(g.Kernel);
        var input = x.ToDoubleArray();
        var y = new double[planes * outSize];
        long[]? indices = max && context.IsOutputUsed(1) ? new long[y.Length] : null;
        bool columnMajor = context.GetInt("storage_order", 0) != 0;
        bool includePad = context.GetInt("count_include_pad", 0) != 0;
        double p = context.OpType == "LpPool" ? context.GetInt("p", 2) : 0;
        var inStrides = ShapeMath.Strides(inSpatial);
        var indexStrides = columnMajor ? ColumnMajorStrides(inSpatial) : inStrides;
        // Each window position: its offset per spatial axis (before adding the output position).
        var kernelOffsets = new int[kernelSize * g.Rank];
        var kIndex = new int[g.Rank];
        for (int k = 0; k < kernelSize; k++)
        {
            Convolution.Unflatten(k, g.Kernel, kIndex);
            for (int d = 0; d < g.Rank; d++) kernelOffsets[k * g.Rank + d] = kIndex[d] * g.Dilations[d];
        }
        Parallel.For(0, planes, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (plane) =>
        {
            var outIndex = new int[g.Rank];
            var start = new int[g.Rank];
            int inBase = plane * inSize;
            for (int o = 0; o < outSize; o++)
            {
                Convolution.Unflatten(o, g.Output, outIndex);
                for (int d = 0; d < g.Rank; d++) start[d] = outIndex[d] * g.Strides[d] - g.PadBegin[d];
                double acc = max ? double.NegativeInfinity : 0;
                long best = -1;
                int counted = 0, paddedCount = 0;
                for (int k = 0; k < kernelSize; k++)
                {
                    int offset = 0, indexOffset = 0;
                    bool inside = true, insidePadded = true;
                    for (int d = 0; d < g.Rank; d++)
                    {
                        int i = start[d] + kernelOffsets[k * g.Rank + d];
                        if (i < 0 || i >= inSpatial[d]) inside = false;
                        if (i < -g.PadBegin[d] || i >= inSpatial[d] + g.PadEnd[d]) insidePadded = false;
                        offset += i * inStrides[d];
                        indexOffset += i * indexStrides[d];
                    }
                    if (insidePadded) paddedCount++;
                    if (!inside) continue;
                    double v = input[inBase + offset];
                    counted++;
                    if (max)
                    {
                        if (best < 0 || v > acc)
                        {
                            acc = v;
                            best = (long)inBase + indexOffset;
                        }
                    }
                    else if (p > 0)
                    {
                        acc += System.Math.Pow(System.Math.Abs(v), p);
                    }
                    else
                    {
                        acc += v;
                    }
                }
                int target = plane * outSize + o;
                if (max)
                {
                    y[target] = acc;
                    if (indices is not null) indices[target] = best;
                }
                else if (p > 0)
                {
                    y[target] = System.Math.Pow(acc, 1 / p);
                }
                else
                {
                    int divisor = includePad ? paddedCount : counted;
                    y[target] = divisor == 0 ? double.NaN : acc / divisor;
                }
            }
        });
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, outShape, y));
        if (indices is not null) context.SetOutput(1, Tensor.Create(outShape, indices));
    }

    private static int[] ColumnMajorStrides(int[] shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    private static WindowGeometry Resolve(AttributeReader context, long[] spatial, int rank)
    {
        var kernel = context.GetInts("kernel_shape") ?? throw context.MissingAttribute("kernel_shape");
        if (kernel.Length != rank) throw new InvalidInputException($"kernel_shape has {kernel.Length} values but the input has {rank} spatial axes", context.Node.DisplayName);
        bool ceil = context.GetInt("ceil_mode", 0) != 0;
        return WindowGeometry.Resolve(context, spatial, kernel.Select(k => checked((int)k)).ToArray(), ceil);
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { Shape: { } shape } x || shape.Rank < 3) return;
        var g = Resolve(context, WindowGeometry.SpatialOf(shape), shape.Rank - 2);
        var outShape = g.OutputShape(shape[0], shape[1]);
        context.SetOutput(0, x.ElementType, outShape);
        if (context.OpType == "MaxPool") context.SetOutput(1, DataType.Int64, outShape);
    }

    /// <summary>Output elements x kernel window.</summary>
    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } y && context.GetInts("kernel_shape") is { } k
            ? ShapeMath.ElementCount(y) * k.Aggregate(1L, (a, b) => a * b)
            : 0;
}
