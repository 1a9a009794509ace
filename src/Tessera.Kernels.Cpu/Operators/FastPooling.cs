using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Numerics.Tensors;
using Tessera.Core;
using Tessera.Ops;
using Tensor = Tessera.Core.Tensor;
using Tessera.Ops.NN;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>MaxPool and AveragePool on float32 NCHW (or NCW) without dilation or an indices output, one
/// plane per task, with the window clipped to the input once per output row and column instead of per
/// tap. AveragePool divides by the taps inside the input, or inside the padded input with
/// count_include_pad (the padded extent, as ONNX defines it).</summary>
public sealed class FastPooling(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Data is not float[] data || x.Rank is not (3 or 4) || context.IsOutputUsed(1)) return false;
        bool max = context.OpType == "MaxPool";
        if (context.GetInts("kernel_shape") is not { } kernelShape || kernelShape.Length != x.Rank - 2) return false;
        var window = WindowOf(context, x.Shape, kernelShape);
        if (window is null) return false;
        var (plane, padBottom, padRight, outShape) = (window.Plane, window.PadBottom, window.PadRight, window.OutputShape);
        bool includePad = context.GetInt("count_include_pad", 0) != 0;
        var y = context.NewFloats((int)ShapeMath.ElementCount(outShape));
        int planes = x.Shape[0] * x.Shape[1];
        int threads = Options.ThreadCount;
        int chunks = Math.Min(planes, threads <= 1 ? 1 : threads * 4);
        CpuParallel.For(chunks, threads, new Planes(data, y, plane, max, includePad, padBottom, padRight, planes, chunks));
        context.SetOutput(0, OutputTensor(context, 0, outShape, y));
        return true;
    }

    /// <summary>The loop over chunks of planes, as a value (no closure per call).</summary>
    private readonly struct Planes(float[] data, float[] y, Plane plane, bool max, bool includePad, int padBottom, int padRight, int planes, int chunks) : CpuParallel.IParallelBody
    {
        public void Run(int chunk)
        {
            int inSize = plane.Height * plane.Width, outSize = plane.OutHeight * plane.OutWidth;
            for (int p = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; p < end; p++)
            {
                if (max && TwoByTwo(plane, padBottom, padRight))
                {
                    MaxTwoByTwo(data.AsSpan(p * inSize, inSize), plane, y.AsSpan(p * outSize, outSize));
                    continue;
                }
                if (max && Avx2.IsSupported && plane.KernelWidth == 3 && plane.StrideX == 2)
                {
                    MaxWidthThreeStrideTwo(data.AsSpan(p * inSize, inSize), plane, y.AsSpan(p * outSize, outSize));
                    continue;
                }
                Pool(data.AsSpan(p * inSize, inSize), plane, max, includePad, padBottom, padRight, y.AsSpan(p * outSize, outSize));
            }
        }
    }

    /// <summary>A node's window for one input shape (kept per node: a steady-state run resolves no geometry).</summary>
    private sealed record Window(int[] XShape, Plane Plane, int PadBottom, int PadRight, int[] OutputShape);

    private readonly ConditionalWeakTable<Node, Window> _windows = new();

    /// <summary>The node's window for <paramref name="xShape"/>, or null with dilation (the reference runs it).</summary>
    private Window? WindowOf(KernelContext context, int[] xShape, long[] kernelShape)
    {
        if (_windows.TryGetValue(context.Node, out var kept) && kept.XShape.AsSpan().SequenceEqual(xShape)) return kept;
        var geometry = WindowGeometry.Resolve(context, xShape[2..].Select(v => (long)v).ToArray(), kernelShape.Select(k => checked((int)k)).ToArray(),
            context.GetInt("ceil_mode", 0) != 0);
        if (geometry.Dilations.Any(d => d != 1)) return null;
        var window = new Window((int[])xShape.Clone(), Plane.Of(xShape, geometry), xShape.Length == 4 ? geometry.PadEnd[0] : 0, geometry.PadEnd[^1],
            [xShape[0], xShape[1], .. geometry.Output]);
        _windows.AddOrUpdate(context.Node, window);
        return window;
    }

    /// <summary>The 2x2 stride-2 window without padding that every output sees whole.</summary>
    private static bool TwoByTwo(Plane p, int padBottom, int padRight) =>
        p.KernelHeight == 2 && p.KernelWidth == 2 && p.StrideY == 2 && p.StrideX == 2 && p.PadTop == 0 && p.PadLeft == 0
        && padBottom == 0 && padRight == 0 && p.OutHeight * 2 <= p.Height && p.OutWidth * 2 <= p.Width;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxTwoByTwo(ReadOnlySpan<float> input, Plane p, Span<float> output)
    {
        int width = p.Width, outWidth = p.OutWidth;
        for (int oy = 0; oy < p.OutHeight; oy++)
        {
            var top = input.Slice(2 * oy * width, 2 * outWidth);
            var bottom = input.Slice((2 * oy + 1) * width, 2 * outWidth);
            var target = output.Slice(oy * outWidth, outWidth);
            int ox = Avx2.IsSupported ? MaxTwoByTwoRow(top, bottom, target) : 0;
            for (; ox < target.Length; ox++)
            {
                // The reference's order and comparison: the first tap, then any tap greater than the best
                // so far (so a NaN counts only as the first tap).
                float best = top[2 * ox], v = top[2 * ox + 1];
                if (v > best) best = v;
                v = bottom[2 * ox];
                if (v > best) best = v;
                v = bottom[2 * ox + 1];
                if (v > best) best = v;
                target[ox] = best;
            }
        }
    }

    /// <summary>Eight outputs per pass: the even and odd taps of two rows split by in-lane shuffles, the
    /// reference's first-then-greater rule as vmaxps(tap, best), which returns tap only when tap > best (a NaN tap
    /// after the first never wins, a NaN best stays, -0/+0 ties keep best, as in the scalar loop), one cross-lane permute to restore the order. Returns the outputs written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int MaxTwoByTwoRow(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, Span<float> target)
    {
        int done = target.Length - target.Length % 8;
        fixed (float* t = top, b = bottom, o = target)
        {
            for (int ox = 0; ox < done; ox += 8)
            {
                var t0 = Avx.LoadVector256(t + 2 * ox);
                var t1 = Avx.LoadVector256(t + 2 * ox + 8);
                var b0 = Avx.LoadVector256(b + 2 * ox);
                var b1 = Avx.LoadVector256(b + 2 * ox + 8);
                var best = Avx.Shuffle(t0, t1, 0b10_00_10_00);
                var v = Avx.Shuffle(t0, t1, 0b11_01_11_01);
                best = Avx.Max(v, best);
                v = Avx.Shuffle(b0, b1, 0b10_00_10_00);
                best = Avx.Max(v, best);
                v = Avx.Shuffle(b0, b1, 0b11_01_11_01);
                best = Avx.Max(v, best);
                // Lanes hold outputs 0 1 4 5 | 2 3 6 7: swap the middle 64-bit pairs.
                Avx.Store(o + ox, Avx2.Permute4x64(best.AsDouble(), 0b11_01_10_00).AsSingle());
            }
        }
        return done;
    }

    /// <summary>Max pooling with windows three wide at horizontal stride 2 (SqueezeNet's 3x3 stride-2 pools), any
    /// height and vertical stride: eight outputs per pass where the window lies inside the row, each input row
    /// split into its even taps, odd taps and even taps one output on (two loads and a shuffle each; the second
    /// load of the last group starts one column early and keeps its odd lanes, so a pass reads columns
    /// x0 .. x0 + 16, exactly its windows), taps taken in the reference's row-major order with its
    /// first-then-greater rule. The last pass of a row starts at OutWidth - 8, overlapping the one before (it
    /// recomputes the same outputs), so no output of a row wider than 8 goes through the scalar tail unless its
    /// window crosses the padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxWidthThreeStrideTwo(ReadOnlySpan<float> input, Plane p, Span<float> output)
    {
        fixed (float* data = input, target = output)
        {
            for (int oy = 0; oy < p.OutHeight; oy++)
            {
                int y0 = oy * p.StrideY - p.PadTop;
                int top = Math.Max(y0, 0), bottom = Math.Min(y0 + p.KernelHeight, p.Height);
                float* outRow = target + oy * p.OutWidth;
                int ox = 0;
                // Scalar until the window starts inside the row; vectors while all 17 loaded columns are inside.
                for (; ox < p.OutWidth && ox * 2 - p.PadLeft < 0; ox++) outRow[ox] = MaxAt(data, p, top, bottom, ox);
                // Last start whose 17 columns lie inside the row.
                int lastStart = Math.Min(p.OutWidth - 8, (p.Width - 17 + p.PadLeft) >> 1);
                if (top < bottom && lastStart >= ox)
                {
                    while (true)
                    {
                        int start = Math.Min(ox, lastStart), x0 = start * 2 - p.PadLeft;
                        Vector256<float> best = default;
                        for (int iy = top; iy < bottom; iy++)
                        {
                            float* row = data + iy * p.Width + x0;
                            var u0 = Avx.LoadVector256(row);
                            var u1 = Avx.LoadVector256(row + 8);
                            var w0 = Avx.LoadVector256(row + 2);
                            var w1 = Avx.LoadVector256(row + 9);
                            var even = Avx.Shuffle(u0, u1, 0b10_00_10_00);
                            var odd = Avx.Shuffle(u0, u1, 0b11_01_11_01);
                            // Columns 2 4 | 10 12 and 6 8 | 14 16: w0's even lanes, w1's odd lanes.
                            var next = Avx.Shuffle(w0, w1, 0b11_01_10_00);
                            best = iy == top ? even : Avx.Max(even, best);
                            best = Avx.Max(odd, best);
                            best = Avx.Max(next, best);
                        }
                        // Lanes hold outputs 0 1 4 5 | 2 3 6 7: swap the middle 64-bit pairs.
                        Avx.Store(outRow + start, Avx2.Permute4x64(best.AsDouble(), 0b11_01_10_00).AsSingle());
                        ox = start + 8;
                        if (start == lastStart) break;
                    }
                }
                for (; ox < p.OutWidth; ox++) outRow[ox] = MaxAt(data, p, top, bottom, ox);
            }
        }
    }

    /// <summary>One max-pool output, the reference's way: the first tap, then any greater one.</summary>
    private static unsafe float MaxAt(float* data, Plane p, int top, int bottom, int ox)
    {
        int x0 = ox * p.StrideX - p.PadLeft;
        int left = Math.Max(x0, 0), right = Math.Min(x0 + p.KernelWidth, p.Width);
        float acc = float.NegativeInfinity;
        bool first = true;
        for (int iy = top; iy < bottom; iy++)
        {
            for (int ix = left; ix < right; ix++)
            {
                float v = data[iy * p.Width + ix];
                if (first || v > acc) acc = v;
                first = false;
            }
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pool(ReadOnlySpan<float> input, Plane p, bool max, bool includePad, int padBottom, int padRight, Span<float> output)
    {
        for (int oy = 0; oy < p.OutHeight; oy++)
        {
            int y0 = oy * p.StrideY - p.PadTop, y1 = y0 + p.KernelHeight;
            int top = Math.Max(y0, 0), bottom = Math.Min(y1, p.Height);
            int paddedRows = Math.Min(y1, p.Height + padBottom) - y0;
            for (int ox = 0; ox < p.OutWidth; ox++)
            {
                int x0 = ox * p.StrideX - p.PadLeft, x1 = x0 + p.KernelWidth;
                int left = Math.Max(x0, 0), right = Math.Min(x1, p.Width);
                float acc = max ? float.NegativeInfinity : 0f;
                bool first = true;
                for (int iy = top; iy < bottom; iy++)
                {
                    var row = input.Slice(iy * p.Width + left, Math.Max(0, right - left));
                    if (row.Length == 0) continue;
                    if (max)
                    {
                        // The reference's rule: the first tap, then any greater one (a NaN counts only first).
                        foreach (float v in row)
                        {
                            if (first || v > acc) acc = v;
                            first = false;
                        }
                        continue;
                    }
                    // Small windows (2x2, 3x3): a vector call per row costs more than the row.
                    if (row.Length <= 8) foreach (float v in row) acc += v;
                    else acc += TensorPrimitives.Sum(row);
                }
                if (!max)
                {
                    int count = includePad ? paddedRows * (Math.Min(x1, p.Width + padRight) - x0) : (bottom - top) * (right - left);
                    acc = count > 0 ? acc / count : 0f;
                }
                output[oy * p.OutWidth + ox] = acc;
            }
        }
    }
}

/// <summary>GlobalAveragePool and GlobalMaxPool on float32: one vector reduction per plane.</summary>
public sealed class FastGlobalPooling(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Data is not float[] data || x.Rank < 3 || context.OpType == "GlobalLpPool") return false;
        int planes = x.Shape[0] * x.Shape[1], size = (int)ShapeMath.ElementCount(x.Shape.AsSpan(2));
        if (size == 0) return false;
        var y = context.NewFloats(planes);
        bool max = context.OpType == "GlobalMaxPool";
        for (int p = 0; p < planes; p++)
        {
            var plane = data.AsSpan(p * size, size);
            y[p] = max ? TensorPrimitives.Max(plane) : TensorPrimitives.Sum(plane) / size;
        }
        if (x.Rank > 16) return false; // bounded stack use; the reference takes any rank
        Span<int> shape = stackalloc int[x.Rank];
        shape.Fill(1);
        shape[0] = x.Shape[0];
        shape[1] = x.Shape[1];
        context.SetOutput(0, OutputTensor(context, 0, shape, y));
        return true;
    }
}
