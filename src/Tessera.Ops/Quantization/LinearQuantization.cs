using Tessera.Core;

namespace Tessera.Ops.Quantization;

/// <summary>QuantizeLinear (y = saturate(round_half_even(x / scale) + zero_point)), DequantizeLinear
/// (y = (x - zero_point) * scale), per tensor or per axis, and DynamicQuantizeLinear (uint8 with scale and
/// zero point computed from the input's range, which always includes 0). Float32 arithmetic follows the
/// ONNX reference: the division and the product are rounded to float32.</summary>
[Op("QuantizeLinear")]
[Op("DequantizeLinear")]
[Op("QuantizeLinear", "com.microsoft")]
[Op("DequantizeLinear", "com.microsoft")]
[Op("DynamicQuantizeLinear")]
public sealed class LinearQuantization : Operator
{
    public override void Execute(KernelContext context)
    {
        switch (context.OpType)
        {
            case "QuantizeLinear": Quantize(context); break;
            case "DequantizeLinear": Dequantize(context); break;
            default: DynamicQuantize(context); break;
        }
    }

    private static long Axis(KernelContext context) => context.Opset >= 13 ? context.GetInt("axis", 1) : 1;

    private static void CheckBlockSize(AttributeReader context)
    {
        if (context.GetInt("block_size", 0) != 0) throw context.Unsupported("blocked quantization (block_size)");
    }

    private static void Quantize(KernelContext context)
    {
        CheckBlockSize(context);
        var x = context.Input(0);
        var scale = context.Input(1);
        var zeroPoint = context.OptionalInput(2);
        if (x.DataType is not (DataType.Float32 or DataType.Float16 or DataType.BFloat16 or DataType.Float64 or DataType.Int32))
        {
            throw context.Unsupported($"QuantizeLinear of {DataTypes.Name(x.DataType)}");
        }
        var outputType = OutputType(context, zeroPoint?.DataType);
        var (min, max) = QuantizationMath.Range(outputType);
        var scaleIndex = QuantizationMath.ParameterIndex(scale, x.Shape, Axis(context), context.Node.DisplayName);
        var zeroIndex = zeroPoint is null ? null : QuantizationMath.ParameterIndex(zeroPoint, x.Shape, Axis(context), context.Node.DisplayName);
        var result = Tensor.Zeros(outputType, x.Shape);
        bool single = scale.DataType == DataType.Float32;
        for (int i = 0; i < x.Length; i++)
        {
            double s = scale.GetDouble(scaleIndex(i));
            double q = single ? (float)x.GetDouble(i) / (float)s : x.GetDouble(i) / s;
            long zp = zeroPoint is null ? 0 : zeroPoint.GetInt64(zeroIndex!(i));
            result.SetInt64(i, QuantizationMath.Saturate(System.Math.Round(q, MidpointRounding.ToEven) + zp, min, max));
        }
        context.SetOutput(0, result);
    }

    /// <summary>The zero point's type, else output_dtype (opset 21), else uint8.</summary>
    private static DataType OutputType(AttributeReader context, DataType? zeroPointType)
    {
        if (zeroPointType is { } t) return t;
        long dtype = context.GetInt("output_dtype", 0);
        return dtype == 0 ? DataType.UInt8 : Enum.IsDefined((DataType)dtype) ? (DataType)dtype : throw context.Unsupported($"output_dtype {dtype}");
    }

    private static void Dequantize(KernelContext context)
    {
        CheckBlockSize(context);
        var x = context.Input(0);
        var scale = context.Input(1);
        var zeroPoint = context.OptionalInput(2);
        if (!DataTypes.IsInteger(x.DataType)) throw context.Unsupported($"DequantizeLinear of {DataTypes.Name(x.DataType)}");
        if (!DataTypes.IsFloat(scale.DataType)) throw context.Invalid($"x_scale must be a float type, got {DataTypes.Name(scale.DataType)}");
        var outputType = context.GetInt("output_dtype", 0) is var dtype and not 0 ? (DataType)dtype : scale.DataType;
        var scaleIndex = QuantizationMath.ParameterIndex(scale, x.Shape, Axis(context), context.Node.DisplayName);
        var zeroIndex = zeroPoint is null ? null : QuantizationMath.ParameterIndex(zeroPoint, x.Shape, Axis(context), context.Node.DisplayName);
        var result = Tensor.Zeros(outputType, x.Shape);
        bool single = scale.DataType == DataType.Float32;
        for (int i = 0; i < x.Length; i++)
        {
            long centered = x.GetInt64(i) - (zeroPoint is null ? 0 : zeroPoint.GetInt64(zeroIndex!(i)));
            double s = scale.GetDouble(scaleIndex(i));
            result.SetDouble(i, single ? (float)centered * (float)s : centered * s);
        }
        context.SetOutput(0, result);
    }

    private static void DynamicQuantize(KernelContext context)
    {
        var x = context.Input(0);
        if (x.DataType != DataType.Float32) throw context.Unsupported($"DynamicQuantizeLinear of {DataTypes.Name(x.DataType)}");
        var values = x.As<float>();
        float min = 0, max = 0;
        foreach (var v in values)
        {
            min = System.Math.Min(min, v);
            max = System.Math.Max(max, v);
        }
        float scale = (max - min) / 255f;
        long zeroPoint = scale == 0 ? 0 : QuantizationMath.Saturate(0 - min / scale, 0, 255);
        var y = new byte[values.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = scale == 0 ? (byte)zeroPoint : (byte)QuantizationMath.Saturate(System.Math.Round((double)(values[i] / scale), MidpointRounding.ToEven) + zeroPoint, 0, 255);
        }
        context.SetOutput(0, Tensor.Create(x.Shape, y));
        context.SetOutput(1, Tensor.Scalar(scale));
        context.SetOutput(2, Tensor.Scalar((byte)zeroPoint));
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        switch (context.OpType)
        {
            case "QuantizeLinear":
                context.SetOutput(0, OutputType(context, context.InputTensorType(2)?.ElementType), x.Shape);
                break;
            case "DequantizeLinear":
                long dtype = context.GetInt("output_dtype", 0);
                var scaleType = context.InputTensorType(1)?.ElementType ?? DataType.Float32;
                context.SetOutput(0, dtype != 0 ? (DataType)dtype : scaleType, x.Shape);
                break;
            default:
                context.SetOutput(0, DataType.UInt8, x.Shape);
                context.SetOutput(1, DataType.Float32, new TensorShape());
                context.SetOutput(2, DataType.UInt8, new TensorShape());
                break;
        }
    }
}
