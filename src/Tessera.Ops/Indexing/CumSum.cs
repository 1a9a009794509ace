using Tessera.Core;
using Tessera.Ops.TensorOps;

namespace Tessera.Ops.Indexing;

/// <summary>CumSum: running sum along an axis (axis is a scalar input); exclusive leaves out the current
/// element, reverse sums from the end. Integers are summed exactly in long, floats in double (float32 in float).</summary>
[Op("CumSum")]
public sealed class CumSum : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        if (input.DataType is DataType.String or DataType.Bool) throw context.Unsupported($"CumSum of {DataTypes.Name(input.DataType)}");
        var axisTensor = context.Input(1);
        if (axisTensor.Length != 1) throw context.Invalid("CumSum axis must be a scalar");
        int rank = System.Math.Max(input.Rank, 1);
        int axis = ShapeMath.NormalizeAxis(axisTensor.GetInt64(0), rank, context.Node.DisplayName);
        bool exclusive = context.GetInt("exclusive", 0) != 0;
        bool reverse = context.GetInt("reverse", 0) != 0;
        int[] shape = input.Rank == 0 ? [1] : input.Shape;
        int outer = shape.Take(axis).Aggregate(1, (a, b) => a * b);
        int dim = shape[axis];
        int inner = shape.Skip(axis + 1).Aggregate(1, (a, b) => a * b);
        var result = Tensor.Zeros(input.DataType, input.Shape);
        bool integer = DataTypes.IsInteger(input.DataType);
        var fin = input.Data as float[];
        var fout = result.Data as float[];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                long longSum = 0;
                double doubleSum = 0;
                float floatSum = 0;
                for (int step = 0; step < dim; step++)
                {
                    int j = reverse ? dim - 1 - step : step;
                    int at = (((o * dim) + j) * inner) + i;
                    if (fin is not null && fout is not null)
                    {
                        if (exclusive) { fout[at] = floatSum; floatSum += fin[at]; }
                        else { floatSum += fin[at]; fout[at] = floatSum; }
                    }
                    else if (integer)
                    {
                        if (exclusive) { result.SetInt64(at, longSum); longSum += input.GetInt64(at); }
                        else { longSum += input.GetInt64(at); result.SetInt64(at, longSum); }
                    }
                    else
                    {
                        if (exclusive) { result.SetDouble(at, doubleSum); doubleSum += input.GetDouble(at); }
                        else { doubleSum += input.GetDouble(at); result.SetDouble(at, doubleSum); }
                    }
                }
            }
        }
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);

    public override long Macs(CostContext context) =>
        context.InputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;
}
