namespace Tessera.Compiler.Layers;

/// <summary>An int8 activation tensor as the NPU stores it: one image of Height x Width pixels with Channels
/// values each, channels innermost (HWC, batch 1). Channels-last is the NPU's natural layout: a pixel is one
/// gemm input row (k = channels), a gemm output row is one pixel's output channels (the array's columns), and
/// the vector unit's per-column parameters (per-channel requantization, depthwise weights) line up with
/// channels. <see cref="ZeroPoint"/> and <see cref="Scale"/> are the tensor's affine quantization
/// (real = Scale * (q - ZeroPoint)); the scale is informational, every layer carries its integer multipliers.</summary>
public sealed record NpuTensor(string Name, int Height, int Width, int Channels, int ZeroPoint = 0, double Scale = 1.0)
{
    public int Pixels => Height * Width;

    public int Length => Height * Width * Channels;

    public string ShapeText => $"{Height}x{Width}x{Channels}";

    /// <summary>The same buffer seen with another shape (a reshape in HWC order is free).</summary>
    public NpuTensor Reshaped(string name, int height, int width, int channels)
    {
        if ((long)height * width * channels != Length) throw new ArgumentException($"cannot reshape {ShapeText} to {height}x{width}x{channels}");
        return this with { Name = name, Height = height, Width = width, Channels = channels };
    }
}

/// <summary>Padding of a window layer in pixels. Convolutions pad with the input zero point (a real 0), max
/// pooling with -128.</summary>
public readonly record struct Padding(int Top, int Left, int Bottom, int Right)
{
    public static Padding None => default;

    public static Padding Same(int value) => new(value, value, value, value);
}

/// <summary>A window over an HWC tensor: kernel, strides, dilations, padding; output size as ONNX/TFLite
/// compute it (floor).</summary>
public readonly record struct Window(int KernelHeight, int KernelWidth, int StrideY = 1, int StrideX = 1, int DilationY = 1, int DilationX = 1, Padding Padding = default)
{
    public int Taps => KernelHeight * KernelWidth;

    public int OutputHeight(int height) => (height + Padding.Top + Padding.Bottom - ((KernelHeight - 1) * DilationY + 1)) / StrideY + 1;

    public int OutputWidth(int width) => (width + Padding.Left + Padding.Right - ((KernelWidth - 1) * DilationX + 1)) / StrideX + 1;

    /// <summary>Padded input rows an output band of <paramref name="rows"/> rows reads.</summary>
    public int InputRows(int rows) => (rows - 1) * StrideY + (KernelHeight - 1) * DilationY + 1;
}
