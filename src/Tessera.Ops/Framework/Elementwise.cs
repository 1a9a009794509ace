using Tessera.Core;

namespace Tessera.Ops;

/// <summary>Shared loops for element-wise kernels with numpy-style broadcasting. Floats are computed
/// in double and rounded once to the output type; integers are computed exactly in long. These take delegates
/// (convenient for fused or table-driven ops); the typed, inlined loops are in <see cref="ElementwiseKernels"/>.</summary>
public static class Elementwise
{
    /// <summary>out[i] = f(x[i]) for floating types (computed in double).</summary>
    public static Tensor UnaryFloat(Tensor x, Func<double, double> f, DataType? outputType = null)
    {
        var result = Tensor.Zeros(outputType ?? x.DataType, x.Shape);
        if (x.DataType == DataType.Float32 && result.DataType == DataType.Float32)
        {
            var source = x.As<float>();
            var target = result.As<float>();
            for (int i = 0; i < source.Length; i++) target[i] = (float)f(source[i]);
            return result;
        }
        for (int i = 0; i < x.Length; i++) result.SetDouble(i, f(x.GetDouble(i)));
        return result;
    }

    /// <summary>out[i] = f(x[i]) with integers computed in long and floats in double.</summary>
    public static Tensor Unary(Tensor x, Func<double, double> floatOp, Func<long, long> intOp)
    {
        if (!DataTypes.IsInteger(x.DataType)) return UnaryFloat(x, floatOp);
        var result = Tensor.Zeros(x.DataType, x.Shape);
        for (int i = 0; i < x.Length; i++) result.SetInt64(i, intOp(x.GetInt64(i)));
        return result;
    }

    /// <summary>Broadcasting binary op. Integer inputs use <paramref name="intOp"/> when given.</summary>
    public static Tensor Binary(Tensor a, Tensor b, Func<double, double, double> floatOp, Func<long, long, long>? intOp = null, DataType? outputType = null)
    {
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        var result = Tensor.Zeros(outputType ?? a.DataType, shape);
        var mapA = ShapeMath.BroadcastIndexMap(a.Shape, shape);
        var mapB = ShapeMath.BroadcastIndexMap(b.Shape, shape);
        if (intOp is not null && (DataTypes.IsInteger(a.DataType) || a.DataType == DataType.Bool))
        {
            for (int i = 0; i < result.Length; i++) result.SetInt64(i, intOp(a.GetInt64(mapA[i]), b.GetInt64(mapB[i])));
        }
        else if (a.Data is float[] fa && b.Data is float[] fb && result.Data is float[] fr)
        {
            for (int i = 0; i < fr.Length; i++) fr[i] = (float)floatOp(fa[mapA[i]], fb[mapB[i]]);
        }
        else
        {
            for (int i = 0; i < result.Length; i++) result.SetDouble(i, floatOp(a.GetDouble(mapA[i]), b.GetDouble(mapB[i])));
        }
        return result;
    }

    /// <summary>Broadcasting comparison producing a bool tensor.</summary>
    public static Tensor Compare(Tensor a, Tensor b, Func<double, double, bool> floatOp, Func<long, long, bool> intOp)
    {
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        var result = new bool[ShapeMath.ElementCount(shape)];
        var mapA = ShapeMath.BroadcastIndexMap(a.Shape, shape);
        var mapB = ShapeMath.BroadcastIndexMap(b.Shape, shape);
        bool integer = DataTypes.IsInteger(a.DataType) || a.DataType == DataType.Bool;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = integer
                ? intOp(a.GetInt64(mapA[i]), b.GetInt64(mapB[i]))
                : floatOp(a.GetDouble(mapA[i]), b.GetDouble(mapB[i]));
        }
        return Tensor.Create(shape, result);
    }

    /// <summary>Output type rule shared by element-wise ops: broadcast of the input shapes where all are known.</summary>
    public static void InferBroadcast(InferenceContext context, DataType? outputType = null)
    {
        var types = Enumerable.Range(0, context.InputCount).Select(context.InputTensorType).ToList();
        if (types.Count == 0 || types[0] is null) return;
        var elementType = outputType ?? types[0]!.ElementType;
        if (types.Any(t => t?.Shape is null))
        {
            context.SetOutput(0, elementType, null);
            return;
        }
        context.SetOutput(0, elementType, ShapeInferenceRules.BroadcastShapes(types.Select(t => t!.Shape!)));
    }
}
