using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Trilu: keeps the upper (j - i &gt;= k) or lower (j - i &lt;= k) triangle of the last two axes and zeroes the rest.</summary>
[Op("Trilu")]
public sealed class Trilu : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        if (input.Rank < 2) throw context.Invalid($"Trilu needs rank 2 or more, got {input.Rank}");
        long k = context.OptionalInput(1) is { } kt
            ? kt.Length == 1 && DataTypes.IsInteger(kt.DataType) ? kt.GetInt64(0) : throw context.Invalid("k must be a single integer")
            : 0;
        bool upper = context.GetInt("upper", 1) != 0;
        int rows = input.Shape[^2], cols = input.Shape[^1];
        var result = Tensor.Zeros(input.DataType, input.Shape);
        var mover = ElementMover.For(input.Data);
        int matrix = rows * cols;
        for (int m = 0; m < result.Length; m += matrix)
        {
            for (int i = 0; i < rows; i++)
            {
                // Columns kept on row i: [i + k, cols) for upper, [0, i + k] for lower.
                long from = upper ? System.Math.Clamp(i + k, 0, cols) : 0;
                long to = upper ? cols : System.Math.Clamp(i + k + 1, 0, cols);
                if (to > from) mover.CopyStrided(input.Data, m + (i * cols) + (int)from, 1, result.Data, m + (i * cols) + (int)from, (int)(to - from));
            }
        }
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);
}
