using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>ConvTranspose with stride equal to the kernel (PP-OCRv4 det's 2x2 stride 2) as sub-pixel GEMMs: each
/// input pixel's output is a kh x kw block of output pixels, one tap each, so the layer is a 1x1 convolution from
/// the input channels to kh*kw*out channels ordered (ky, kx, out), planned and pipelined by the convolution
/// lowering. Only its store differs: per band, per kernel row ky, the tile's (ky, 0..kw-1) channel slices are
/// one strided store (output pixel (y*kh+ky, x*kw+kx) is contiguous over kx), so no MAC is spent on inserted
/// zeros and no intermediate tensor goes through DRAM. Other shapes go to <see cref="ConvTransposePhases"/>.</summary>
internal static class ConvTransposeLowering
{
    public static (string, long) Emit(ProgramBuilder builder, ConvTransposeLayer layer, long inputDram, long outputDram)
    {
        if (!layer.IsSubPixel || layer.Groups != 1) return ConvTransposePhases.Emit(builder, layer, inputDram, outputDram);
        int kh = layer.Window.KernelHeight, kw = layer.Window.KernelWidth, cout = layer.Output.Channels, cin = layer.Input.Channels;
        int pieces = kh * kw, channels = pieces * cout;
        var weights = new sbyte[channels * cin];
        int[] bias = new int[channels], multipliers = new int[channels], shifts = new int[channels];
        for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
        for (int oc = 0; oc < cout; oc++)
        {
            int j = (ky * kw + kx) * cout + oc;
            for (int ic = 0; ic < cin; ic++) weights[j * cin + ic] = layer.Weight(oc, ky, kx, ic);
            (bias[j], multipliers[j], shifts[j]) = (layer.Bias[oc], layer.Multipliers[oc], layer.Shifts[oc]);
        }
        var input = layer.Input;
        var gemm = new ConvLayer(layer.Name, input, new NpuTensor(layer.Output.Name + "/sub-pixel", input.Height, input.Width, channels, layer.Output.ZeroPoint),
            new Window(1, 1), 1, weights, bias, multipliers, shifts, layer.Minimum, layer.Maximum);
        gemm.Validate();
        var plan = ConvPlanner.Plan(builder.Spec, gemm);
        int width = input.Width, outWidth = layer.Output.Width;
        long outRow = (long)outWidth * cout;
        ConvLowering.Emit(builder, gemm, plan, inputDram, outputDram, (sram, firstRow, rows, blockStart, blockChannels, signal) =>
        {
            // Runs of whole (ky, kx) slices inside the block; a run never crosses a kernel row (those land on
            // different output rows).
            var stores = new List<(int Start, int End, int Ky, int Kx)>();
            for (int ky = 0; ky < kh; ky++)
            {
                int rowStart = ky * kw * cout, rowEnd = rowStart + kw * cout;
                int a = Math.Max(rowStart, blockStart), b = Math.Min(rowEnd, blockStart + blockChannels);
                if (a >= b) continue;
                int kxFirst = (a - rowStart) / cout, kxLast = (b - 1 - rowStart) / cout;
                if ((a - rowStart) % cout == 0 && (b - rowStart) % cout == 0 || kxFirst == kxLast) stores.Add((a, b, ky, kxFirst));
                else for (int kx = kxFirst; kx <= kxLast; kx++) stores.Add((Math.Max(a, rowStart + kx * cout), Math.Min(b, rowStart + (kx + 1) * cout), ky, kx));
            }
            for (int i = 0; i < stores.Count; i++)
            {
                var (start, end, ky, kx) = stores[i];
                int within = start - (ky * kw + kx) * cout;
                var (w, s) = Streaming.Tokens(i, stores.Count, Q.Vector, signal);
                long dram = outputDram + ((long)firstRow * kh + ky) * outRow + (long)kx * cout + within;
                builder.Store(MemoryKind.Activation, sram + (start - blockStart), dram, end - start, width, rows, (long)kw * cout, kh * outRow, blockChannels, (long)width * blockChannels, w, s);
            }
        });
        return ($"sub-pixel GEMM {cin} -> {kh}x{kw}x{cout} per input pixel, strided stores; {plan.Describe(gemm)}", plan.Cost.Cycles);
    }
}
