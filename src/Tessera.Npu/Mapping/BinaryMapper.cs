using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>int.Add / int.Mul of same-shape operands -> ElementwiseLayer (both run FixedPoint.Add/Multiply with
/// the same parameter block).</summary>
public sealed class BinaryMapper : StepMapper<BinaryStep>
{
    protected override string? Map(BinaryStep step, MappingContext context)
    {
        string a = step.Inputs[0], b = step.Inputs[1], y = step.Outputs[0];
        if (!context.Shape(a).SequenceEqual(context.Shape(b)) || !context.Shape(a).SequenceEqual(context.Shape(y)))
        {
            return "broadcast Add/Mul has no NPU layer yet";
        }
        var layout = context.Preferred(a, b);
        var left = context.Read(a, layout, 0);
        var right = context.Read(b, layout, 0);
        var output = context.Write(y, layout, 0);
        if (left is null || right is null || output is null) return "the operands have no NPU view";
        context.Add(new ElementwiseLayer(step.Name, left, right, output, step.IsMultiply, (int[])step.FixedPointParameters.Clone()));
        return null;
    }
}
