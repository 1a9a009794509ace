using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>Det: the determinant of each square matrix in the last two axes ([*, M, M] -> [*]), by LU
/// decomposition with partial pivoting in double.</summary>
[Op("Det")]
public sealed class Determinant : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"Det on {DataTypes.Name(x.DataType)}");
        if (x.Rank < 2 || x.Shape[^1] != x.Shape[^2]) throw context.Invalid($"Det needs square matrices in the last two axes, got {ShapeMath.Format(x.Shape)}");
        int n = x.Shape[^1];
        int[] outShape = x.Shape[..^2];
        int count = (int)ShapeMath.ElementCount(outShape);
        var values = x.ToDoubleArray();
        var result = new double[count];
        var matrix = new double[n * n];
        for (int b = 0; b < count; b++)
        {
            Array.Copy(values, b * n * n, matrix, 0, n * n);
            result[b] = Of(matrix, n);
        }
        context.SetOutput(0, Tensor.FromDoubles(x.DataType, outShape, result));
    }

    /// <summary>Determinant of an n x n row-major matrix (overwritten by its LU factors).</summary>
    public static double Of(double[] a, int n)
    {
        double det = 1;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
            {
                if (System.Math.Abs(a[r * n + col]) > System.Math.Abs(a[pivot * n + col])) pivot = r;
            }
            if (a[pivot * n + col] == 0) return 0;
            if (pivot != col)
            {
                for (int c = 0; c < n; c++) (a[col * n + c], a[pivot * n + c]) = (a[pivot * n + c], a[col * n + c]);
                det = -det;
            }
            double diagonal = a[col * n + col];
            det *= diagonal;
            for (int r = col + 1; r < n; r++)
            {
                double factor = a[r * n + col] / diagonal;
                for (int c = col; c < n; c++) a[r * n + c] -= factor * a[col * n + c];
            }
        }
        return det;
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        context.SetOutput(0, x.ElementType, x.Shape is { Rank: >= 2 } s ? new TensorShape(s.Dims.Take(s.Rank - 2)) : null);
    }
}
