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
        var shape = ShapeMath.ToIntShape(dims, context.Node.DisplayName);
        var y = context.NewFloats((int)ShapeMath.ElementCount(shape));
        Array.Fill(y, value is null ? 0f : ((float[])value.Data)[0]);
        context.SetOutput(0, Tensor.Create(shape, y));
        return true;
    }
}
