using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>int.Add / int.Mul -> ElementwiseLayer when both operands have the output's shape, BroadcastLayer
/// when an operand broadcasts along whole HWC axes (the squeeze-excitation [1,C,H,W] x [1,C,1,1], a row
/// [..., K] added to every row, a scalar). All three run FixedPoint.Add/Multiply with the step's parameter
/// block, left and right in the step's order.</summary>
public sealed class BinaryMapper : StepMapper<BinaryStep>
{
    protected override string? Map(BinaryStep step, MappingContext context)
    {
        string a = step.Inputs[0], b = step.Inputs[1], y = step.Outputs[0];
        var outputShape = context.Shape(y);
        var parameters = (int[])step.FixedPointParameters.Clone();
        if (context.Shape(a).SequenceEqual(outputShape) && context.Shape(b).SequenceEqual(outputShape))
        {
            var layout = context.Preferred(a, b);
            var left = context.Read(a, layout, 0);
            var right = context.Read(b, layout, 0);
            var output = context.Write(y, layout, 0);
            if (left is null || right is null || output is null) return "the operands have no NPU view";
            context.Add(new ElementwiseLayer(step.Name, left, right, output, step.IsMultiply, parameters));
            return null;
        }
        var full = new[] { a, b }.Where(v => context.Shape(v).SequenceEqual(outputShape)).ToArray();
        var outputLayout = full.Length > 0 ? context.Preferred(full) : ValueLayout.Natural(outputShape);
        var outputView = context.Write(y, outputLayout, 0);
        if (outputView is null) return "the output has no NPU view";
        var leftView = Operand(context, a, outputShape, outputLayout);
        var rightView = Operand(context, b, outputShape, outputLayout);
        if (leftView is null || rightView is null) return $"broadcast of {Text(context.Shape(a))} and {Text(context.Shape(b))} is not along whole {outputLayout} axes";
        context.Add(new BroadcastLayer(step.Name, leftView, rightView, outputView, step.IsMultiply, parameters));
        return null;
    }

    /// <summary>The operand as an HWC tensor whose every axis is the output's or 1, or null when its broadcast
    /// does not line up with the output layout's axes.</summary>
    private static NpuTensor? Operand(MappingContext context, string value, int[] outputShape, NpuLayout layout)
    {
        var shape = context.Shape(value);
        if (shape.Length > outputShape.Length) return null;
        var padded = Enumerable.Repeat(1, outputShape.Length - shape.Length).Concat(shape).ToArray();
        if (padded.SequenceEqual(outputShape)) return context.Read(value, layout, 0);
        int height, width, channels;
        if (layout == NpuLayout.Image)
        {
            (height, width, channels) = padded switch
            {
                [1, var c, var h, var w] => (h, w, c),
                [1, var c, var w] => (1, w, c),
                _ => (-1, -1, -1),
            };
            if (height < 0) return null;
        }
        else
        {
            // Rows: a row of K broadcast to every row, or a scalar.
            if (padded[..^1].Any(d => d != 1)) return null;
            (height, width, channels) = (1, 1, padded[^1]);
        }
        var own = ValueLayout.View(value, shape, layout, 0);
        if (own is not null && own.Height == height && own.Width == width && own.Channels == channels) return context.Read(value, layout, 0);
        // One pixel or one channel: the bytes are the same in both layouts, so read it row-major and name the axes.
        if (height * width != 1 && channels != 1) return null;
        var rows = context.Read(value, NpuLayout.Rows, 0);
        return rows is null ? null : rows with { Height = height, Width = width, Channels = channels };
    }

    private static string Text(int[] shape) => "[" + string.Join(",", shape) + "]";
}
