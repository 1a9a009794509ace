namespace Tessera.Compiler.Layers;

/// <summary>Quantized transposed convolution (ONNX ConvTranspose, as the integer executor's int.ConvTranspose
/// computes it): every input pixel (iy, ix) scatters into output (iy*sy - top + ky*dy, ix*sx - left + kx*dx);
/// acc[oc] = bias[oc] + sum (x - input zero point) * w, requantized per output channel with the clamp range.
/// <see cref="Weights"/> are [out][kh][kw][in/groups] like <see cref="ConvLayer"/> (ONNX's [in][out/groups][kh][kw]
/// re-ordered by the adapter, not flipped). <see cref="Window"/>'s padding is ONNX's pads (cropped from the full
/// output); the output size may exceed the cropped size by ONNX's output_padding (less than the stride).</summary>
public sealed record ConvTransposeLayer(string Name, NpuTensor Input, NpuTensor Output, Window Window, int Groups,
    sbyte[] Weights, int[] Bias, int[] Multipliers, int[] Shifts, int Minimum = -128, int Maximum = 127) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Input];

    public int InputChannelsPerGroup => Input.Channels / Groups;

    public int OutputChannelsPerGroup => Output.Channels / Groups;

    /// <summary>Arithmetic MACs: each input pixel times each tap (none spent on inserted zeros).</summary>
    public override long Macs => (long)Input.Pixels * Output.Channels * Window.Taps * InputChannelsPerGroup;

    public sbyte Weight(int outputChannel, int ky, int kx, int inputChannel) =>
        Weights[((outputChannel * Window.KernelHeight + ky) * Window.KernelWidth + kx) * InputChannelsPerGroup + inputChannel];

    /// <summary>Output size before ONNX's output_padding: (in - 1) * stride + dilated kernel - pads.</summary>
    public static int CroppedSize(int input, int kernel, int stride, int dilation, int padBegin, int padEnd) =>
        (input - 1) * stride + (kernel - 1) * dilation + 1 - padBegin - padEnd;

    /// <summary>Stride equal to the kernel, no dilation, padding or output padding (PP-OCRv4 det's 2x2 stride 2):
    /// every output pixel gets exactly one tap, so the layer is a 1x1 GEMM to kh x kw x out channels.</summary>
    public bool IsSubPixel => Window.StrideY == Window.KernelHeight && Window.StrideX == Window.KernelWidth && Window.DilationY == 1 && Window.DilationX == 1
        && Window.Padding == Padding.None && Output.Height == Input.Height * Window.KernelHeight && Output.Width == Input.Width * Window.KernelWidth;

    public override void Validate()
    {
        var w = Window;
        Require(Groups >= 1 && Input.Channels % Groups == 0 && Output.Channels % Groups == 0, $"groups {Groups} must divide {Input.Channels} input and {Output.Channels} output channels");
        Require(w.StrideX >= 1 && w.StrideY >= 1 && w.DilationX >= 1 && w.DilationY >= 1, "strides and dilations must be positive");
        int extraY = Output.Height - CroppedSize(Input.Height, w.KernelHeight, w.StrideY, w.DilationY, w.Padding.Top, w.Padding.Bottom);
        int extraX = Output.Width - CroppedSize(Input.Width, w.KernelWidth, w.StrideX, w.DilationX, w.Padding.Left, w.Padding.Right);
        Require(extraY >= 0 && extraY < Math.Max(w.StrideY, w.DilationY) && extraX >= 0 && extraX < Math.Max(w.StrideX, w.DilationX) && Output.Height > 0 && Output.Width > 0,
            $"output {Output.ShapeText} does not match the window (output padding must be below the stride)");
        Require(Weights.Length == Output.Channels * w.Taps * InputChannelsPerGroup, $"weights have {Weights.Length} values, expected {Output.Channels * w.Taps * InputChannelsPerGroup}");
        Require(Bias.Length == Output.Channels && Multipliers.Length == Output.Channels && Shifts.Length == Output.Channels, "bias, multipliers and shifts need one value per output channel");
        Require(Multipliers.All(m => m >= 0) && Shifts.All(s => s is >= -31 and <= 30), "multipliers must be non-negative and shifts in -31..30");
        CheckClamp(this, Minimum, Maximum);
    }
}
