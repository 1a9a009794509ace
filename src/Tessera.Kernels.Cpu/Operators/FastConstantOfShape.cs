using Tessera.Core;
using Tessera.Ops;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>ConstantOfShape with a float32 value (or none: float32 zero), the zero padding BlazeFace concatenates
/// to widen its channels on every run: one vector fill of a buffer from the arena instead of the reference's
/// element-by-element copy. Other value types go to the reference.</summary>
public sealed class FastConstantOfShape(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var value = context.GetTensor("value");
        if (value is not null && (value.Data is not float[] { Length: 1 } single)) return false;
        if (context.Input(0).Data is not long[] dims) return false;
        if (dims.Length > 16) return false; // bounded stack use; the reference takes any rank
        Span<int> shape = stackalloc int[dims.Length];
        for (int d = 0; d < dims.Length; d++)
        {
            if (dims[d] is < 0 or > int.MaxValue) return false; // the reference reports it
            shape[d] = (int)dims[d];
        }
        long count = ShapeMath.ElementCount(shape);
        if (count > Tensor.MaxElements) return false;
        var y = context.NewFloats((int)count);
        Array.Fill(y, value is null ? 0f : ((float[])value.Data)[0]);
        context.SetOutput(0, OutputTensor(context, 0, shape, y));
        return true;
    }
}
