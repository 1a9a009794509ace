using Tessera.Compiler.Layers;
using Tessera.Core;

namespace Tessera.Npu;

/// <summary>How an integer-program value (ONNX layout) is laid out in NPU DRAM. <see cref="Image"/>: a
/// [1, C, H, W] (or [1, C, W]) NCHW tensor stored HWC, channels innermost, as convolutions and pools need it.
/// <see cref="Rows"/>: a [..., K] tensor stored as it is, row-major, as rows of K channels (MatMul/Gemm
/// operands). The host converts at segment boundaries.</summary>
public enum NpuLayout
{
    Image,
    Rows,
}

public static class ValueLayout
{
    /// <summary>The NPU view of a value of this ONNX shape in a layout, or null if the shape has no such view.</summary>
    public static NpuTensor? View(string name, int[] shape, NpuLayout layout, int zeroPoint)
    {
        if (layout == NpuLayout.Image)
        {
            return shape switch
            {
                [1, var c, var h, var w] => new NpuTensor(name, h, w, c, zeroPoint),
                [1, var c, var w] => new NpuTensor(name, 1, w, c, zeroPoint),
                _ => null,
            };
        }
        if (shape.Length == 0) return new NpuTensor(name, 1, 1, 1, zeroPoint);
        long rows = ShapeMath.ElementCount(shape.AsSpan(0, shape.Length - 1));
        return rows > int.MaxValue || shape[^1] == 0 ? null : new NpuTensor(name, (int)rows, 1, shape[^1], zeroPoint);
    }

    /// <summary>Whether the two layouts put this shape's bytes in the same order (an image of one pixel or of
    /// one channel is already row-major).</summary>
    public static bool SameBytes(int[] shape, NpuLayout a, NpuLayout b)
    {
        if (a == b) return true;
        var image = View("", shape, NpuLayout.Image, 0);
        return image is not null && (image.Pixels == 1 || image.Channels == 1);
    }

    /// <summary>The layout a value takes when nothing forces one: images for [1, C, H, W] and [1, C, W].</summary>
    public static NpuLayout Natural(int[] shape) => View("", shape, NpuLayout.Image, 0) is null ? NpuLayout.Rows : NpuLayout.Image;

    /// <summary>ONNX-layout int8 data to NPU bytes.</summary>
    public static sbyte[] ToNpu(Tensor value, NpuLayout layout)
    {
        var data = value.As<sbyte>();
        if (layout == NpuLayout.Rows || SameBytes(value.Shape, layout, NpuLayout.Rows)) return (sbyte[])data.Clone();
        var view = View("", value.Shape, layout, 0)!;
        int pixels = view.Pixels, channels = view.Channels;
        var result = new sbyte[data.Length];
        for (int c = 0; c < channels; c++)
        for (int p = 0; p < pixels; p++) result[p * channels + c] = data[c * pixels + p];
        return result;
    }

    /// <summary>NPU bytes back to an ONNX-layout int8 tensor of <paramref name="shape"/>.</summary>
    public static Tensor FromNpu(sbyte[] bytes, int[] shape, NpuLayout layout)
    {
        if (layout == NpuLayout.Rows || SameBytes(shape, layout, NpuLayout.Rows)) return Tensor.Create((int[])shape.Clone(), (sbyte[])bytes.Clone());
        var view = View("", shape, layout, 0)!;
        int pixels = view.Pixels, channels = view.Channels;
        var result = new sbyte[bytes.Length];
        for (int c = 0; c < channels; c++)
        for (int p = 0; p < pixels; p++) result[c * pixels + p] = bytes[p * channels + c];
        return Tensor.Create((int[])shape.Clone(), result);
    }
}
