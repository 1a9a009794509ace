using System.Numerics.Tensors;
using Tessera.Core;
using Tessera.Ops;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Softmax and LogSoftmax on float32 when each distribution is a contiguous row (the last axis
/// from opset 13, the flattened tail before it): max, exp(x - max) and the sum as vector passes over the
/// row, in parallel over rows. Distributions strided across an inner axis go to the reference.</summary>
public sealed class FastSoftmax(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Data is not float[] data || x.Rank == 0 || context.OpType == "Hardmax") return false;
        bool modern = context.Opset >= 13;
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", modern ? -1 : 1), x.Rank, context.Node.DisplayName);
        if (modern && axis != x.Rank - 1) return false;
        int length = (int)ShapeMath.ElementCount(x.Shape.AsSpan(axis));
        int rows = length == 0 ? 0 : data.Length / length;
        var y = context.CanOverwriteInput(0) ? data : context.NewFloats(data.Length);
        bool log = context.OpType == "LogSoftmax";
        int threads = Options.ThreadCount;
        int chunks = Math.Min(rows, threads <= 1 ? 1 : threads * 4);
        CpuParallel.For(chunks, threads, chunk =>
        {
            for (int r = (int)((long)rows * chunk / chunks), end = (int)((long)rows * (chunk + 1) / chunks); r < end; r++)
            {
                Row(data.AsSpan(r * length, length), y.AsSpan(r * length, length), log);
            }
        });
        context.SetOutput(0, OutputTensor(context, 0, x.Shape, y));
        return true;
    }

    private static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        if (log)
        {
            // log softmax = (x - max) - log(sum exp(x - max)); the exponentials only feed the sum.
            float sum = 0f;
            Span<float> chunk = stackalloc float[256];
            for (int start = 0; start < y.Length; start += chunk.Length)
            {
                var part = chunk[..Math.Min(chunk.Length, y.Length - start)];
                TensorPrimitives.Exp(y.Slice(start, part.Length), part);
                sum += TensorPrimitives.Sum<float>(part);
            }
            TensorPrimitives.Subtract(y, MathF.Log(sum), y);
            return;
        }
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Multiply(y, 1f / TensorPrimitives.Sum<float>(y), y);
    }
}
