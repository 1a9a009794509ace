using Tessera.Compiler.Layers;
using Tessera.Core;

namespace Tessera.Compiler.Lowering;

/// <summary>General ConvTranspose as one stride-1 convolution per output phase. Output row oy = iy*s - pad + ky*d,
/// so the rows of phase py (oy = py + s*i) receive only the taps with (py + pad - ky*d) divisible by s, each
/// reading input row i + t(ky), t = (py + pad - ky*d) / s. Those taps form an arithmetic progression whose t
/// advance by d / gcd(s, d): a correlation with the taps in reverse order, dilation d / gcd(s, d), and padding
/// where t leaves the input. Rows are cropped by a DRAM offset; columns keep the whole input and the store skips
/// the leading columns. A phase with no tap (or none inside the input) is a zero-weight 1x1 convolution, i.e.
/// the requantized bias. Each phase's band store scatters its rows and columns with strides s, no MAC is spent
/// on inserted zeros, and nothing intermediate goes through DRAM.</summary>
internal static class ConvTransposePhases
{
    /// <summary>One axis of one phase: taps in correlation order, their first input offset and dilation.</summary>
    private readonly record struct Axis(int[] Taps, int First, int Dilation, int Outputs)
    {
        public int Span => (Taps.Length - 1) * Dilation + 1;
    }

    public static (string, long) Emit(ProgramBuilder builder, ConvTransposeLayer layer, long inputDram, long outputDram)
    {
        var (input, output, w) = (layer.Input, layer.Output, layer.Window);
        int cout = output.Channels, cin = layer.InputChannelsPerGroup;
        long outRow = (long)output.Width * cout, estimate = 0;
        int phases = 0;
        for (int py = 0; py < Math.Min(w.StrideY, output.Height); py++)
        for (int px = 0; px < Math.Min(w.StrideX, output.Width); px++)
        {
            var ay = Resolve(w.KernelHeight, w.StrideY, w.DilationY, w.Padding.Top, py, output.Height);
            var ax = Resolve(w.KernelWidth, w.StrideX, w.DilationX, w.Padding.Left, px, output.Width);
            int start = Math.Max(0, ay.First), last = ay.First + ay.Outputs - 1 + (ay.Taps.Length - 1) * ay.Dilation, end = Math.Min(input.Height - 1, last);
            bool zero = ay.Taps.Length == 0 || ax.Taps.Length == 0 || start > end
                || ax.First > input.Width - 1 || ax.First + ax.Outputs - 1 + (ax.Taps.Length - 1) * ax.Dilation < 0;
            if (zero)
            {
                // Only the bias reaches these outputs: one zero-weight tap at offset 0.
                (ay, ax) = (ay with { Taps = [-1], First = 0, Dilation = 1 }, ax with { Taps = [-1], First = 0, Dilation = 1 });
                (start, last) = (0, ay.Outputs - 1);
                end = Math.Min(input.Height - 1, last);
            }
            int left = Math.Max(0, -ax.First), skip = ax.First + left;
            int right = Math.Max(0, skip + ax.Outputs - 1 + ax.Span - input.Width - left);
            var window = new Window(ay.Taps.Length, ax.Taps.Length, 1, 1, ay.Dilation, ax.Dilation,
                new Padding(Math.Max(0, -ay.First), left, last - end, right));
            var weights = new sbyte[cout * ay.Taps.Length * ax.Taps.Length * cin];
            if (!zero)
            {
                for (int oc = 0, i = 0; oc < cout; oc++)
                foreach (int ky in ay.Taps)
                foreach (int kx in ax.Taps)
                for (int ic = 0; ic < cin; ic++) weights[i++] = layer.Weight(oc, ky, kx, ic);
            }
            var rows = input with { Height = end - start + 1 };
            int width = window.OutputWidth(input.Width);
            var phase = new ConvLayer($"{layer.Name} phase {py},{px}", rows, new NpuTensor($"{output.Name}/phase {py},{px}", window.OutputHeight(rows.Height), width, cout, output.ZeroPoint),
                window, layer.Groups, weights, layer.Bias, layer.Multipliers, layer.Shifts, layer.Minimum, layer.Maximum);
            phase.Validate();
            var plan = ConvPlanner.Plan(builder.Spec, phase);
            estimate += plan.Cost.Cycles;
            phases++;
            ConvLowering.Emit(builder, phase, plan, inputDram + (long)start * input.Width * input.Channels, outputDram, (sram, firstRow, count, blockStart, blockChannels, signal) =>
            {
                long dram = outputDram + (long)(py + w.StrideY * firstRow) * outRow + (long)px * cout + blockStart;
                builder.Store(Hardware.MemoryKind.Activation, sram + (long)skip * blockChannels, dram, blockChannels, ax.Outputs, count,
                    (long)w.StrideX * cout, w.StrideY * outRow, blockChannels, (long)width * blockChannels, Q.Vector, signal);
            });
        }
        return ($"{phases} phase convolution(s) (stride {w.StrideY}x{w.StrideX}), scattered by strided stores", estimate);
    }

    /// <summary>Taps of phase <paramref name="phase"/> on one axis, ordered by ascending input offset t (descending k).</summary>
    private static Axis Resolve(int kernel, int stride, int dilation, int pad, int phase, int outputSize)
    {
        var taps = Enumerable.Range(0, kernel).Where(k => (phase + pad - k * dilation) % stride == 0).Reverse().ToArray();
        int outputs = (outputSize - phase + stride - 1) / stride;
        int first = taps.Length == 0 ? 0 : (phase + pad - taps[0] * dilation) / stride;
        int step = taps.Length > 1 ? (phase + pad - taps[1] * dilation) / stride - first : 1;
        return new Axis(taps, first, step, outputs);
    }
}
