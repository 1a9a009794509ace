using Tessera.Core;
using Tessera.Ops.NN;

namespace Tessera.Ops.Quantization;

/// <summary>ConvInteger (int32 sum of (x - x_zero_point) * (w - w_zero_point)) and QLinearConv (that sum
/// plus an int32 bias, requantized by x_scale * w_scale / y_scale to y's type). w_zero_point and w_scale
/// may be per output channel. The exact integer sums run through the reference N-D convolution.</summary>
[Op("ConvInteger")]
[Op("QLinearConv")]
public sealed class QuantizedConvolution : Operator
{
    public override void Execute(KernelContext context)
    {
        bool linear = context.OpType == "QLinearConv";
        string where = context.Node.DisplayName;
        var x = context.Input(0);
        var w = context.Input(linear ? 3 : 1);
        QuantizationMath.RequireByte(x, "x", where);
        QuantizationMath.RequireByte(w, "w", where);
        var xZero = context.OptionalInput(linear ? 2 : 2);
        var wZero = context.OptionalInput(linear ? 5 : 3);
        if (xZero is { Length: > 1 }) throw context.Unsupported("a per-channel x_zero_point");
        var (geometry, group) = Convolution.Prepare(context, x.Shape, w.Shape);
        int[] outShape = Convolution.OutputShape(x.Shape, w.Shape[0], geometry);
        var xs = QuantizationMath.Centered(x, xZero, 1, where);
        var ws = QuantizationMath.Centered(w, wZero, 0, where);
        double[]? bias = linear ? context.OptionalInput(8)?.ToDoubleArray() : null;
        var sums = new double[ShapeMath.ElementCount(outShape)];
        Convolution.ConvolveGeneric(xs, x.Shape, ws, w.Shape, bias, group, geometry, sums);
        if (!linear)
        {
            context.SetOutput(0, Tensor.FromDoubles(DataType.Int32, outShape, sums));
            return;
        }
        float xScale = (float)context.Input(1).GetDouble(0);
        var wScale = context.Input(4);
        float yScale = (float)context.Input(6).GetDouble(0);
        var yZero = context.OptionalInput(7);
        var outputType = yZero?.DataType ?? x.DataType;
        var (min, max) = QuantizationMath.Range(outputType);
        long zero = yZero?.GetInt64(0) ?? 0;
        int plane = (int)ShapeMath.ElementCount(outShape.AsSpan(2));
        int channels = outShape[1];
        var result = Tensor.Zeros(outputType, outShape);
        for (int i = 0; i < sums.Length; i++)
        {
            int m = i / plane % channels;
            float multiplier = xScale * (float)wScale.GetDouble(wScale.Length == 1 ? 0 : m) / yScale;
            result.SetInt64(i, QuantizationMath.Saturate(sums[i] * multiplier + zero, min, max));
        }
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context)
    {
        bool linear = context.OpType == "QLinearConv";
        if (context.InputTensorType(0) is not { } x) return;
        var outputType = linear ? context.InputTensorType(7)?.ElementType ?? x.ElementType : DataType.Int32;
        var w = context.InputTensorType(linear ? 3 : 1);
        if (x.Shape is null || w?.Shape is not { } ws || WindowGeometry.KernelOf(ws) is not { } kernel || ws.Rank != x.Shape.Rank)
        {
            context.SetOutput(0, outputType, x.Shape is null ? null : new TensorShape(Enumerable.Repeat(Dim.Unknown, x.Shape.Rank)));
            return;
        }
        var geometry = WindowGeometry.Resolve(context, WindowGeometry.SpatialOf(x.Shape), kernel);
        context.SetOutput(0, outputType, geometry.OutputShape(x.Shape[0], ws[0]));
    }

    /// <summary>Output elements x (input channels per group) x kernel window.</summary>
    public override long Macs(CostContext context)
    {
        int weight = context.OpType == "QLinearConv" ? 3 : 1;
        if (context.OutputShapes[0] is not { } y || context.InputShapes.ElementAtOrDefault(weight) is not { } w || w.Length < 2) return 0;
        return ShapeMath.ElementCount(y) * ShapeMath.ElementCount(w.AsSpan(1));
    }
}
