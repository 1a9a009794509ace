using Tessera.Core;
using Tessera.Kernels.Cpu.Gemm;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>ConvTranspose and tessera.FusedConvTranspose on float32 with 1 or 2 spatial axes, as a GEMM and
/// a scatter: per group, columns[(m, ky, kx), pixel] = sum over c of W[c, m, ky, kx] X[c, pixel] (W packed
/// once per session as the left operand, X packed block by block), then each column row is added into
/// output plane m shifted by (ky, kx) under the strides, dilations and pads (col2im), in parallel over
/// output channels. Bias first, the fused activation and output_perm last.</summary>
public sealed class FastConvolutionTranspose(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    private readonly WeightCache<PackedMatrix[]> _packed = new();

    public override void Prepare(Node node)
    {
        if (node.Inputs.Count > 1 && node.Inputs[1]?.Constant is { DataType: DataType.Float32, Rank: 3 or 4 } w
            && node.Attribute("group")?.Value is null or long)
        {
            int group = (int)(node.Attribute("group")?.Value as long? ?? 1);
            if (group > 0 && w.Shape[0] % group == 0) PackedWeights(w, group);
        }
    }

    /// <summary>Per group, A[(m, ky, kx), c] = W[g*Cin/group + c, m, ky, kx].</summary>
    private PackedMatrix[] PackedWeights(Tensor w, int group) => _packed.Get(w, weights =>
    {
        int groupIn = weights.Shape[0] / group;
        int rows = (int)ShapeMath.ElementCount(weights.Shape.AsSpan(1));
        var data = weights.As<float>();
        return Enumerable.Range(0, group)
            .Select(g => PackedMatrix.Left(Options.Shape, data.AsSpan(g * groupIn * rows, groupIn * rows), rows, groupIn, 1, rows))
            .ToArray();
    });

    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        var w = context.Input(1);
        var b = context.OptionalInput(2);
        if (x.Data is not float[] xData || w.Data is not float[] || (b is not null && b.Data is not float[])) return false;
        if (x.Rank is not (3 or 4) || w.Rank != x.Rank) return false;
        var activation = Activation.FromFused(context.GetString("activation", string.Empty), context.GetFloats("activation_params") ?? []);
        if (activation is null) return false;
        int group = checked((int)context.GetInt("group", 1));
        if (group <= 0 || x.Shape[1] != w.Shape[0] || x.Shape[1] % group != 0) return false;
        int outChannels = w.Shape[1] * group;
        if (b is not null && b.Length != outChannels) return false;
        var g = ConvolutionTranspose.Resolve(context, x.Shape[2..].Select(v => (long)v).ToArray(), w.Shape[2..]);
        if (g.Kernel.Where((k, i) => k != w.Shape[2 + i]).Any()) return false;
        int[] outShape = [x.Shape[0], outChannels, .. g.Output];
        var plane = g.Rank == 1
            ? new Plane(1, x.Shape[2], 1, g.Kernel[0], 1, g.Strides[0], 1, g.Dilations[0], 0, g.PadBegin[0], 1, g.Output[0])
            : new Plane(x.Shape[2], x.Shape[3], g.Kernel[0], g.Kernel[1], g.Strides[0], g.Strides[1], g.Dilations[0], g.Dilations[1],
                g.PadBegin[0], g.PadBegin[1], g.Output[0], g.Output[1]);
        var y = context.NewFloats((int)ShapeMath.ElementCount(outShape));
        Run(xData, x.Shape[0], x.Shape[1], PackedWeights(w, group), group, w.Shape[1], plane, b?.As<float>(), y);
        activation.Value.Apply(y);
        var result = Tensor.Create(outShape, y);
        if (context.GetInts("output_perm") is { } perm)
        {
            result = FastTranspose.Apply(result, perm.Select(p => (int)p).ToArray(), Options.ThreadCount, context.NewFloats(y.Length));
        }
        context.SetOutput(0, result);
        return true;
    }

    private void Run(float[] x, int batch, int channels, PackedMatrix[] weights, int group, int groupOut, Plane p, float[]? bias, float[] y)
    {
        var shape = Options.Shape;
        int groupIn = channels / group, pixels = p.Height * p.Width, outPlane = p.OutHeight * p.OutWidth;
        int rows = weights[0].Outer, taps = p.KernelHeight * p.KernelWidth, nr = shape.Columns, threads = Options.ThreadCount;
        var columns = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, rows * pixels));
        try
        {
            for (int n = 0; n < batch; n++)
            {
                for (int gi = 0; gi < group; gi++)
                {
                    int origin = (n * channels + gi * groupIn) * pixels;
                    Sgemm.PanelPacker pack = (first, end, target) =>
                        PackedMatrix.PackRight(nr, x.AsSpan(origin, groupIn * pixels), groupIn, pixels, pixels, 1, first, end, target, first);
                    Sgemm.MultiplyPackingBlocks(shape, weights[gi], pixels, pack, columns.AsSpan(0, rows * pixels), pixels, default, threads);
                    int firstChannel = n * group * groupOut + gi * groupOut;
                    CpuParallel.For(groupOut, threads, m =>
                    {
                        var target = y.AsSpan((firstChannel + m) * outPlane, outPlane);
                        target.Fill(bias?[gi * groupOut + m] ?? 0f);
                        for (int t = 0; t < taps; t++) Scatter(columns.AsSpan((m * taps + t) * pixels, pixels), p, t / p.KernelWidth, t % p.KernelWidth, target);
                    });
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(columns);
        }
    }

    /// <summary>Adds the column row of tap (ky, kx) into its output plane: input (iy, ix) lands on
    /// (iy*sy + ky*dy - padTop, ix*sx + kx*dx - padLeft) when that is inside the output.</summary>
    private static void Scatter(ReadOnlySpan<float> column, Plane p, int ky, int kx, Span<float> target)
    {
        int dx = kx * p.DilationX - p.PadLeft, sx = p.StrideX, outWidth = p.OutWidth;
        // Input columns ix with 0 <= ix*sx + dx < outWidth.
        int first = dx >= 0 ? 0 : (-dx + sx - 1) / sx;
        int end = Math.Min(p.Width, dx >= outWidth ? 0 : (outWidth - dx + sx - 1) / sx);
        if (end <= first) return;
        for (int iy = 0; iy < p.Height; iy++)
        {
            int oy = iy * p.StrideY + ky * p.DilationY - p.PadTop;
            if ((uint)oy >= (uint)p.OutHeight) continue;
            var source = column.Slice(iy * p.Width, p.Width);
            var row = target.Slice(oy * outWidth, outWidth);
            if (sx == 1)
            {
                var segment = row.Slice(first + dx, end - first);
                System.Numerics.Tensors.TensorPrimitives.Add(segment, source[first..end], segment);
                continue;
            }
            for (int ix = first, ox = first * sx + dx; ix < end; ix++, ox += sx) row[ox] += source[ix];
        }
    }
}
