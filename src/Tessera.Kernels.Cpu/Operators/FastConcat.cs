using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Concat on float32 into an arena array: for each outer index, each input's block is one copy.
/// Shape checks and other element types are the reference's.</summary>
public sealed class FastConcat(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        Tensor? first = null;
        for (int i = 0; i < context.InputCount; i++)
        {
            if (context.OptionalInput(i) is not { } t) continue;
            if (t.Data is not float[]) return false;
            first ??= t;
        }
        if (first is null || first.Rank == 0) return false;
        int rank = first.Rank;
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis"), rank, context.Node.DisplayName);
        if (rank > 16) return false; // bounded stack use; the reference takes any rank
        Span<int> shape = stackalloc int[rank];
        first.Shape.CopyTo(shape);
        shape[axis] = 0;
        for (int i = 0; i < context.InputCount; i++)
        {
            if (context.OptionalInput(i) is not { } t) continue;
            if (t.Rank != rank) return false;
            for (int d = 0; d < rank; d++)
            {
                if (d != axis && t.Shape[d] != first.Shape[d]) return false;
            }
            shape[axis] += t.Shape[axis];
        }
        int length = (int)ShapeMath.ElementCount(shape);
        var result = context.NewFloats(length);
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        int outBlock = outer == 0 ? 0 : length / outer;
        int offset = 0;
        for (int i = 0; i < context.InputCount; i++)
        {
            if (context.OptionalInput(i) is not { } t) continue;
            var source = t.As<float>();
            int block = outer == 0 ? 0 : t.Length / outer;
            for (int o = 0; o < outer && block > 0; o++) source.AsSpan(o * block, block).CopyTo(result.AsSpan(o * outBlock + offset, block));
            offset += block;
        }
        context.SetOutput(0, OutputTensor(context, 0, shape, result));
        return true;
    }
}
