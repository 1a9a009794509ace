using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Constant: a tensor held in one of the value* attributes (sparse_value is not supported).</summary>
[Op("Constant")]
public sealed class Constant : Operator
{
    public override void Execute(KernelContext context) => context.SetOutput(0, Value(context));

    public override void InferTypes(InferenceContext context)
    {
        var t = Value(context);
        context.SetOutput(0, t.DataType, TensorShape.FromConcrete(t.Shape));
    }

    private static Tensor Value(AttributeReader a)
    {
        if (a.GetTensor("value") is { } t) return t;
        if (a.Has("sparse_value")) throw a.Unsupported("Constant with sparse_value");
        if (a.Has("value_float")) return Tensor.Scalar(a.GetFloat("value_float", 0));
        if (a.GetFloats("value_floats") is { } fs) return Tensor.Create([fs.Length], (float[])fs.Clone());
        if (a.Has("value_int")) return Tensor.Scalar(a.GetInt("value_int"));
        if (a.GetInts("value_ints") is { } ls) return Tensor.Create([ls.Length], (long[])ls.Clone());
        if (a.Has("value_string")) return Tensor.Scalar(a.GetString("value_string", string.Empty));
        if (a.GetStrings("value_strings") is { } ss) return Tensor.Create([ss.Length], (string[])ss.Clone());
        throw new ModelFormatException("Constant has no value attribute", a.Node.DisplayName);
    }
}

/// <summary>ConstantOfShape: a tensor of the given shape filled with the one-element 'value' (default float32 0).</summary>
[Op("ConstantOfShape")]
public sealed class ConstantOfShape : Operator
{
    public override void Execute(KernelContext context)
    {
        var shape = ShapeMath.ToIntShape(Layout.Longs(context.Input(0)), context.Node.DisplayName);
        var value = context.GetTensor("value") ?? Tensor.Scalar(0f);
        if (value.Length != 1) throw new ModelFormatException("ConstantOfShape value must have one element", context.Node.DisplayName);
        var result = Tensor.Zeros(value.DataType, shape);
        if (result.Length > 0) ElementMover.For(result.Data).Fill(result.Data, value.Data, 0);
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = context.GetTensor("value")?.DataType ?? DataType.Float32;
        if (Layout.ConstantLongs(context, 0) is { } dims)
        {
            context.SetOutput(0, type, new TensorShape(dims));
            return;
        }
        var shapeShape = Layout.ShapeOf(context, 0);
        context.SetOutput(0, type, shapeShape is { Rank: 1 } && shapeShape[0].IsKnown
            ? new TensorShape(Enumerable.Repeat(Dim.Unknown, (int)shapeShape[0].Value))
            : null);
    }
}

/// <summary>Range: start, start + delta, ... up to (excluding) limit; count = max(ceil((limit - start) / delta), 0).</summary>
[Op("Range")]
public sealed class Range : Operator
{
    public override void Execute(KernelContext context)
    {
        var start = context.Input(0);
        var limit = context.Input(1);
        var delta = context.Input(2);
        var type = start.DataType;
        if (start.Length != 1 || limit.Length != 1 || delta.Length != 1) throw context.Invalid("Range inputs must be scalars");
        if (limit.DataType != type || delta.DataType != type) throw context.Invalid("Range inputs have different types");
        if (type is not (DataType.Float32 or DataType.Float64 or DataType.Int16 or DataType.Int32 or DataType.Int64))
        {
            throw context.Unsupported($"Range of {DataTypes.Name(type)}");
        }
        if (DataTypes.IsInteger(type))
        {
            long s = start.GetInt64(0), l = limit.GetInt64(0), d = delta.GetInt64(0);
            if (d == 0) throw context.Invalid("Range delta is zero");
            long n = System.Math.Max((long)System.Math.Ceiling((double)(l - s) / d), 0);
            if (n > Tensor.MaxElements) throw context.Invalid("Range has too many elements");
            var result = Tensor.Zeros(type, [(int)n]);
            for (int i = 0; i < n; i++) result.SetInt64(i, s + i * d);
            context.SetOutput(0, result);
        }
        else
        {
            double s = start.GetDouble(0), l = limit.GetDouble(0), d = delta.GetDouble(0);
            if (d == 0) throw context.Invalid("Range delta is zero");
            double count = System.Math.Max(System.Math.Ceiling((l - s) / d), 0);
            if (count > Tensor.MaxElements) throw context.Invalid("Range has too many elements");
            var result = Tensor.Zeros(type, [(int)count]);
            if (type == DataType.Float32)
            {
                // Accumulate in the element type as the ONNX reference does (start + i * delta in float32).
                float fs = (float)s, fd = (float)d;
                var data = result.As<float>();
                for (int i = 0; i < data.Length; i++) data[i] = fs + i * fd;
            }
            else
            {
                for (int i = 0; i < result.Length; i++) result.SetDouble(i, s + i * d);
            }
            context.SetOutput(0, result);
        }
    }

    public override void InferTypes(InferenceContext context) =>
        context.SetOutput(0, Layout.TypeOf(context, 0), new TensorShape([Dim.Unknown]));
}

/// <summary>EyeLike: a 2-D tensor shaped like the input with ones on diagonal k (dtype attribute or the input's type).</summary>
[Op("EyeLike")]
public sealed class EyeLike : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        if (input.Rank != 2) throw context.Invalid($"EyeLike needs a 2-D input, got rank {input.Rank}");
        var type = OutputType(context, input.DataType);
        if (type == DataType.String) throw context.Unsupported("EyeLike of string");
        var result = Tensor.Zeros(type, input.Shape);
        long k = context.GetInt("k", 0);
        int rows = input.Shape[0], cols = input.Shape[1];
        for (int i = 0; i < rows; i++)
        {
            long j = i + k;
            if (j >= 0 && j < cols) result.SetInt64(i * cols + (int)j, 1);
        }
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context) =>
        context.SetOutput(0, OutputType(context, Layout.TypeOf(context, 0)), Layout.ShapeOf(context, 0));

    private static DataType OutputType(AttributeReader a, DataType input)
    {
        if (!a.Has("dtype")) return input;
        var type = (DataType)a.GetInt("dtype");
        return DataTypes.IsNumeric(type) || type == DataType.Bool ? type : throw a.Unsupported($"EyeLike dtype {a.GetInt("dtype")}");
    }
}
