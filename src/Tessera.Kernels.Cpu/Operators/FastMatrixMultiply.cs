using Tessera.Core;
using Tessera.Kernels.Cpu.Gemm;
using Tessera.Ops;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>MatMul, Gemm, tessera.FusedGemm and tessera.FusedMatMul through the packed SGEMM on float32.
/// A 2-D right operand (the weights of a linear layer) is packed once per session when constant, and the
/// left operand's leading axes fold into rows; equal-batch 3-D+ products (attention) run one GEMM per
/// batch. Gemm's C becomes a column bias, a row bias or a residual in the epilogue. Broadcast batches,
/// 1-D operands, alpha other than 1 and scalar C go to the reference.</summary>
public sealed class FastMatrixMultiply(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    private readonly WeightCache<PackedMatrix> _packedPlain = new();
    private readonly WeightCache<PackedMatrix> _packedTransposed = new();

    public override void Prepare(Node node)
    {
        if (node.Inputs.Count > 1 && node.Inputs[1]?.Constant is { DataType: DataType.Float32, Rank: 2 } b)
        {
            PackedRight(b, node.Attribute("transB")?.Value is long t && t != 0);
        }
    }

    private PackedMatrix PackedRight(Tensor b, bool transposed)
    {
        int rows = b.Shape[0], columns = b.Shape[1];
        return transposed
            ? _packedTransposed.Get(b, t => PackedMatrix.Right(Options.Shape, t.As<float>(), columns, rows, 1, columns))
            : _packedPlain.Get(b, t => PackedMatrix.Right(Options.Shape, t.As<float>(), rows, columns, columns, 1));
    }

    /// <summary>Multiply-adds = elements of A x columns of the result.</summary>
    protected override bool RunsSerially(KernelContext context)
    {
        if (context.InputValue(0) is not Tensor { Rank: >= 1 } a || context.InputValue(1) is not Tensor { Rank: >= 2 } b) return base.RunsSerially(context);
        int n = context.GetInt("transB", 0) != 0 ? b.Shape[^2] : b.Shape[^1];
        return RunsSeriallyForMacs(context, a.Length * n);
    }

    protected override bool TryExecute(KernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        if (a.Data is not float[] || b.Data is not float[] || a.Rank < 2 || b.Rank < 2) return false;
        if (context.GetFloat("alpha", 1f) != 1f) return false;
        if (context.GetInt("transBatchA", 0) != 0 || context.GetInt("transBatchB", 0) != 0) return false;
        var activation = Activation.FromFused(context.GetString("activation", string.Empty), context.GetFloats("activation_params") ?? []);
        if (activation is null) return false;
        bool transA = context.GetInt("transA", 0) != 0, transB = context.GetInt("transB", 0) != 0;
        bool isGemm = context.OpType.EndsWith("Gemm", StringComparison.Ordinal);
        if (isGemm && (a.Rank != 2 || b.Rank != 2)) return false;
        if (transA && a.Rank != 2) return false;
        int k = transA ? a.Shape[0] : a.Shape[^1];
        int bk = transB ? b.Shape[^1] : b.Shape[^2], n = transB ? b.Shape[^2] : b.Shape[^1];
        if (k != bk) throw context.Invalid($"inner dimensions differ: A {ShapeMath.Format(a.Shape)}, B {ShapeMath.Format(b.Shape)}");
        if (b.Rank == 2)
        {
            int m = transA ? a.Shape[1] : a.Length / Math.Max(1, k);
            if (k == 0) m = transA ? a.Shape[1] : (int)ShapeMath.ElementCount(a.Shape.AsSpan(0, a.Rank - 1));
            int[] outShape = transA ? [m, n] : [.. a.Shape[..^1], n];
            var y = context.NewFloats((int)ShapeMath.ElementCount(outShape));
            if (!TryGemmEpilogue(context, isGemm, m, n, out var columnBias, out var rowBias, out var residual)) return false;
            Product(a.As<float>(), transA ? 1 : k, transA ? m : 1, m, PackedRight(b, transB), y, columnBias, rowBias, residual, activation.Value);
            context.SetOutput(0, Tensor.Create(outShape, y));
            return true;
        }
        if (a.Rank != b.Rank || !a.Shape.AsSpan(0, a.Rank - 2).SequenceEqual(b.Shape.AsSpan(0, b.Rank - 2))) return false;
        int rowsPerBatch = a.Shape[^2], batches = (int)ShapeMath.ElementCount(a.Shape.AsSpan(0, a.Rank - 2));
        int[] batchedShape = [.. a.Shape[..^1], n];
        var result = context.NewFloats((int)ShapeMath.ElementCount(batchedShape));
        var aData = a.As<float>();
        var bData = b.As<float>();
        int bSize = k * n;
        for (int i = 0; i < batches; i++)
        {
            var packed = transB
                ? PackedMatrix.Right(Options.Shape, bData.AsSpan(i * bSize, bSize), k, n, 1, k)
                : PackedMatrix.Right(Options.Shape, bData.AsSpan(i * bSize, bSize), k, n, n, 1);
            Product(aData.AsSpan(i * rowsPerBatch * k, rowsPerBatch * k), k, 1, rowsPerBatch, packed,
                result.AsSpan(i * rowsPerBatch * n, rowsPerBatch * n), null, null, null, activation.Value);
        }
        context.SetOutput(0, Tensor.Create(batchedShape, result));
        return true;
    }

    /// <summary>Gemm's beta * C as an epilogue term; false for the forms left to the reference.</summary>
    private static bool TryGemmEpilogue(KernelContext context, bool isGemm, int m, int n, out float[]? columnBias, out float[]? rowBias, out float[]? residual)
    {
        columnBias = rowBias = residual = null;
        if (!isGemm || context.OptionalInput(2) is not { } c) return true;
        if (c.Data is not float[] data) return false;
        float beta = context.GetFloat("beta", 1f);
        var scaled = beta == 1f ? data : data.Select(v => v * beta).ToArray();
        int rank = c.Rank;
        if (c.Length == n && (rank == 1 || (rank == 2 && c.Shape[0] == 1)) && n != 1) columnBias = scaled;
        else if (rank == 2 && c.Shape[0] == m && c.Shape[1] == n) residual = scaled;
        else if (rank == 2 && c.Shape[0] == m && c.Shape[1] == 1 && n != 1) rowBias = scaled;
        else return false;
        return true;
    }

    private unsafe void Product(ReadOnlySpan<float> a, int aRowStride, int aDepthStride, int m, PackedMatrix b, Span<float> y,
        float[]? columnBias, float[]? rowBias, float[]? residual, Activation activation)
    {
        var shape = Options.Shape;
        int k = b.Depth, n = b.Outer;
        var buffer = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, PackedMatrix.LeftLength(shape, m, k)));
        try
        {
            PackedMatrix.PackLeft(shape.Rows, a, m, k, aRowStride, aDepthStride, buffer);
            fixed (float* column = columnBias, row = rowBias, rest = residual)
            {
                var epilogue = new Epilogue { ColumnBias = column, RowBias = row, Residual = rest, ResidualStride = n, Activation = activation };
                Sgemm.Multiply(shape, PackedMatrix.Wrap(true, m, k, shape.Rows, buffer), b, y, n, epilogue, Options.ThreadCount);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
