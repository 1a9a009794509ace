using Tessera.Compiler.Layers;
using Tessera.Integer;
using Window = Tessera.Compiler.Layers.Window;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Npu.Mapping;

/// <summary>int.Conv (1-D and 2-D; grouped, depthwise, strided, dilated, padded, fused clamp) -> ConvLayer.
/// Both sum (x - zx) w + bias exactly in int32 (the executor rejects sums outside int32) and requantize each
/// channel with the same Q31 multiplier and shift through FixedPoint.</summary>
public sealed class ConvolutionMapper : StepMapper<ConvolutionStep>
{
    protected override string? Map(ConvolutionStep step, MappingContext context)
    {
        if (step.Requantizer is not { } requantizer) return "ConvInteger (int32 output) has no NPU layer";
        if (requantizer.InputShift != 0) return "a requantizer with an input shift has no convolution epilogue";
        if (step.WeightZero.Any(z => z != 0)) return "weight zero points other than 0 (the NPU takes symmetric weights)";
        var xShape = context.Shape(step.Inputs[0]);
        var weights = step.Weights;
        var (geometry, group) = Convolution.Prepare(new KernelContext(step.Node, 0, []), xShape, weights.Shape);
        var w = Windows.FromGeometry(geometry, step.Name);
        var window = new Window(w.KernelHeight, w.KernelWidth, w.StrideHeight, w.StrideWidth, w.DilationHeight, w.DilationWidth,
            new Padding(w.PadTop, w.PadLeft, w.PadBottom, w.PadRight));
        var input = context.Read(step.Inputs[0], NpuLayout.Image, step.InputZero);
        var output = context.Write(step.Outputs[0], NpuLayout.Image, requantizer.ZeroPoint);
        if (input is null || output is null) return "only batch-1 [1, C, H, W] or [1, C, W] convolutions map to the NPU";
        if (window.OutputHeight(input.Height) != output.Height || window.OutputWidth(input.Width) != output.Width) return "the output size is not the floor of the window formula";
        int outChannels = weights.Shape[0], perGroup = weights.Shape[1];
        int taps = window.Taps;
        var source = weights.As<sbyte>();
        // ONNX [out][in/groups][kh][kw] -> the layer's [out][kh][kw][in/groups].
        var reordered = new sbyte[source.Length];
        for (int m = 0; m < outChannels; m++)
        for (int c = 0; c < perGroup; c++)
        for (int t = 0; t < taps; t++) reordered[(m * taps + t) * perGroup + c] = source[(m * perGroup + c) * taps + t];
        var (multipliers, shifts) = PerChannel(requantizer, outChannels);
        context.Add(new ConvLayer(step.Name, input, output, window, group, reordered, step.Bias ?? new int[outChannels], multipliers, shifts, requantizer.Minimum, requantizer.Maximum));
        return null;
    }

    /// <summary>One multiplier and shift per channel (a per-tensor requantizer repeated).</summary>
    internal static (int[] Multipliers, int[] Shifts) PerChannel(Requantizer requantizer, int channels) => requantizer.Channels == 1
        ? (Enumerable.Repeat(requantizer.Multipliers[0], channels).ToArray(), Enumerable.Repeat(requantizer.Shifts[0], channels).ToArray())
        : ((int[])requantizer.Multipliers.Clone(), (int[])requantizer.Shifts.Clone());
}
