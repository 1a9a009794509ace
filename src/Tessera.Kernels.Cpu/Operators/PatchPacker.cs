using System.Runtime.CompilerServices;
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
            Span<int> rowBase = stackalloc int[panelColumns];
            Span<int> columnBase = stackalloc int[panelColumns];
            for (int p = first; p < end; p++) PackPanel(panelColumns, source, offset, channels, plane, target, p, rowBase, columnBase);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPanel(int nr, float[] source, int offset, int channels, Plane plane, float[] target, int panel, Span<int> rowBase, Span<int> columnBase)
    {
        int kh = plane.KernelHeight, kw = plane.KernelWidth, height = plane.Height, width = plane.Width;
        int depth = channels * kh * kw;
        int pixels = plane.OutHeight * plane.OutWidth;
        int q0 = panel * nr, valid = Math.Min(nr, pixels - q0);
        for (int t = 0; t < valid; t++)
        {
            int q = q0 + t;
            rowBase[t] = q / plane.OutWidth * plane.StrideY - plane.PadTop;
            columnBase[t] = q % plane.OutWidth * plane.StrideX - plane.PadLeft;
        }
        bool oneRow = valid == nr && plane.StrideX == 1 && q0 / plane.OutWidth == (q0 + nr - 1) / plane.OutWidth;
        var output = target.AsSpan(panel * nr * depth, nr * depth);
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
                    if (oneRow)
                    {
                        int iy = rowBase[0] + dy, ix = columnBase[0] + dx;
                        if ((uint)iy >= (uint)height) { row.Clear(); continue; }
                        if (ix >= 0 && ix + nr <= width) { channel.Slice(iy * width + ix, nr).CopyTo(row); continue; }
                    }
                    for (int t = 0; t < valid; t++)
                    {
                        int iy = rowBase[t] + dy, ix = columnBase[t] + dx;
                        row[t] = (uint)iy < (uint)height && (uint)ix < (uint)width ? channel[iy * width + ix] : 0f;
                    }
                    if (valid < nr) row[valid..].Clear();
                }
            }
        }
    }
}
