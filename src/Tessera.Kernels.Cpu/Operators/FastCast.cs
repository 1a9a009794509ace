using System.Numerics.Tensors;
using Tessera.Core;
using Tessera.Ops;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Cast between float16 and float32 (the casts around a float16 model run in float32): one vector
/// conversion pass, widening exactly and narrowing to nearest even as the reference does. Every other pair of
/// types, and CastLike, goes to the reference.</summary>
public sealed class FastCast(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        if (context.OpType != "Cast" || context.Has("saturate") && context.GetInt("saturate") == 0) return false;
        var x = context.Input(0);
        long to = context.GetInt("to");
        if (x.Data is Half[] half && to == (long)DataType.Float32)
        {
            var y = context.NewFloats(half.Length);
            TensorPrimitives.ConvertToSingle(half, y);
            context.SetOutput(0, Tensor.Create((int[])x.Shape.Clone(), y));
            return true;
        }
        if (x.Data is float[] single && to == (long)DataType.Float16)
        {
            var y = new Half[single.Length];
            TensorPrimitives.ConvertToHalf(single, y);
            context.SetOutput(0, Tensor.Create((int[])x.Shape.Clone(), y));
            return true;
        }
        return false;
    }
}
