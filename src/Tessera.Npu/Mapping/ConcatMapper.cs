using Tessera.Compiler.Layers;
using Tessera.Integer;
using Tessera.Ops;

namespace Tessera.Npu.Mapping;

/// <summary>int.Concat along the channel axis of an image ([1, C, H, W], axis 1) or the last axis of rows ->
/// ConcatLayer; parts with other quantization parameters are first rescaled on the vector unit exactly as the
/// executor does (<see cref="RequantizeMapper.Parameters"/>).</summary>
public sealed class ConcatMapper : StepMapper<ConcatStep>
{
    protected override string? Map(ConcatStep step, MappingContext context)
    {
        var shape = context.Shape(step.Outputs[0]);
        long axis = new KernelContext(step.Node, 0, []).GetInt("axis", 1);
        if (axis < 0) axis += shape.Length;
        NpuLayout layout;
        if (axis == 1 && ValueLayout.View("", shape, NpuLayout.Image, 0) is not null) layout = NpuLayout.Image;
        else if (axis == shape.Length - 1) layout = NpuLayout.Rows;
        else return $"Concat along axis {axis} of {string.Join('x', shape)} is not a channel concatenation";
        int outputZero = step.Rescale.FirstOrDefault(r => r is not null)?.ZeroPoint ?? step.InputZeros[0];
        var output = context.Write(step.Outputs[0], layout, outputZero);
        if (output is null) return "the output has no NPU view";
        var parts = new List<NpuTensor>();
        for (int i = 0; i < step.Inputs.Count; i++)
        {
            var part = context.Read(step.Inputs[i], layout, step.InputZeros[i]);
            if (part is null) return "a part has no NPU view";
            if (step.Rescale[i] is { } rescale)
            {
                if (RequantizeMapper.Parameters(rescale, step.InputZeros[i]) is not { } parameters) return "a per-channel rescale has no NPU layer";
                var rescaled = context.Temporary(part, rescale.ZeroPoint);
                context.Add(new ElementwiseLayer($"{step.Name}#rescale{i}", part, part, rescaled, Multiply: false, parameters));
                part = rescaled;
            }
            parts.Add(part);
        }
        context.Add(new ConcatLayer(step.Name, parts, output));
        return null;
    }
}
