using Tessera.Compiler.Layers;
using Tessera.Integer;
using Window = Tessera.Compiler.Layers.Window;

namespace Tessera.Npu.Mapping;

/// <summary>int.ConvTranspose -> ConvTransposeLayer: both scatter (x - zx) w into the cropped output, add the
/// int32 bias and requantize each channel through FixedPoint; ONNX's [in][out/groups][kh][kw] weights are
/// re-ordered to the layer's [out][kh][kw][in/groups] (not flipped).</summary>
public sealed class ConvTransposeMapper : StepMapper<TransposedConvolutionStep>
{
    protected override string? Map(TransposedConvolutionStep step, MappingContext context)
    {
        var requantizer = step.Requantizer;
        if (requantizer.InputShift != 0) return "a requantizer with an input shift has no convolution epilogue";
        if (step.WeightZero.Any(z => z != 0)) return "weight zero points other than 0 (the NPU takes symmetric weights)";
        var xShape = context.Shape(step.Inputs[0]);
        var (w, group) = step.Geometry(xShape);
        var window = new Window(w.KernelHeight, w.KernelWidth, w.StrideHeight, w.StrideWidth, w.DilationHeight, w.DilationWidth,
            new Padding(w.PadTop, w.PadLeft, w.PadBottom, w.PadRight));
        var input = context.Read(step.Inputs[0], NpuLayout.Image, step.InputZero);
        var output = context.Write(step.Outputs[0], NpuLayout.Image, requantizer.ZeroPoint);
        if (input is null || output is null) return "only batch-1 [1, C, H, W] or [1, C, W] transposed convolutions map to the NPU";
        int[] shape = step.Weights.Shape;
        int inChannels = shape[0], groupOut = shape[1], taps = window.Taps, groupIn = inChannels / group;
        var source = step.Weights.As<sbyte>();
        var reordered = new sbyte[source.Length];
        for (int ic = 0; ic < inChannels; ic++)
        {
            int g = ic / groupIn, ci = ic % groupIn;
            for (int m = 0; m < groupOut; m++)
            for (int t = 0; t < taps; t++) reordered[((g * groupOut + m) * taps + t) * groupIn + ci] = source[(ic * groupOut + m) * taps + t];
        }
        int outChannels = groupOut * group;
        var (multipliers, shifts) = ConvolutionMapper.PerChannel(requantizer, outChannels);
        context.Add(new ConvTransposeLayer(step.Name, input, output, window, group, reordered, step.Bias is { } bias ? (int[])bias.Clone() : new int[outChannels],
            multipliers, shifts, requantizer.Minimum, requantizer.Maximum));
        return null;
    }
}
