using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Col2Im: sums sliding-block columns [N, C*prod(block), L] back into an image [N, C, *image_shape]
/// (the inverse layout of im2col), with dilations, pads (begins then ends) and strides.</summary>
[Op("Col2Im")]
public sealed class Col2Im : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        if (!DataTypes.IsNumeric(input.DataType)) throw context.Unsupported($"Col2Im of {DataTypes.Name(input.DataType)}");
        bool integer = DataTypes.IsInteger(input.DataType);
        var image = ShapeMath.ToIntShape(Layout.Longs(context.Input(1)), context.Node.DisplayName);
        var block = ShapeMath.ToIntShape(Layout.Longs(context.Input(2)), context.Node.DisplayName);
        int n = image.Length;
        if (block.Length != n || n == 0) throw context.Invalid("image_shape and block_shape must have the same, non-zero length");
        var dilations = context.GetInts("dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        var strides = context.GetInts("strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var pads = context.GetInts("pads") ?? new long[2 * n];
        if (dilations.Length != n || strides.Length != n || pads.Length != 2 * n) throw context.Invalid("dilations, strides or pads have the wrong length");
        if (input.Rank != 3) throw context.Invalid($"input must be 3-D, got {ShapeMath.Format(input.Shape)}");
        int blockSize = block.Aggregate(1, (a, b) => a * b);
        if (blockSize == 0 || input.Shape[1] % blockSize != 0) throw context.Invalid($"input channels {input.Shape[1]} are not a multiple of the block size {blockSize}");
        int batch = input.Shape[0], channels = input.Shape[1] / blockSize;
        var blocks = new int[n];
        for (int i = 0; i < n; i++)
        {
            long span = (dilations[i] * (block[i] - 1)) + 1;
            blocks[i] = (int)(((image[i] + pads[i] + pads[i + n] - span) / strides[i]) + 1);
            if (blocks[i] < 0) blocks[i] = 0;
        }
        int positions = blocks.Aggregate(1, (a, b) => a * b);
        if (input.Shape[2] != positions) throw context.Invalid($"input has {input.Shape[2]} blocks, expected {positions}");
        int imageSize = image.Aggregate(1, (a, b) => a * b);
        // Integers are summed exactly in long, floats in double; each is rounded once to the output type.
        var sums = new double[integer ? 0 : (long)batch * channels * imageSize];
        var longSums = new long[integer ? (long)batch * channels * imageSize : 0];
        var source = integer ? [] : input.ToDoubleArray();
        var longSource = integer ? input.ToInt64Array() : [];
        var imageStrides = ShapeMath.Strides(image);
        var offset = new int[n];
        var position = new int[n];
        for (int kIndex = 0; kIndex < blockSize; kIndex++)
        {
            Unflatten(kIndex, block, offset);
            for (int l = 0; l < positions; l++)
            {
                Unflatten(l, blocks, position);
                int target = 0;
                bool inside = true;
                for (int i = 0; i < n && inside; i++)
                {
                    long p = (position[i] * strides[i]) - pads[i] + (offset[i] * dilations[i]);
                    inside = p >= 0 && p < image[i];
                    target += (int)p * imageStrides[i];
                }
                if (!inside) continue;
                for (int b = 0; b < batch; b++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        int row = (c * blockSize) + kIndex;
                        int to = (((b * channels) + c) * imageSize) + target;
                        int from = (((b * input.Shape[1]) + row) * positions) + l;
                        if (integer) longSums[to] += longSource[from];
                        else sums[to] += source[from];
                    }
                }
            }
        }
        int[] shape = [batch, channels, .. image];
        context.SetOutput(0, integer ? Tensor.FromInt64s(input.DataType, shape, longSums) : Tensor.FromDoubles(input.DataType, shape, sums));
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var shape = Layout.ShapeOf(context, 0);
        var image = Layout.ConstantLongs(context, 1);
        var block = Layout.ConstantLongs(context, 2);
        if (shape is not { Rank: 3 } || image is null || block is null)
        {
            context.SetOutput(0, type, null);
            return;
        }
        long blockSize = block.Aggregate(1L, (a, b) => a * b);
        var channels = shape[1].IsKnown && blockSize > 0 ? Dim.Known(shape[1].Value / blockSize) : Dim.Unknown;
        context.SetOutput(0, type, new TensorShape([shape[0], channels, .. image.Select(Dim.Known)]));
    }

    public override long Macs(CostContext context) =>
        context.InputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;

    private static void Unflatten(int flat, int[] shape, int[] index)
    {
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            index[i] = flat % shape[i];
            flat /= shape[i];
        }
    }
}
