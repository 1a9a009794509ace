using Tessera.Core;
using Tessera.Ops.NN;

namespace Tessera.Ops.Quantization;

/// <summary>MatMulInteger (int32 numpy-matmul of (a - a_zero_point) and (b - b_zero_point); a's zero point
/// may be per row, b's per column) and QLinearMatMul (the same product requantized by
/// a_scale * b_scale / y_scale into y's type, scales and zero points per tensor or per row/column).</summary>
[Op("MatMulInteger")]
[Op("QLinearMatMul")]
public sealed class QuantizedMatMul : Operator
{
    public override void Execute(KernelContext context)
    {
        bool linear = context.OpType == "QLinearMatMul";
        string where = context.Node.DisplayName;
        var a = context.Input(0);
        var b = context.Input(linear ? 3 : 1);
        QuantizationMath.RequireByte(a, "A", where);
        QuantizationMath.RequireByte(b, "B", where);
        if (a.Rank == 0 || b.Rank == 0) throw context.Invalid("operands must have rank 1 or more");
        // a's zero point runs along its rows (axis -2), b's along its columns (axis -1).
        var ac = Centered(a, context.OptionalInput(linear ? 2 : 2), a.Rank >= 2 ? a.Rank - 2 : 0, where);
        var bc = Centered(b, context.OptionalInput(linear ? 5 : 3), b.Rank - 1, where);
        var product = MatrixMultiply.MatMul(ac, bc, where);
        if (!linear)
        {
            context.SetOutput(0, product.CastTo(DataType.Int32));
            return;
        }
        var aScale = context.Input(1);
        var bScale = context.Input(4);
        var yScale = context.Input(6);
        var yZero = context.OptionalInput(7);
        var outputType = yZero?.DataType ?? a.DataType;
        var (min, max) = QuantizationMath.Range(outputType);
        var result = Tensor.Zeros(outputType, product.Shape);
        int n = b.Rank >= 2 ? b.Shape[^1] : 1;
        int m = a.Rank >= 2 ? a.Shape[^2] : 1;
        for (int i = 0; i < product.Length; i++)
        {
            int row = product.Rank >= 2 && a.Rank >= 2 ? i / n % m : 0, column = b.Rank >= 2 ? i % n : 0;
            float multiplier = (float)aScale.GetDouble(aScale.Length == 1 ? 0 : row) * (float)bScale.GetDouble(bScale.Length == 1 ? 0 : column)
                / (float)yScale.GetDouble(yScale.Length == 1 ? 0 : column);
            long zero = yZero is null ? 0 : yZero.GetInt64(yZero.Length == 1 ? 0 : column);
            result.SetInt64(i, QuantizationMath.Saturate(product.GetInt64(i) * (double)multiplier + zero, min, max));
        }
        context.SetOutput(0, result);
    }

    /// <summary>The operand minus its zero point as int64 (exact products), zero point per tensor or along <paramref name="axis"/>.</summary>
    private static Tensor Centered(Tensor x, Tensor? zeroPoint, int axis, string where)
    {
        var values = new long[x.Length];
        var index = zeroPoint is null ? null : QuantizationMath.ParameterIndex(zeroPoint, x.Shape, axis, where);
        for (int i = 0; i < values.Length; i++) values[i] = x.GetInt64(i) - (zeroPoint is null ? 0 : zeroPoint.GetInt64(index!(i)));
        return Tensor.Create(x.Shape, values);
    }

    public override void InferTypes(InferenceContext context)
    {
        bool linear = context.OpType == "QLinearMatMul";
        if (context.InputTensorType(0) is not { } a) return;
        var outputType = linear ? context.InputTensorType(7)?.ElementType ?? a.ElementType : DataType.Int32;
        var b = context.InputTensorType(linear ? 3 : 1);
        if (a.Shape is not { Rank: > 0 } sa || b?.Shape is not { Rank: > 0 } sb)
        {
            context.SetOutput(0, outputType, null);
            return;
        }
        var batchA = new TensorShape(sa.Dims.Take(System.Math.Max(sa.Rank - 2, 0)));
        var batchB = new TensorShape(sb.Dims.Take(System.Math.Max(sb.Rank - 2, 0)));
        var dims = new List<Dim>(ShapeInferenceRules.BroadcastShapes([batchA, batchB]).Dims);
        if (sa.Rank > 1) dims.Add(sa[sa.Rank - 2]);
        if (sb.Rank > 1) dims.Add(sb[sb.Rank - 1]);
        context.SetOutput(0, outputType, new TensorShape(dims));
    }

    /// <summary>Output elements x inner dimension.</summary>
    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } y && context.InputShapes.ElementAtOrDefault(0) is { Length: > 0 } a ? ShapeMath.ElementCount(y) * a[^1] : 0;
}
