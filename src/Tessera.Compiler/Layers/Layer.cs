using Tessera.Core;

namespace Tessera.Compiler.Layers;

/// <summary>One NPU-level operation of a quantized network: integer semantics only (TFLite int8 reference
/// arithmetic, every rounding through <see cref="Tessera.Hardware.FixedPoint"/>). The integer graph maps onto
/// these; the compiler lowers each to instructions and <see cref="LayerOracle"/> defines what they compute.</summary>
public abstract record Layer(string Name, NpuTensor Output)
{
    public abstract IReadOnlyList<NpuTensor> Inputs { get; }

    /// <summary>Multiply-accumulates of the operation (0 for data movement and elementwise layers).</summary>
    public virtual long Macs => 0;

    public virtual string Kind => GetType().Name.Replace("Layer", "", StringComparison.Ordinal);

    protected void Require(bool condition, string problem)
    {
        if (!condition) throw new InvalidInputException($"layer '{Name}': {problem}", Name);
    }

    protected static void CheckClamp(Layer layer, int minimum, int maximum) =>
        layer.Require(minimum >= -128 && maximum <= 127 && minimum <= maximum, $"clamp range [{minimum}, {maximum}] is not inside [-128, 127]");

    /// <summary>Validates shapes and parameters; called by the compiler and the oracle.</summary>
    public abstract void Validate();
}

/// <summary>Quantized convolution (TFLite Conv2D / DepthwiseConv2D int8): weights [out][kh][kw][in/groups]
/// int8 symmetric per output channel, int32 bias, per-channel Q31 multiplier and shift, fused activation as the
/// clamp range. Groups == input channels == output channels is depthwise.</summary>
public sealed record ConvLayer(string Name, NpuTensor Input, NpuTensor Output, Window Window, int Groups,
    sbyte[] Weights, int[] Bias, int[] Multipliers, int[] Shifts, int Minimum = -128, int Maximum = 127) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Input];

    public int InputChannelsPerGroup => Input.Channels / Groups;

    public int OutputChannelsPerGroup => Output.Channels / Groups;

    public bool IsDepthwise => Groups == Input.Channels && Groups == Output.Channels && Groups > 1;

    public override long Macs => (long)Output.Pixels * Output.Channels * Window.Taps * InputChannelsPerGroup;

    public override string Kind => IsDepthwise ? "DepthwiseConv" : Window.Taps == 1 && Input.Height == 1 ? "Gemm" : "Conv";

    public sbyte Weight(int outputChannel, int ky, int kx, int inputChannel) =>
        Weights[((outputChannel * Window.KernelHeight + ky) * Window.KernelWidth + kx) * InputChannelsPerGroup + inputChannel];

    public override void Validate()
    {
        Require(Groups >= 1 && Input.Channels % Groups == 0 && Output.Channels % Groups == 0, $"groups {Groups} must divide {Input.Channels} input and {Output.Channels} output channels");
        Require(Window.StrideX >= 1 && Window.StrideY >= 1 && Window.DilationX >= 1 && Window.DilationY >= 1, "strides and dilations must be positive");
        Require(Output.Height == Window.OutputHeight(Input.Height) && Output.Width == Window.OutputWidth(Input.Width),
            $"output {Output.ShapeText} does not match the window (expected {Window.OutputHeight(Input.Height)}x{Window.OutputWidth(Input.Width)})");
        Require(Weights.Length == Output.Channels * Window.Taps * InputChannelsPerGroup, $"weights have {Weights.Length} values, expected {Output.Channels * Window.Taps * InputChannelsPerGroup}");
        Require(Bias.Length == Output.Channels && Multipliers.Length == Output.Channels && Shifts.Length == Output.Channels, "bias, multipliers and shifts need one value per output channel");
        Require(Multipliers.All(m => m >= 0) && Shifts.All(s => s is >= -31 and <= 30), "multipliers must be non-negative and shifts in -31..30");
        CheckClamp(this, Minimum, Maximum);
    }

    /// <summary>A fully connected layer / MatMul with a constant right operand: rows of <paramref name="input"/>
    /// (Height x Width rows of Channels = K values, so a batch of matrices is Height x Width rows) times
    /// weights [N][K]: a 1x1 convolution in this layout.</summary>
    public static ConvLayer FullyConnected(string name, NpuTensor input, NpuTensor output, sbyte[] weights, int[] bias, int[] multipliers, int[] shifts, int minimum = -128, int maximum = 127) =>
        new(name, input, output, new Window(1, 1), 1, weights, bias, multipliers, shifts, minimum, maximum);
}

