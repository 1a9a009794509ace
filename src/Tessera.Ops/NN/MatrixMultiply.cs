using System.Runtime.CompilerServices;
using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>MatMul (numpy matmul: batched with broadcasting over leading axes; a 1-D operand is a row
/// or column vector whose axis is dropped from the result) and Gemm (alpha * A' * B' + beta * C with
/// optional transposes and a C broadcast to [M, N]).</summary>
[Op("MatMul")]
[Op("Gemm")]
public sealed class MatrixMultiply : Operator
{
    public override void Execute(KernelContext context)
    {
        if (context.OpType == "Gemm") ExecuteGemm(context);
        else context.SetOutput(0, MatMul(context.Input(0), context.Input(1), context.Node.DisplayName));
    }

    /// <summary>numpy.matmul of two tensors of one numeric type.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, string where)
    {
        if (a.DataType != b.DataType) throw new InvalidInputException($"inputs have different types {DataTypes.Name(a.DataType)} and {DataTypes.Name(b.DataType)}", where);
        if (!DataTypes.IsNumeric(a.DataType)) throw new UnsupportedException($"MatMul on {DataTypes.Name(a.DataType)} is not supported", where);
        if (a.Rank == 0 || b.Rank == 0) throw new InvalidInputException("MatMul operands must have rank 1 or more", where);
        var plan = Plan(a.Shape, b.Shape, where);
        var result = Tensor.Zeros(a.DataType, plan.Output);
        int m = plan.M, k = plan.K, n = plan.N;
        for (int batch = 0; batch < plan.BatchCount; batch++)
        {
            int aOffset = plan.MapA[batch] * m * k, bOffset = plan.MapB[batch] * k * n, yOffset = batch * m * n;
            if (a.Data is float[] af)
            {
                MultiplyFloat(af, aOffset, b.As<float>(), bOffset, result.As<float>(), yOffset, m, k, n);
            }
            else if (DataTypes.IsInteger(a.DataType))
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        long sum = 0;
                        for (int p = 0; p < k; p++) sum += a.GetInt64(aOffset + i * k + p) * b.GetInt64(bOffset + p * n + j);
                        result.SetInt64(yOffset + i * n + j, sum);
                    }
                }
            }
            else
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double sum = 0;
                        for (int p = 0; p < k; p++) sum += a.GetDouble(aOffset + i * k + p) * b.GetDouble(bOffset + p * n + j);
                        result.SetDouble(yOffset + i * n + j, sum);
                    }
                }
            }
        }
        return result;
    }

    /// <summary>How a batched matmul maps onto 2-D products: the output shape, the matrix sizes and,
    /// for each output batch, which batch of A and of B it reads.</summary>
    public sealed record MatMulPlan(int[] Output, int M, int K, int N, int BatchCount, int[] MapA, int[] MapB);

    public static MatMulPlan Plan(int[] aShape, int[] bShape, string where)
    {
        int[] a2 = aShape.Length == 1 ? [1, aShape[0]] : aShape;
        int[] b2 = bShape.Length == 1 ? [bShape[0], 1] : bShape;
        int m = a2[^2], k = a2[^1], n = b2[^1];
        if (b2[^2] != k) throw new InvalidInputException($"MatMul shapes {ShapeMath.Format(aShape)} and {ShapeMath.Format(bShape)} do not agree on the inner dimension", where);
        var aBatch = a2[..^2];
        var bBatch = b2[..^2];
        var batch = ShapeMath.TryBroadcast(aBatch, bBatch) ?? throw new InvalidInputException($"MatMul batch dims of {ShapeMath.Format(aShape)} and {ShapeMath.Format(bShape)} cannot be broadcast", where);
        var output = new List<int>(batch);
        if (aShape.Length > 1) output.Add(m);
        if (bShape.Length > 1) output.Add(n);
        return new MatMulPlan(output.ToArray(), m, k, n, (int)ShapeMath.ElementCount(batch),
            ShapeMath.BroadcastIndexMap(aBatch, batch), ShapeMath.BroadcastIndexMap(bBatch, batch));
    }

    /// <summary>y[m, n] += a[m, k] * b[k, n] over float[] (row-major, starting at the given offsets),
    /// rows in parallel when the product is large.</summary>
    public static void MultiplyFloat(float[] a, int aOffset, float[] b, int bOffset, float[] y, int yOffset, int m, int k, int n)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Row(int i)
        {
            var row = y.AsSpan(yOffset + i * n, n);
            for (int p = 0; p < k; p++) Convolution.MultiplyAdd(b.AsSpan(bOffset + p * n, n), a[aOffset + i * k + p], row);
        }
        if ((long)m * k * n < 1 << 16 || m == 1)
        {
            for (int i = 0; i < m; i++) Row(i);
        }
        else
        {
            Parallel.For(0, m, Row);
        }
    }

    private static void ExecuteGemm(KernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        var c = context.OptionalInput(2);
        if (a.DataType != b.DataType || (c is not null && c.DataType != a.DataType)) throw context.Invalid("A, B and C must have the same type");
        if (!DataTypes.IsNumeric(a.DataType)) throw context.Unsupported($"Gemm on {DataTypes.Name(a.DataType)}");
        if (a.Rank != 2 || b.Rank != 2) throw context.Invalid($"Gemm needs 2-D A and B, got {ShapeMath.Format(a.Shape)} and {ShapeMath.Format(b.Shape)}");
        bool transA = context.GetInt("transA", 0) != 0, transB = context.GetInt("transB", 0) != 0;
        float alpha = context.GetFloat("alpha", 1f), beta = context.GetFloat("beta", 1f);
        int m = transA ? a.Shape[1] : a.Shape[0], k = transA ? a.Shape[0] : a.Shape[1];
        int kb = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        if (k != kb) throw context.Invalid($"Gemm inner dimensions differ: A {ShapeMath.Format(a.Shape)} and B {ShapeMath.Format(b.Shape)} with transA={transA}, transB={transB}");
        int[] shape = [m, n];
        int[]? mapC = null;
        if (c is not null)
        {
            if (ShapeMath.TryBroadcast(c.Shape, shape) is not { } s || !s.SequenceEqual(shape)) throw context.Invalid($"C {ShapeMath.Format(c.Shape)} cannot be broadcast to [{m},{n}]");
            mapC = ShapeMath.BroadcastIndexMap(c.Shape, shape);
        }
        var result = Tensor.Zeros(a.DataType, shape);
        if (a.Data is float[] af)
        {
            // Materialize the transposes so the product runs on plain row-major matrices.
            var am = transA ? Transpose(af, a.Shape[0], a.Shape[1]) : af;
            var bm = transB ? Transpose(b.As<float>(), b.Shape[0], b.Shape[1]) : b.As<float>();
            var y = result.As<float>();
            MultiplyFloat(am, 0, bm, 0, y, 0, m, k, n);
            var cf = c?.As<float>();
            for (int i = 0; i < y.Length; i++) y[i] = alpha * y[i] + (cf is null ? 0f : beta * cf[mapC![i]]);
        }
        else
        {
            bool integer = DataTypes.IsInteger(a.DataType);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    long isum = 0;
                    for (int p = 0; p < k; p++)
                    {
                        int ai = transA ? p * m + i : i * k + p, bi = transB ? j * k + p : p * n + j;
                        if (integer) isum += a.GetInt64(ai) * b.GetInt64(bi);
                        else sum += a.GetDouble(ai) * b.GetDouble(bi);
                    }
                    int o = i * n + j;
                    if (integer)
                    {
                        double value = alpha * isum + (c is null ? 0 : beta * c.GetInt64(mapC![o]));
                        result.SetInt64(o, (long)value);
                    }
                    else
                    {
                        result.SetDouble(o, alpha * sum + (c is null ? 0 : beta * c.GetDouble(mapC![o])));
                    }
                }
            }
        }
        context.SetOutput(0, result);
    }

    private static float[] Transpose(float[] x, int rows, int columns)
    {
        var t = new float[x.Length];
        for (int r = 0; r < rows; r++) for (int col = 0; col < columns; col++) t[col * rows + r] = x[r * columns + col];
        return t;
    }

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } a) return;
        var b = context.InputTensorType(1);
        if (a.Shape is null || b?.Shape is null)
        {
            context.SetOutput(0, a.ElementType, context.OpType == "Gemm" ? new TensorShape(new[] { Dim.Unknown, Dim.Unknown }) : null);
            return;
        }
        if (context.OpType == "Gemm")
        {
            if (a.Shape.Rank != 2 || b.Shape.Rank != 2) return;
            bool transA = context.GetInt("transA", 0) != 0, transB = context.GetInt("transB", 0) != 0;
            context.SetOutput(0, a.ElementType, new TensorShape(new[] { a.Shape[transA ? 1 : 0], b.Shape[transB ? 0 : 1] }));
            return;
        }
        var sa = a.Shape.Dims;
        var sb = b.Shape.Dims;
        if (sa.Count == 0 || sb.Count == 0) return;
        var batchA = sa.Count > 2 ? new TensorShape(sa.Take(sa.Count - 2)) : new TensorShape();
        var batchB = sb.Count > 2 ? new TensorShape(sb.Take(sb.Count - 2)) : new TensorShape();
        var dims = new List<Dim>(ShapeInferenceRules.BroadcastShapes([batchA, batchB]).Dims);
        if (sa.Count > 1) dims.Add(sa[^2]);
        if (sb.Count > 1) dims.Add(sb[^1]);
        context.SetOutput(0, a.ElementType, new TensorShape(dims));
    }

    /// <summary>Output elements x inner dimension.</summary>
    public override long Macs(CostContext context)
    {
        if (context.OutputShapes[0] is not { } y || context.InputShapes.ElementAtOrDefault(0) is not { } a || a.Length == 0) return 0;
        int k = context.OpType == "Gemm" && context.GetInt("transA", 0) != 0 ? a[0] : a[^1];
        return ShapeMath.ElementCount(y) * k;
    }
}
