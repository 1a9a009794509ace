using System.Runtime.CompilerServices;
namespace Tessera.Kernels.Cpu.Gemm;

/// <summary>One GEMM operand in the micro-kernel's layout. The left operand A [M, K] is cut into panels of
/// <see cref="GemmShape.Rows"/> rows, stored k-major (for each k the panel's rows side by side); the right
/// operand B [K, N] into panels of <see cref="GemmShape.Columns"/> columns, also k-major. Panels are
/// padded with zeros to a whole tile so the micro-kernel never tests bounds. Weights are packed once per
/// session; activations are packed per call into a pooled buffer.</summary>
public sealed class PackedMatrix
{
    private PackedMatrix(bool left, int outer, int depth, int panelWidth, float[] data)
    {
        IsLeft = left;
        Outer = outer;
        Depth = depth;
        PanelWidth = panelWidth;
        Data = data;
    }

    /// <summary>True for A (row panels), false for B (column panels).</summary>
    public bool IsLeft { get; }

    /// <summary>M for A, N for B.</summary>
    public int Outer { get; }

    /// <summary>K, the reduced dimension.</summary>
    public int Depth { get; }

    public int PanelWidth { get; }

    public int Panels => (Outer + PanelWidth - 1) / PanelWidth;

    public float[] Data { get; }

    public static int LeftLength(GemmShape shape, int rows, int depth) => (rows + shape.Rows - 1) / shape.Rows * shape.Rows * depth;

    public static int RightLength(GemmShape shape, int columns, int depth) => (columns + shape.Columns - 1) / shape.Columns * shape.Columns * depth;

    /// <summary>Packs A where A[r, k] = source[r * rowStride + k * depthStride] (strides give transposes).</summary>
    public static PackedMatrix Left(GemmShape shape, ReadOnlySpan<float> source, int rows, int depth, int rowStride, int depthStride)
    {
        var data = new float[LeftLength(shape, rows, depth)];
        PackLeft(shape.Rows, source, rows, depth, rowStride, depthStride, data);
        return new PackedMatrix(true, rows, depth, shape.Rows, data);
    }

    /// <summary>Packs B where B[k, c] = source[k * depthStride + c * columnStride].</summary>
    public static PackedMatrix Right(GemmShape shape, ReadOnlySpan<float> source, int depth, int columns, int depthStride, int columnStride)
    {
        var data = new float[RightLength(shape, columns, depth)];
        PackRight(shape.Columns, source, depth, columns, depthStride, columnStride, 0, (columns + shape.Columns - 1) / shape.Columns, data);
        return new PackedMatrix(false, columns, depth, shape.Columns, data);
    }

    /// <summary>Wraps data already in the packed layout (a pooled buffer filled by a packer).</summary>
    public static PackedMatrix Wrap(bool left, int outer, int depth, int panelWidth, float[] data) => new(left, outer, depth, panelWidth, data);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackLeft(int panelRows, ReadOnlySpan<float> source, int rows, int depth, int rowStride, int depthStride, Span<float> target)
    {
        int panels = (rows + panelRows - 1) / panelRows;
        for (int p = 0; p < panels; p++)
        {
            var panel = target.Slice(p * panelRows * depth, panelRows * depth);
            int valid = Math.Min(panelRows, rows - p * panelRows);
            if (valid < panelRows) panel.Clear();
            for (int r = 0; r < valid; r++)
            {
                int row = (p * panelRows + r) * rowStride;
                for (int k = 0; k < depth; k++) panel[k * panelRows + r] = source[row + k * depthStride];
            }
        }
    }

    /// <summary>Packs column panels [firstPanel, endPanel) of B; panel p lands at panel p - targetFirstPanel of
    /// <paramref name="target"/> (a block buffer holds panels from its first one on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackRight(int panelColumns, ReadOnlySpan<float> source, int depth, int columns, int depthStride, int columnStride, int firstPanel, int endPanel, Span<float> target,
        int targetFirstPanel = 0)
    {
        for (int p = firstPanel; p < endPanel; p++)
        {
            var panel = target.Slice((p - targetFirstPanel) * panelColumns * depth, panelColumns * depth);
            int first = p * panelColumns;
            int valid = Math.Min(panelColumns, columns - first);
            if (columnStride == 1 && valid == panelColumns)
            {
                for (int k = 0; k < depth; k++) source.Slice(k * depthStride + first, panelColumns).CopyTo(panel.Slice(k * panelColumns, panelColumns));
                continue;
            }
            if (valid < panelColumns) panel.Clear();
            for (int k = 0; k < depth; k++)
            {
                var row = panel.Slice(k * panelColumns, valid);
                int origin = k * depthStride + first * columnStride;
                for (int c = 0; c < valid; c++) row[c] = source[origin + c * columnStride];
            }
        }
    }
}