/// <summary>Max pooling (TFLite MaxPool2D int8): padding taps never win (-128), input and output share the
/// quantization; the clamp range is the fused activation.</summary>
public sealed record MaxPoolLayer(string Name, NpuTensor Input, NpuTensor Output, Window Window, int Minimum = -128, int Maximum = 127) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Input];

    public override void Validate()
    {
        Require(Output.Channels == Input.Channels && Output.Height == Window.OutputHeight(Input.Height) && Output.Width == Window.OutputWidth(Input.Width), "output shape does not match the window");
        CheckClamp(this, Minimum, Maximum);
    }
}

/// <summary>Average pooling with padded taps counted (ONNX count_include_pad=1; no padding is the common case
/// and global average pooling is a window over the whole image): acc = sum of (x - input zero point) over the
/// window, out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier, shift) + output zero point), where
/// multiplier/shift encode input scale / (output scale x window taps). The division is a fixed-point
/// multiply, not TFLite's integer division, because the vector unit has no divider. <see cref="InputShift"/>
/// shifts the sum left before the multiply (headroom bits, as the integer executor's Requantizer.ForValues
/// takes them, so a small sum is not rounded twice).</summary>
public sealed record AveragePoolLayer(string Name, NpuTensor Input, NpuTensor Output, Window Window, int Multiplier, int Shift, int Minimum = -128, int Maximum = 127, int InputShift = 0) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Input];

    public override void Validate()
    {
        Require(Output.Channels == Input.Channels && Output.Height == Window.OutputHeight(Input.Height) && Output.Width == Window.OutputWidth(Input.Width), "output shape does not match the window");
        Require(Multiplier >= 0 && Shift is >= -31 and <= 30, "multiplier must be non-negative and shift in -31..30");
        Require(InputShift is >= 0 and <= 30, "input shift must be in 0..30");
        CheckClamp(this, Minimum, Maximum);
    }

    public static AveragePoolLayer Global(string name, NpuTensor input, NpuTensor output, int multiplier, int shift) =>
        new(name, input, output, new Window(input.Height, input.Width), multiplier, shift);
}

/// <summary>Elementwise int8 Add or Mul of two same-shape tensors with TFLite's rescaling; Parameters is the
/// block FixedPoint.Add (12 values) or FixedPoint.Multiply (7 values) takes.</summary>
public sealed record ElementwiseLayer(string Name, NpuTensor Left, NpuTensor Right, NpuTensor Output, bool Multiply, int[] Parameters) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Left, Right];

    public override string Kind => Multiply ? "Mul" : "Add";

    public override void Validate()
    {
        Require(Left.Length == Output.Length && Right.Length == Output.Length && Left.Channels == Output.Channels && Right.Channels == Output.Channels, "operands and output must have the same shape (no broadcast yet)");
        Require(Parameters.Length == (Multiply ? 7 : 12), $"{Kind} takes {(Multiply ? 7 : 12)} parameters");
    }
}

/// <summary>A 256-entry int8 table applied elementwise (sigmoid, tanh, hard-swish, ... precomputed):
/// out = Table[x + 128].</summary>
public sealed record LookupLayer(string Name, NpuTensor Input, NpuTensor Output, sbyte[] Table) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Input];

    public override void Validate()
    {
        Require(Table.Length == 256, "the table needs 256 entries");
        Require(Input.Length == Output.Length && Input.Channels == Output.Channels, "input and output must have the same shape");
    }
}

/// <summary>Concatenation along channels (the HWC innermost axis) of tensors with the same pixels and
/// quantization: a DMA copy into channel slices of the output.</summary>
public sealed record ConcatLayer(string Name, IReadOnlyList<NpuTensor> Parts, NpuTensor Output) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => Parts;

    public override void Validate()
    {
        Require(Parts.Count >= 1 && Parts.All(p => p.Height == Output.Height && p.Width == Output.Width), "parts must have the output's pixels");
        Require(Parts.Sum(p => p.Channels) == Output.Channels, "part channels must add up to the output channels");
    }
}

/// <summary>Reshape/Flatten in HWC order: the same DRAM bytes seen with another shape, no instructions.</summary>
public sealed record ReshapeLayer(string Name, NpuTensor Input, NpuTensor Output) : Layer(Name, Output)
{
    public override IReadOnlyList<NpuTensor> Inputs => [Input];

    public override void Validate() => Require(Input.Length == Output.Length, "reshape must keep the element count");
}
