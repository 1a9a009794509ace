using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
namespace Tessera.Kernels.Cpu.Operators;

/// <summary>im2col straight into the packed B layout: panel p holds, for each k = (channel, ky, kx), the
/// input values under kernel tap k for output pixels p*NR .. p*NR+NR-1 (zero in the padding and past the
/// last pixel). Panels whose pixels share one output row copy contiguous runs when stride is 1.</summary>
public static class PatchPacker
{
    /// <summary>Packs the patches of <paramref name="channels"/> planes of <paramref name="source"/> starting at <paramref name="offset"/>.</summary>
    public static void Pack(int panelColumns, float[] source, int offset, int channels, Plane plane, float[] target, int threads)
    {
        int pixels = plane.OutHeight * plane.OutWidth;
        int panels = (pixels + panelColumns - 1) / panelColumns;
        int chunks = Math.Min(panels, threads <= 1 ? 1 : threads * 4);
        CpuParallel.For(chunks, threads, chunk =>
        {
            int first = panels * chunk / chunks, end = panels * (chunk + 1) / chunks;
            Span<int> runStart = stackalloc int[panelColumns + 1];
            Span<int> runTop = stackalloc int[panelColumns];
            for (int p = first; p < end; p++) PackPanel(panelColumns, source, offset, channels, plane, target, p, 0, runStart, runTop);
        });
    }

    /// <summary>Packs panels [first, end) into <paramref name="target"/> from its start, on the calling thread
    /// (one block of <see cref="Gemm.Sgemm.MultiplyPackingBlocks{TPacker}"/>).</summary>
    public static void PackBlock(int panelColumns, float[] source, int offset, int channels, Plane plane, int first, int end, float[] target)
    {
        Span<int> runStart = stackalloc int[panelColumns + 1];
        Span<int> runTop = stackalloc int[panelColumns];
        for (int p = first; p < end; p++) PackPanel(panelColumns, source, offset, channels, plane, target, p, first, runStart, runTop);
    }

    /// <summary>target[i] = line[start + 2 i]: eight per pass on AVX2 (two loads, an in-lane shuffle of the
    /// even lanes, one cross-lane permute), the rest one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void EvenElements(ReadOnlySpan<float> line, int start, Span<float> target)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            // A pass reads line[start + 2i .. start + 2i + 16).
            int room = line.Length - start - 16;
            int vectorEnd = room < 0 ? 0 : Math.Min(target.Length, room / 2 + 8);
            fixed (float* l = line, t = target)
            {
                for (; i + 8 <= vectorEnd; i += 8)
                {
                    var a = Avx.LoadVector256(l + start + 2 * i);
                    var b = Avx.LoadVector256(l + start + 2 * i + 8);
                    var even = Avx.Shuffle(a, b, 0b10_00_10_00);
                    Avx.Store(t + i, Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle());
                }
            }
        }
        for (int ix = start + 2 * i; i < target.Length; i++, ix += 2) target[i] = line[ix];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPanel(int nr, float[] source, int offset, int channels, Plane plane, float[] target, int panel, int targetFirstPanel, Span<int> runStart, Span<int> runTop)
    {
        int kh = plane.KernelHeight, kw = plane.KernelWidth, height = plane.Height, width = plane.Width, sx = plane.StrideX;
        int depth = channels * kh * kw;
        int pixels = plane.OutHeight * plane.OutWidth;
        int q0 = panel * nr, valid = Math.Min(nr, pixels - q0);
        var output = target.AsSpan((panel - targetFirstPanel) * nr * depth, nr * depth);
        // The panel's pixels as runs within one output row: run r covers panel columns
        // [runStart[r], runStart[r+1]); its first pixel reads input row runTop[r] + ky*dy and column
        // runLeft[r] + kx*dx (computed once per panel: divisions per tap would cost more than the copy).
        int runs = 0;
        Span<int> runLeft = stackalloc int[nr];
        for (int t = 0; t < valid; runs++)
        {
            int q = q0 + t, oy = q / plane.OutWidth, ox = q - oy * plane.OutWidth;
            runStart[runs] = t;
            runTop[runs] = oy * plane.StrideY - plane.PadTop;
            runLeft[runs] = ox * sx - plane.PadLeft;
            t += Math.Min(valid - t, plane.OutWidth - ox);
        }
        runStart[runs] = valid;
        int k = 0;
        for (int c = 0; c < channels; c++)
        {
            var channel = source.AsSpan(offset + c * height * width, height * width);
            for (int ky = 0; ky < kh; ky++)
            {
                for (int kx = 0; kx < kw; kx++, k++)
                {
                    var row = output.Slice(k * nr, nr);
                    int dy = ky * plane.DilationY, dx = kx * plane.DilationX;
                    for (int r = 0; r < runs; r++)
                    {
                        int t0 = runStart[r], t1 = runStart[r + 1];
                        int iy = runTop[r] + dy;
                        var run = row[t0..t1];
                        if ((uint)iy >= (uint)height) { run.Clear(); continue; }
                        // Input column of run element i: ix0 + i * sx; keep the i with 0 <= ix < width.
                        int ix0 = runLeft[r] + dx;
                        if (sx == 1 && ix0 >= 0 && ix0 + run.Length <= width)
                        {
                            channel.Slice(iy * width + ix0, run.Length).CopyTo(run);
                            continue;
                        }
                        int first = ix0 >= 0 ? 0 : Math.Min(run.Length, (-ix0 + sx - 1) / sx);
                        int end = ix0 >= width ? 0 : Math.Min(run.Length, (width - ix0 + sx - 1) / sx);
                        if (end <= first) { run.Clear(); continue; }
                        run[..first].Clear();
                        run[end..].Clear();
                        var line = channel.Slice(iy * width);
                        if (sx == 1)
                        {
                            line.Slice(ix0 + first, end - first).CopyTo(run[first..end]);
                        }
                        else if (sx == 2)
                        {
                            EvenElements(line, ix0 + first * 2, run[first..end]);
                        }
                        else
                        {
                            for (int i = first, ix = ix0 + first * sx; i < end; i++, ix += sx) run[i] = line[ix];
                        }
                    }
                    if (valid < nr) row[valid..].Clear();
                }
            }
        }
    }
}
