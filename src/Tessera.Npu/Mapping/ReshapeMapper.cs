using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>Reshape / Flatten / Squeeze / Unsqueeze (int.* layout steps that keep the row-major element order)
/// -> ReshapeLayer, an alias with no instructions. The input is read row-major; an HWC image made in the same
/// segment with other bytes is a layout conflict, so the host converts it between segments.</summary>
public sealed class ReshapeMapper : StepMapper<LayoutStep>
{
    private static readonly HashSet<string> Reshapes = new(StringComparer.Ordinal) { "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity" };

    public override bool Accepts(IntegerStep step) => step is LayoutStep layout && Reshapes.Contains(layout.Node.OpType);

    protected override string? Map(LayoutStep step, MappingContext context)
    {
        var outputShape = context.Shape(step.Outputs[0]);
        var input = context.Read(step.Inputs[0], NpuLayout.Rows, 0);
        var layout = ValueLayout.SameBytes(outputShape, NpuLayout.Image, NpuLayout.Rows) ? ValueLayout.Natural(outputShape) : NpuLayout.Rows;
        var output = context.Write(step.Outputs[0], layout, 0);
        if (input is null || output is null) return "the value has no NPU view";
        context.Add(new ReshapeLayer(step.Name, input, output));
        return null;
    }
}
