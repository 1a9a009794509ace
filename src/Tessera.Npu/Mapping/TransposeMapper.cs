using Tessera.Compiler.Layers;
using Tessera.Integer;
using Tessera.Ops;

namespace Tessera.Npu.Mapping;

/// <summary>int.Transpose -> TransposeLayer (or a free ReshapeLayer when the permutation leaves the stored bytes
/// in order, e.g. NCHW -> NHWC of an image the NPU already keeps channels-last). The permutation is taken
/// relative to how the input's bytes are stored (an output that can be an image whose channels-last bytes are
/// the input's, such as NHWC rows -> NCHW, is an alias too), axes of size 1 are dropped, and what is left must be at most
/// the three axes a TransposeLayer moves; the output is stored row-major in ONNX order.</summary>
public sealed class TransposeMapper : StepMapper<LayoutStep>
{
    public override bool Accepts(IntegerStep step) => step is LayoutStep { Node.OpType: "Transpose" };

    protected override string? Map(LayoutStep step, MappingContext context)
    {
        string x = step.Inputs[0], y = step.Outputs[0];
        var shape = context.Shape(x);
        int rank = shape.Length;
        var perm = new KernelContext(step.Node, 0, []).GetInts("perm")?.Select(p => (int)p).ToArray()
            ?? Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank) return "the permutation does not match the input rank";
        var layout = context.LayoutOf(x) ?? NpuLayout.Rows;
        int[] stored = Stored(shape, layout);
        // NHWC rows -> NCHW (TFLite models imported to ONNX order): written as an image (kept channels-last) the
        // output has the input's bytes in the input's order, so it is an alias, not a copy, and the convolution
        // that reads it stays in the same segment.
        var outShape = context.Shape(y);
        if (ValueLayout.View(y, outShape, NpuLayout.Image, 0) is not null && context.LayoutOf(y) is null)
        {
            var asInput = Stored(outShape, NpuLayout.Image).Select(a => perm[a]).Where(a => shape[a] != 1);
            if (asInput.SequenceEqual(stored.Where(a => shape[a] != 1)))
            {
                var from = context.Read(x, layout, 0);
                var to = context.Write(y, NpuLayout.Image, 0);
                if (from is null || to is null) return "the value has no NPU view";
                context.Add(new ReshapeLayer(step.Name, from, to));
                return null;
            }
        }
        // Output axis i (ONNX order) is input axis perm[i], found at position q[i] of the stored bytes.
        var q = perm.Select(p => Array.IndexOf(stored, p)).ToArray();
        var kept = Enumerable.Range(0, rank).Where(k => shape[stored[k]] != 1).ToList();
        if (kept.Count > 3) return $"a transpose moving {kept.Count} axes longer than 1 (the NPU moves at most 3)";
        int pad = 3 - kept.Count;
        var sizes = Enumerable.Repeat(1, pad).Concat(kept.Select(k => shape[stored[k]])).ToArray();
        var permutation = Enumerable.Range(0, pad).Concat(q.Where(kept.Contains).Select(k => kept.IndexOf(k) + pad)).ToArray();
        var input = context.Read(x, layout, 0);
        var output = context.Write(y, NpuLayout.Rows, 0);
        if (input is null || output is null) return "the value has no NPU view";
        input = input with { Height = sizes[0], Width = sizes[1], Channels = sizes[2] };
        output = output with { Height = sizes[permutation[0]], Width = sizes[permutation[1]], Channels = sizes[permutation[2]] };
        context.Add(permutation.SequenceEqual([0, 1, 2]) ? new ReshapeLayer(step.Name, input, output) : new TransposeLayer(step.Name, input, output, permutation));
        return null;
    }

    /// <summary>The ONNX axes in the order the stored bytes run through them: row-major is ONNX order, an
    /// image [1, C, H, W] is kept H, W, C ([1, C, W]: W, C).</summary>
    private static int[] Stored(int[] shape, NpuLayout layout) =>
        layout == NpuLayout.Image && !ValueLayout.SameBytes(shape, NpuLayout.Image, NpuLayout.Rows)
            ? shape.Length == 4 ? [0, 2, 3, 1] : [0, 2, 1]
            : Enumerable.Range(0, shape.Length).ToArray();
}
