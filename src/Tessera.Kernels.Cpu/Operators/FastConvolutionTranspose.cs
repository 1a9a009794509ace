using System.Runtime.Intrinsics;
using Tessera.Core;
using Tessera.Kernels.Cpu.Gemm;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>ConvTranspose and tessera.FusedConvTranspose on float32 with 1 or 2 spatial axes, as a GEMM and
/// a scatter: per group, columns[(m, ky, kx), pixel] = sum over c of W[c, m, ky, kx] X[c, pixel] (W packed
/// once per session as the left operand, X packed block by block), then each column row is added into
/// output plane m shifted by (ky, kx) under the strides, dilations and pads (col2im), in parallel over
/// output rows (not channels: det's last ConvTranspose has one). Bias first, the fused activation and output_perm last.</summary>
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
    private PackedMatrix[] PackedWeights(Tensor w, int group) => _packed.TryGet(w, out var packed) ? packed : PackWeights(w, group);

    private PackedMatrix[] PackWeights(Tensor w, int group) => _packed.Get(w, weights =>
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
        Run(xData, x.Shape[0], x.Shape[1], PackedWeights(w, group), group, w.Shape[1], plane, b?.As<float>(), activation.Value, y);
        var result = Tensor.Create(outShape, y);
        if (context.GetInts("output_perm") is { } perm)
        {
            result = FastTranspose.Apply(result, perm.Select(p => (int)p).ToArray(), Options.ThreadCount, context.NewFloats(y.Length));
        }
        context.SetOutput(0, result);
        return true;
    }

    private void Run(float[] x, int batch, int channels, PackedMatrix[] weights, int group, int groupOut, Plane p, float[]? bias, Activation activation, float[] y)
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
                    if (Sgemm.StridedRightApplies(shape, groupIn, default))
                    {
                        // AVX-512: the micro-kernel reads X's channel rows where they lie, no packing (det's last
                        // ConvTranspose, 24 -> 1 x 2x2 on 320x320: packing X cost more than its 4-row product).
                        Sgemm.MultiplyStridedRight(shape, weights[gi], x, origin, pixels, pixels, columns.AsSpan(0, rows * pixels), pixels, default, threads);
                    }
                    else
                    {
                        Sgemm.PanelPacker pack = (first, end, target) =>
                            PackedMatrix.PackRight(nr, x.AsSpan(origin, groupIn * pixels), groupIn, pixels, pixels, 1, first, end, target, first);
                        Sgemm.MultiplyPackingBlocks(shape, weights[gi], pixels, pack, columns.AsSpan(0, rows * pixels), pixels, default, threads);
                    }
                    int firstChannel = n * group * groupOut + gi * groupOut;
                    int outRows = groupOut * p.OutHeight;
                    int chunks = Math.Min(outRows, threads <= 1 ? 1 : threads * 4);
                    CpuParallel.For(chunks, threads, chunk =>
                    {
                        int begin = (int)((long)outRows * chunk / chunks), end = (int)((long)outRows * (chunk + 1) / chunks);
                        for (int r = begin; r < end; r++)
                        {
                            int m = r / p.OutHeight, oy = r % p.OutHeight;
                            var row = y.AsSpan((firstChannel + m) * outPlane + oy * p.OutWidth, p.OutWidth);
                            OutputRow(columns, m * taps, pixels, p, oy, bias?[gi * groupOut + m] ?? 0f, row);
                            activation.Apply(row);
                        }
                    });
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(columns);
        }
    }

    /// <summary>One output row oy of output channel m: the bias, then every tap (ky, kx) whose input row
    /// iy = (oy + padTop - ky*dy) / sy is whole and inside lands input column ix on
    /// ox = ix*sx + kx*dx - padLeft. Rows are independent, so they run in parallel even with one output channel
    /// (det's last ConvTranspose); a 2-wide stride-2 kernel without padding (det's upsampling) interleaves its
    /// two column rows eight pixels at a time.</summary>
    private static void OutputRow(float[] columns, int firstRow, int pixels, Plane p, int oy, float bias, Span<float> row)
    {
        row.Fill(bias);
        int outWidth = p.OutWidth, sx = p.StrideX;
        for (int ky = 0; ky < p.KernelHeight; ky++)
        {
            int t = oy + p.PadTop - ky * p.DilationY;
            if (t < 0 || t % p.StrideY != 0) continue;
            int iy = t / p.StrideY;
            if (iy >= p.Height) continue;
            int tapRow = firstRow + ky * p.KernelWidth;
            if (sx == 2 && p.KernelWidth == 2 && p.DilationX == 1 && p.PadLeft == 0 && outWidth == 2 * p.Width)
            {
                Interleave(columns.AsSpan(tapRow * pixels + iy * p.Width, p.Width), columns.AsSpan((tapRow + 1) * pixels + iy * p.Width, p.Width), row);
                continue;
            }
            for (int kx = 0; kx < p.KernelWidth; kx++)
            {
                var source = columns.AsSpan((tapRow + kx) * pixels + iy * p.Width, p.Width);
                int dx = kx * p.DilationX - p.PadLeft;
                // Input columns ix with 0 <= ix*sx + dx < outWidth.
                int first = dx >= 0 ? 0 : (-dx + sx - 1) / sx;
                int end = Math.Min(p.Width, dx >= outWidth ? 0 : (outWidth - dx + sx - 1) / sx);
                if (end <= first) continue;
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

    /// <summary>row[2i] += even[i], row[2i + 1] += odd[i].</summary>
    private static void Interleave(ReadOnlySpan<float> even, ReadOnlySpan<float> odd, Span<float> row)
    {
        int i = 0;
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            ref float e = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(even);
            ref float o = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(odd);
            ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(row);
            for (; i + 8 <= even.Length; i += 8)
            {
                var a = System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref e, (nuint)i);
                var b = System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref o, (nuint)i);
                var low = System.Runtime.Intrinsics.X86.Avx.UnpackLow(a, b);
                var high = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(a, b);
                var first = System.Runtime.Intrinsics.X86.Avx.Permute2x128(low, high, 0x20);
                var second = System.Runtime.Intrinsics.X86.Avx.Permute2x128(low, high, 0x31);
                (System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref r, (nuint)(2 * i)) + first).StoreUnsafe(ref r, (nuint)(2 * i));
                (System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref r, (nuint)(2 * i + 8)) + second).StoreUnsafe(ref r, (nuint)(2 * i + 8));
            }
        }
        for (; i < even.Length; i++)
        {
            row[2 * i] += even[i];
            row[2 * i + 1] += odd[i];
        }
    }
}
