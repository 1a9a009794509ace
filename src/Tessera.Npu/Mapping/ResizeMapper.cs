using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Ops;

namespace Tessera.Npu.Mapping;

/// <summary>int.Resize / int.Upsample in nearest mode -> ResizeNearestLayer. The index maps are not re-derived
/// from the ONNX attributes: the step's own kernel runs once on a tensor holding each pixel's index, so every
/// coordinate_transformation_mode and nearest_mode the reference supports maps exactly as the executor runs it.</summary>
public sealed class ResizeMapper : StepMapper<LayoutStep>
{
    public override bool Accepts(IntegerStep step) => step is LayoutStep { Node.OpType: "Resize" or "Upsample" };

    protected override string? Map(LayoutStep step, MappingContext context)
    {
        string mode = new KernelContext(step.Node, 0, []).GetString("mode", "nearest");
        if (mode != "nearest") return $"Resize mode '{mode}' is not nearest";
        var xShape = context.Shape(step.Inputs[0]);
        var yShape = context.Shape(step.Outputs[0]);
        if (xShape is not [1, var channels, var height, var width] || yShape is not [1, var outChannels, var outHeight, var outWidth] || outChannels != channels)
        {
            return "only [1, C, H, W] resizes of the spatial axes map to the NPU";
        }
        if ((long)height * width >= 1 << 24) return "the image is too large to index exactly";
        // Source index y * W + x of every pixel, through the step's kernel on a one-channel image.
        var index = new float[height * width];
        for (int i = 0; i < index.Length; i++) index[i] = i;
        var moved = step.Apply(Tensor.Create([1, 1, height, width], index)).ToFloatArray(copy: false);
        if (moved.Length != outHeight * outWidth) return "the resize of an index image has another size";
        var rows = new int[outHeight];
        var columns = new int[outWidth];
        for (int y = 0; y < outHeight; y++) rows[y] = (int)moved[y * outWidth] / width;
        for (int x = 0; x < outWidth; x++) columns[x] = (int)moved[x] % width;
        for (int y = 0; y < outHeight; y++)
        for (int x = 0; x < outWidth; x++)
        {
            if ((int)moved[y * outWidth + x] != rows[y] * width + columns[x]) return "the resize does not pick whole source pixels (not a nearest resize)";
        }
        var input = context.Read(step.Inputs[0], NpuLayout.Image, 0);
        var output = context.Write(step.Outputs[0], NpuLayout.Image, 0);
        if (input is null || output is null) return "the image has no NPU view";
        context.Add(new ResizeNearestLayer(step.Name, input, output, rows, columns));
        return null;
    }
}
