using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>int.Lookup (Relu, Sigmoid, HardSwish, ... as a 256-entry table) -> LookupLayer, in whatever layout
/// the input already has.</summary>
public sealed class LookupMapper : StepMapper<LookupStep>
{
    protected override string? Map(LookupStep step, MappingContext context)
    {
        var layout = context.Preferred(step.Inputs[0]);
        var input = context.Read(step.Inputs[0], layout, 0);
        var output = context.Write(step.Outputs[0], layout, 0);
        if (input is null || output is null) return "the value has no NPU view";
        context.Add(new LookupLayer(step.Name, input, output, (sbyte[])step.Table.Clone()));
        return null;
    }
}
