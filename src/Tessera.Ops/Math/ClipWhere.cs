using Tessera.Core;

namespace Tessera.Ops.Math;

/// <summary>Clip: bounds are attributes min/max before opset 11 and optional scalar inputs from opset 11
/// (integer types from opset 12). Computed as min(max(x, low), high), so low &gt; high gives high everywhere,
/// as the ONNX specification says.</summary>
[Op("Clip")]
public sealed class Clip : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsNumeric(x.DataType)) throw context.Unsupported($"Clip on {DataTypes.Name(x.DataType)}");
        Tensor? low, high;
        if (context.Opset < 11)
        {
            low = context.Has("min") ? Tensor.Scalar(context.GetFloat("min", float.MinValue)).CastTo(x.DataType) : null;
            high = context.Has("max") ? Tensor.Scalar(context.GetFloat("max", float.MaxValue)).CastTo(x.DataType) : null;
        }
        else
        {
            low = Bound(context, 1, x.DataType);
            high = Bound(context, 2, x.DataType);
        }
        if (x.DataType == DataType.Float32)
        {
            context.SetOutput(0, ClampFloats(x, low?.As<float>()[0] ?? float.NegativeInfinity, high?.As<float>()[0] ?? float.PositiveInfinity));
            return;
        }
        var result = x;
        if (low is not null) result = ElementwiseKernels.Binary(result, low, default(Variadic.MaximumFunction));
        if (high is not null) result = ElementwiseKernels.Binary(result, high, default(Variadic.MinimumFunction));
        context.SetOutput(0, ReferenceEquals(result, x) ? x.Clone() : result);
    }

    /// <summary>The float32 path in one pass; same result as the two broadcasting passes below.</summary>
    private static Tensor ClampFloats(Tensor x, float low, float high)
    {
        var values = x.As<float>();
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = float.Min(float.Max(values[i], low), high);
        return Tensor.Create(x.Shape, result);
    }

    private static Tensor? Bound(KernelContext context, int index, DataType type)
    {
        if (context.OptionalInput(index) is not { } bound) return null;
        if (bound.Length != 1) throw context.Invalid($"Clip bound (input {index}) must be a scalar but has shape {ShapeMath.Format(bound.Shape)}");
        if (bound.DataType != type) throw context.Invalid($"Clip bound has type {DataTypes.Name(bound.DataType)}, expected {DataTypes.Name(type)}");
        return bound.Reshape([]);
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);
}

/// <summary>Where(condition, X, Y): X where condition is true, else Y, broadcasting all three (any element type).</summary>
[Op("Where")]
public sealed class Where : Operator
{
    public override void Execute(KernelContext context)
    {
        var condition = context.Input(0);
        var x = context.Input(1);
        var y = context.Input(2);
        if (condition.DataType != DataType.Bool) throw context.Invalid($"Where condition must be bool, not {DataTypes.Name(condition.DataType)}");
        if (x.DataType != y.DataType) throw context.Invalid($"Where inputs have different types {DataTypes.Name(x.DataType)} and {DataTypes.Name(y.DataType)}");
        var shape = ShapeMath.Broadcast([condition.Shape, x.Shape, y.Shape]);
        ElementwiseKernels.OutputLength(shape);
        context.SetOutput(0, x.DataType switch
        {
            DataType.Float32 => Select<float>(condition, x, y, shape),
            DataType.Float64 => Select<double>(condition, x, y, shape),
            DataType.Float16 => Select<Half>(condition, x, y, shape),
            DataType.BFloat16 => Select<BFloat16>(condition, x, y, shape),
            DataType.Int8 => Select<sbyte>(condition, x, y, shape),
            DataType.UInt8 => Select<byte>(condition, x, y, shape),
            DataType.Int16 => Select<short>(condition, x, y, shape),
            DataType.UInt16 => Select<ushort>(condition, x, y, shape),
            DataType.Int32 => Select<int>(condition, x, y, shape),
            DataType.UInt32 => Select<uint>(condition, x, y, shape),
            DataType.Int64 => Select<long>(condition, x, y, shape),
            DataType.UInt64 => Select<ulong>(condition, x, y, shape),
            DataType.Bool => Select<bool>(condition, x, y, shape),
            DataType.String => Select<string>(condition, x, y, shape),
            _ => throw context.Unsupported($"Where on {DataTypes.Name(x.DataType)}"),
        });
    }

    private static Tensor Select<T>(Tensor condition, Tensor x, Tensor y, int[] shape)
    {
        var c = condition.As<bool>();
        var xs = x.As<T>();
        var ys = y.As<T>();
        var mapC = ShapeMath.BroadcastIndexMap(condition.Shape, shape);
        var mapX = ShapeMath.BroadcastIndexMap(x.Shape, shape);
        var mapY = ShapeMath.BroadcastIndexMap(y.Shape, shape);
        var result = new T[mapC.Length];
        for (int i = 0; i < result.Length; i++) result[i] = c[mapC[i]] ? xs[mapX[i]] : ys[mapY[i]];
        return Tensor.FromArray(x.DataType, shape, result);
    }

    public override void InferTypes(InferenceContext context)
    {
        var types = Enumerable.Range(0, 3).Select(context.InputTensorType).ToList();
        if (types[1] is not { } value) return;
        var shape = types.All(t => t?.Shape is not null) ? ShapeInferenceRules.BroadcastShapes(types.Select(t => t!.Shape!)) : null;
        context.SetOutput(0, value.ElementType, shape);
    }
}
