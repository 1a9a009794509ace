using Tessera.Compiler.Layers;
using Tessera.Integer;
using Window = Tessera.Compiler.Layers.Window;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Npu.Mapping;

/// <summary>int.MaxPool -> MaxPoolLayer (padding never wins: the executor skips it, the NPU pads with -128);
/// int.AveragePool / GlobalAveragePool -> AveragePoolLayer with the executor's rescale for the window's tap
/// count (multiplier, shift and input shift of Requantizer.ForValues). Average pools whose divisor varies by
/// position (padding not counted) stay on the CPU.</summary>
public sealed class PoolMapper : StepMapper<PoolStep>
{
    protected override string? Map(PoolStep step, MappingContext context)
    {
        var xShape = context.Shape(step.Inputs[0]);
        var lifted = Windows.Lift(xShape);
        Window window;
        bool includePad = false;
        if (step.Node.OpType == "GlobalAveragePool")
        {
            window = new Window(lifted[2], lifted[3]);
        }
        else
        {
            var attributes = new KernelContext(step.Node, 0, []);
            var kernel = attributes.GetInts("kernel_shape") ?? throw attributes.MissingAttribute("kernel_shape");
            var spatial = xShape.Skip(2).Select(d => (long)d).ToArray();
            var geometry = WindowGeometry.Resolve(attributes, spatial, kernel.Select(k => (int)k).ToArray(), attributes.GetInt("ceil_mode", 0) != 0);
            var w = Windows.FromGeometry(geometry, step.Name);
            window = new Window(w.KernelHeight, w.KernelWidth, w.StrideHeight, w.StrideWidth, w.DilationHeight, w.DilationWidth,
                new Padding(w.PadTop, w.PadLeft, w.PadBottom, w.PadRight));
            includePad = attributes.GetInt("count_include_pad", 0) != 0;
        }
        var average = step.AverageOutput;
        var rescale = average?.ForCount(window.Taps);
        var input = context.Read(step.Inputs[0], NpuLayout.Image, step.InputZero);
        var output = context.Write(step.Outputs[0], NpuLayout.Image, rescale?.ZeroPoint ?? step.InputZero);
        if (input is null || output is null) return "only batch-1 [1, C, H, W] or [1, C, W] pools map to the NPU";
        if (window.OutputHeight(input.Height) != output.Height || window.OutputWidth(input.Width) != output.Width) return "the output size is not the floor of the window formula (ceil_mode)";
        if (rescale is null)
        {
            context.Add(new MaxPoolLayer(step.Name, input, output, window));
            return null;
        }
        if (window.Padding != Padding.None && !includePad) return "average pool over padding without count_include_pad divides by a per-position count";
        if (rescale.Channels != 1) return "a per-channel average rescale has no NPU layer";
        context.Add(new AveragePoolLayer(step.Name, input, output, window, rescale.Multipliers[0], rescale.Shifts[0], rescale.Minimum, rescale.Maximum, rescale.InputShift));
        return null;
    }
}
