using Tessera.Core;

namespace Tessera.Ops.Math;

/// <summary>IsNaN and IsInf (detect_positive / detect_negative, both default 1): floating-point input, bool output.</summary>
[Op("IsNaN")]
[Op("IsInf")]
public sealed class FloatClassification : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(x.DataType)}");
        var values = x.ToDoubleArray();
        var result = new bool[values.Length];
        if (context.OpType == "IsNaN")
        {
            for (int i = 0; i < values.Length; i++) result[i] = double.IsNaN(values[i]);
        }
        else
        {
            bool positive = context.GetInt("detect_positive", 1) != 0;
            bool negative = context.GetInt("detect_negative", 1) != 0;
            for (int i = 0; i < values.Length; i++)
            {
                result[i] = (positive && double.IsPositiveInfinity(values[i])) || (negative && double.IsNegativeInfinity(values[i]));
            }
        }
        context.SetOutput(0, Tensor.Create(x.Shape, result));
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is { } t) context.SetOutput(0, DataType.Bool, t.Shape);
    }
}
