using Tessera.Core;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Integer;

/// <summary>int8 x int8 -> int32 convolution (grouped, depthwise, strided, dilated, padded) with an int32 bias,
/// requantized per output channel with the fused activation as the clamp range; without a
/// <see cref="Requantizer"/> it returns the int32 sums (ConvInteger).</summary>
public sealed class ConvolutionStep(Node node, string input, string output, int inputZero, Tensor weights, int[] weightZero,
    int[]? bias, Requantizer? requantizer, bool unsigned, RealScales? scales = null, bool floatAccumulation = false, bool onnxRuntime = false)
    : IntegerStep(node.DisplayName, [input], [output])
{
    /// <summary>Compute as ONNX Runtime's CPU provider does; only with a requantizer and known scales. With uint8
    /// activations it fuses the QDQ group into QLinearConv: the int32 sums requantized by
    /// <see cref="OnnxRuntimeArithmetic.Requantize"/> with <see cref="RealScales.OnnxRuntimeScale"/>. With int8
    /// activations it does not fuse on x64 and runs the float Conv (<see cref="IntegerKernels.ConvolutionOnnxRuntimeFloat"/>).</summary>
    public bool OnnxRuntime { get; } = onnxRuntime && scales is not null && requantizer is not null;

    /// <summary>This step requantizing as ONNX Runtime does (<see cref="OnnxRuntime"/>) where its scales are known.</summary>
    public ConvolutionStep WithOnnxRuntimeArithmetic() => Scales is null || Requantizer is null || OnnxRuntime
        ? this
        : new(Node, Inputs[0], Outputs[0], InputZero, Weights, WeightZero, Bias, Requantizer.WithRounding(RequantizationRounding.Float), Unsigned, Scales, onnxRuntime: true);

    /// <summary>The real scales the step was lowered from, when known.</summary>
    public RealScales? Scales { get; } = scales;

    /// <summary>Accumulate in float32 as Arm NN's reference backend does (<see cref="RealScales"/>); only with a
    /// requantizer and known scales.</summary>
    public bool FloatAccumulation { get; } = floatAccumulation && scales is not null && requantizer is not null;

    /// <summary>This step accumulating in float32 (<see cref="FloatAccumulation"/>) where its scales are known.</summary>
    public ConvolutionStep WithFloatAccumulation() => Scales is null || Requantizer is null || FloatAccumulation
        ? this
        : new(Node, Inputs[0], Outputs[0], InputZero, Weights, WeightZero, Bias, Requantizer, Unsigned, Scales, floatAccumulation: true);

    /// <summary>The Conv node (its attributes give the window).</summary>
    public Node Node { get; } = node;

    public int InputZero { get; } = inputZero;

    /// <summary>One zero point per output channel, or one for all.</summary>
    public int[] WeightZero { get; } = weightZero;

    public int[]? Bias { get; } = bias;

    public Tensor Weights { get; } = weights;

    public Requantizer? Requantizer { get; } = requantizer;

    /// <summary>Whether the output is uint8 (held as int8 shifted by -128, see <see cref="ActivationQuantization"/>).</summary>
    public bool Unsigned { get; } = unsigned;

    public override string Kind => Requantizer is null ? "int.ConvInteger" : "int.Conv";

    /// <summary>Groups of the convolution (1 for a plain one, the channel count for a depthwise one).</summary>
    public int Groups => (int)(Node.Attribute("group")?.Value as long? ?? 1);

    /// <summary>The same step with another requantizer (null: the int32 sums).</summary>
    public ConvolutionStep WithRequantizer(Requantizer? requantizer) =>
        new(Node, Inputs[0], Outputs[0], InputZero, Weights, WeightZero, Bias, requantizer, Unsigned, Scales, FloatAccumulation, OnnxRuntime);

    public override string Parameters => $"input_zero={InputZero} weights={ShapeMath.Format(Weights.Shape)}" +
        (Requantizer is null ? string.Empty : $" output_zero={Requantizer.ZeroPoint} clamp=[{Requantizer.Minimum},{Requantizer.Maximum}]");

    /// <summary>How ONNX Runtime (1.31, x64, default optimizations) sums this convolution when it runs it as a float
    /// Conv (int8 activations): a convolution with one filter per group (depthwise, or a single output channel) is
    /// an SGEMM with one row (M = 1) in its plain Conv kernel, <see cref="Tessera.Integer.OnnxRuntimeSummation.SingleRowGemm"/>;
    /// everything else, <see cref="Tessera.Integer.OnnxRuntimeSummation.FusedChain"/>.</summary>
    public OnnxRuntimeSummation OnnxRuntimeSummation => Weights.Shape[0] / Groups == 1
        ? OnnxRuntimeSummation.SingleRowGemm
        : OnnxRuntimeSummation.FusedChain;

    /// <summary>The float32 output ONNX Runtime computes before QuantizeLinear when it runs this convolution as a float
    /// Conv (<see cref="IntegerKernels.ConvolutionOnnxRuntimeFloatSums"/>), from the int8 input in
    /// <paramref name="state"/>; needs the real scales.</summary>
    public Tensor OnnxRuntimeFloatOutput(IntegerState state, OnnxRuntimeSummation summation)
    {
        if (Scales is null) throw new InvalidOperationException($"{Name}: the real scales are not known");
        var x = state.Int8(Inputs[0]);
        var (geometry, group) = Convolution.Prepare(new KernelContext(Node, 0, []), x.Shape, Weights.Shape);
        var window = Windows.FromGeometry(geometry, Node.DisplayName);
        var sums = IntegerKernels.ConvolutionOnnxRuntimeFloatSums(x.As<sbyte>(), Windows.Lift(x.Shape), InputZero, Weights.As<sbyte>(), Windows.Lift(Weights.Shape),
            WeightZero, Bias, group, window, Scales, 128, summation);
        return Tensor.Create(Convolution.OutputShape(x.Shape, Weights.Shape[0], geometry), sums);
    }

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        var attributes = new KernelContext(Node, 0, []);
        var (geometry, group) = Convolution.Prepare(attributes, x.Shape, Weights.Shape);
        var window = Windows.FromGeometry(geometry, Node.DisplayName);
        int[] xShape = Windows.Lift(x.Shape), wShape = Windows.Lift(Weights.Shape);
        int[] outShape = Convolution.OutputShape(x.Shape, Weights.Shape[0], geometry);
        if (FloatAccumulation)
        {
            var real = IntegerKernels.ConvolutionFloat(x.As<sbyte>(), xShape, InputZero, Weights.As<sbyte>(), wShape, WeightZero, Bias, group, window, Scales!, Requantizer!);
            state.SetInt8(Outputs[0], Tensor.Create(outShape, real), Unsigned);
            return;
        }
        if (OnnxRuntime && !state.IsUnsigned(Inputs[0]))
        {
            // ONNX Runtime fuses no QDQ convolution with int8 activations on x64: it runs the float Conv.
            // 128: MLAS's SGEMM depth block on x64 (the measured models did not tell 128 from 256 or no blocking).
            var real = IntegerKernels.ConvolutionOnnxRuntimeFloat(x.As<sbyte>(), xShape, InputZero, Weights.As<sbyte>(), wShape, WeightZero, Bias, group, window, Scales!, Requantizer!, 128, OnnxRuntimeSummation);
            state.SetInt8(Outputs[0], Tensor.Create(outShape, real), Unsigned);
            return;
        }
        var sums = IntegerKernels.ConvolutionAccumulators(x.As<sbyte>(), xShape, InputZero, Weights.As<sbyte>(), wShape, WeightZero, Bias, group, window);
        if (Requantizer is null) state.Set(Outputs[0], Tensor.Create(outShape, sums));
        else if (OnnxRuntime) state.SetInt8(Outputs[0], IntegerKernels.RequantizeAccumulators(sums, outShape, Scales!, Requantizer, channelLast: false), Unsigned);
        else state.SetInt8(Outputs[0], IntegerKernels.RequantizeAccumulators(sums, outShape, Requantizer, channelLast: false), Unsigned);
    }
}

/// <summary>int8 batched matrix product (MatMul, Gemm with a constant right operand, QLinearMatMul,
/// MatMulInteger): either operand may be an activation; the right one may be a constant with per-column scales.</summary>
public sealed class MatMulStep(string name, string left, string? right, int leftZero, Tensor? constantRight, int[] rightZero,
    int[]? bias, Requantizer? requantizer, string output, bool unsigned, RealScales? scales = null, bool floatAccumulation = false, bool onnxRuntime = false)
    : IntegerStep(name, right is null ? [left] : [left, right], [output])
{
    /// <summary>Requantize the int32 sums as ONNX Runtime's QLinearMatMul does (see <see cref="ConvolutionStep.OnnxRuntime"/>).</summary>
    public bool OnnxRuntime { get; } = onnxRuntime && scales is not null && requantizer is not null;

    /// <summary>This step requantizing as ONNX Runtime does where its scales are known.</summary>
    public MatMulStep WithOnnxRuntimeArithmetic() => Scales is null || Requantizer is null || OnnxRuntime
        ? this
        : new(Name, Inputs[0], ConstantRight is null ? Inputs[1] : null, LeftZero, ConstantRight, RightZero, Bias, Requantizer.WithRounding(RequantizationRounding.Float),
            Outputs[0], unsigned, Scales, onnxRuntime: true);

    /// <summary>The real scales the step was lowered from, when known (per output column).</summary>
    public RealScales? Scales { get; } = scales;

    /// <summary>Accumulate in float32 as Arm NN's reference backend does; only with a constant right operand, a
    /// requantizer and known scales.</summary>
    public bool FloatAccumulation { get; } = floatAccumulation && scales is not null && requantizer is not null && constantRight is not null;

    /// <summary>This step accumulating in float32 (<see cref="FloatAccumulation"/>) where it can.</summary>
    public MatMulStep WithFloatAccumulation() => Scales is null || Requantizer is null || ConstantRight is null || FloatAccumulation
        ? this
        : new(Name, Inputs[0], null, LeftZero, ConstantRight, RightZero, Bias, Requantizer, Outputs[0], unsigned, Scales, floatAccumulation: true);

    public int LeftZero { get; } = leftZero;

    /// <summary>The constant right operand [..., K, N] (transB already applied), or null when it is an activation.</summary>
    public Tensor? ConstantRight { get; } = constantRight;

    public int[] RightZero { get; } = rightZero;

    public int[]? Bias { get; } = bias;

    public Requantizer? Requantizer { get; } = requantizer;

    public override string Kind => Requantizer is null ? "int.MatMulInteger" : "int.MatMul";

    /// <summary>The same step with another requantizer (null: the int32 sums).</summary>
    public MatMulStep WithRequantizer(Requantizer? requantizer) =>
        new(Name, Inputs[0], ConstantRight is null ? Inputs[1] : null, LeftZero, ConstantRight, RightZero, Bias, requantizer, Outputs[0], unsigned, Scales, FloatAccumulation, OnnxRuntime);

    public override string Parameters => $"left_zero={LeftZero}" + (ConstantRight is null ? string.Empty : $" weights={ShapeMath.Format(ConstantRight.Shape)}") +
        (Requantizer is null ? string.Empty : $" output_zero={Requantizer.ZeroPoint} clamp=[{Requantizer.Minimum},{Requantizer.Maximum}]");

    public override void Execute(IntegerState state)
    {
        var a = state.Int8(Inputs[0]);
        var b = ConstantRight ?? state.Int8(Inputs[1]);
        // A rank-1 operand is a row (left) or a column (right), as numpy's matmul promotes it, then dropped.
        int[] aShape = a.Rank == 1 ? [1, a.Shape[0]] : a.Shape;
        int[] bShape = b.Rank == 1 ? [b.Shape[0], 1] : b.Shape;
        if (FloatAccumulation)
        {
            var (real, realShape) = IntegerKernels.MatMulFloat(a.As<sbyte>(), aShape, LeftZero, b.As<sbyte>(), bShape, RightZero, Bias, Scales!, Requantizer!);
            state.SetInt8(Outputs[0], Tensor.Create(OutputShape(realShape, a.Rank, b.Rank), real), unsigned);
            return;
        }
        var (sums, shape) = IntegerKernels.MatMulAccumulators(a.As<sbyte>(), aShape, LeftZero, b.As<sbyte>(), bShape, RightZero, Bias);
        int[] outShape = OutputShape(shape, a.Rank, b.Rank);
        if (Requantizer is null) state.Set(Outputs[0], Tensor.Create(outShape, sums));
        else if (OnnxRuntime) state.SetInt8(Outputs[0], IntegerKernels.RequantizeAccumulators(sums, shape, Scales!, Requantizer, channelLast: true).Reshape(outShape), unsigned);
        else state.SetInt8(Outputs[0], IntegerKernels.RequantizeAccumulators(sums, shape, Requantizer, channelLast: true).Reshape(outShape), unsigned);
    }

    private static int[] OutputShape(int[] shape, int leftRank, int rightRank)
    {
        int[] outShape = shape;
        if (leftRank == 1) outShape = [.. shape[..^2], shape[^1]];
        if (rightRank == 1) outShape = [.. outShape[..^1]];
        return outShape;
    }
}

/// <summary>int8 Add or Mul with broadcasting; the fixed-point parameters follow TFLite's int8 spec.</summary>
public sealed class BinaryStep(string name, string kind, string left, string right, string output, int[] parameters, bool unsigned,
    (ActivationQuantization Left, ActivationQuantization Right, ActivationQuantization Output)? quantization = null, bool floatArithmetic = false,
    bool onnxRuntime = false)
    : IntegerStep(name, [left, right], [output])
{
    /// <summary>Compute as ONNX Runtime's QLinearAdd/QLinearMul do on x64 (<see cref="OnnxRuntimeArithmetic.Add"/>,
    /// <see cref="OnnxRuntimeArithmetic.Multiply"/>) where the real parameters are known.</summary>
    public bool OnnxRuntime { get; } = onnxRuntime && quantization is not null;

    /// <summary>This step in ONNX Runtime's arithmetic (<see cref="OnnxRuntime"/>).</summary>
    public BinaryStep WithOnnxRuntimeArithmetic() => Quantization is null || OnnxRuntime
        ? this
        : new BinaryStep(Name, kind, Inputs[0], Inputs[1], Outputs[0], FixedPointParameters, Unsigned, Quantization, onnxRuntime: true);

    public override string Kind => "int." + kind;

    /// <summary>The real parameters the fixed-point ones were derived from, when known.</summary>
    public (ActivationQuantization Left, ActivationQuantization Right, ActivationQuantization Output)? Quantization { get; } = quantization;

    /// <summary>Compute in float32 as a dequantize-compute-quantize runtime does (Arm NN's reference backend):
    /// both operands dequantized, added or multiplied, divided by the output scale, rounded half away from zero.</summary>
    public bool FloatArithmetic { get; } = floatArithmetic && quantization is not null;

    /// <summary>This step in float32 arithmetic (<see cref="FloatArithmetic"/>) where its real parameters are known.</summary>
    public BinaryStep WithFloatArithmetic() => Quantization is null || FloatArithmetic
        ? this
        : new BinaryStep(Name, kind, Inputs[0], Inputs[1], Outputs[0], FixedPointParameters, Unsigned, Quantization, floatArithmetic: true);

    public bool IsMultiply => kind == "Mul";

    public int[] FixedPointParameters { get; } = parameters;

    public bool Unsigned { get; } = unsigned;

    public override string Parameters => "parameters=[" + string.Join(",", FixedPointParameters) + "]";

    public override void Execute(IntegerState state)
    {
        var p = FixedPointParameters;
        if (OnnxRuntime)
        {
            var (l, r, o) = Quantization!.Value;
            var left = state.Int8(Inputs[0]);
            var right = state.Int8(Inputs[1]);
            var result = kind == "Add"
                ? OnnxRuntimeArithmetic.Add(left, l, state.IsUnsigned(Inputs[0]), right, r, state.IsUnsigned(Inputs[1]), o, Unsigned, p[^2], p[^1])
                : OnnxRuntimeArithmetic.Multiply(left, l, state.IsUnsigned(Inputs[0]), right, r, state.IsUnsigned(Inputs[1]), o, Unsigned, p[^2], p[^1]);
            state.SetInt8(Outputs[0], result, Unsigned);
            return;
        }
        if (FloatArithmetic)
        {
            var (l, r, o) = Quantization!.Value;
            int minimum = p[^2], maximum = p[^1];
            bool add = kind == "Add";
            sbyte Real(int x, int y)
            {
                float a = l.Scale * (x - (float)l.ZeroPoint), b = r.Scale * (y - (float)r.ZeroPoint);
                float value = add ? a + b : a * b;
                return (sbyte)Math.Clamp(MathF.Round(value / o.Scale, MidpointRounding.AwayFromZero) + o.ZeroPoint, minimum, maximum);
            }
            state.SetInt8(Outputs[0], IntegerKernels.Binary(state.Int8(Inputs[0]), state.Int8(Inputs[1]), Real), Unsigned);
            return;
        }
        Func<int, int, sbyte> combine = kind == "Add"
            ? (x, y) => Hardware.FixedPoint.Add(x, y, p)
            : (x, y) => Hardware.FixedPoint.Multiply(x, y, p);
        state.SetInt8(Outputs[0], IntegerKernels.Binary(state.Int8(Inputs[0]), state.Int8(Inputs[1]), combine), Unsigned);
    }
}

/// <summary>An elementwise unary function as a 256-entry int8 table computed once from the scales.</summary>
public sealed class LookupStep(string name, string function, string input, string output, sbyte[] table, bool unsigned)
    : IntegerStep(name, [input], [output])
{
    public sbyte[] Table { get; } = table;

    /// <summary>The function the table computes ("Sigmoid", "HardSigmoid", ...).</summary>
    public string Function { get; } = function;

    public bool Unsigned { get; } = unsigned;

    public override string Kind => "int.Lookup(" + Function + ")";

    public override void Execute(IntegerState state) =>
        state.SetInt8(Outputs[0], IntegerKernels.Lookup(state.Int8(Inputs[0]), Table), Unsigned);
}

/// <summary>MaxPool, AveragePool and GlobalAveragePool on int8 (1-D or 2-D windows).</summary>
public sealed class PoolStep(Node node, string input, string output, int inputZero, AverageRescale? averageOutput, bool unsigned,
    ActivationQuantization? sharedQuantization = null, bool floatAverage = false,
    (ActivationQuantization Input, ActivationQuantization Output)? realQuantization = null, bool onnxRuntime = false)
    : IntegerStep(node.DisplayName, [input], [output])
{
    /// <summary>The input's and output's scales and zero points, when known (QDQ average pools).</summary>
    public (ActivationQuantization Input, ActivationQuantization Output)? RealQuantization { get; } = realQuantization;

    /// <summary>Average as ONNX Runtime does (<see cref="OnnxRuntimeArithmetic.AveragePool"/>); only for average
    /// pools whose real parameters are known.</summary>
    public bool OnnxRuntime { get; } = onnxRuntime && realQuantization is not null && averageOutput is not null;

    /// <summary>This pool in ONNX Runtime's arithmetic (<see cref="OnnxRuntime"/>) where it can.</summary>
    public PoolStep WithOnnxRuntimeArithmetic() => RealQuantization is null || AverageOutput is null || OnnxRuntime
        ? this
        : new PoolStep(Node, Inputs[0], Outputs[0], InputZero, AverageOutput, Unsigned, SharedQuantization, FloatAverage, RealQuantization, onnxRuntime: true);

    public Node Node { get; } = node;

    /// <summary>The scale and zero point the input and output share (TFLite int8 average pools), when known.</summary>
    public ActivationQuantization? SharedQuantization { get; } = sharedQuantization;

    /// <summary>Average in float32 as a dequantize-average-quantize runtime does (Arm NN's reference backend):
    /// each value dequantized, summed in window order, divided by the count and by the scale, rounded half away
    /// from zero. Its float rounding decides the exact .5 ties the integer division rounds away from zero.</summary>
    public bool FloatAverage { get; } = floatAverage && sharedQuantization is not null && averageOutput is not null;

    /// <summary>This pool averaging in float32 (<see cref="FloatAverage"/>) where the shared parameters are known.</summary>
    public PoolStep WithFloatAverage() => SharedQuantization is null || AverageOutput is null || FloatAverage
        ? this
        : new PoolStep(Node, Inputs[0], Outputs[0], InputZero, AverageOutput, Unsigned, SharedQuantization, floatAverage: true, RealQuantization);

    public int InputZero { get; } = inputZero;

    public bool Unsigned { get; } = unsigned;

    /// <summary>The output stage of an average pool; null for MaxPool.</summary>
    public AverageRescale? AverageOutput { get; } = averageOutput;

    public override string Kind => "int." + Node.OpType;

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        int[] lifted = Windows.Lift(x.Shape);
        Window window;
        bool includePad = false;
        if (Node.OpType == "GlobalAveragePool")
        {
            window = new Window(lifted[2], lifted[3], 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
        }
        else
        {
            var attributes = new KernelContext(Node, 0, []);
            var kernel = attributes.GetInts("kernel_shape") ?? throw attributes.MissingAttribute("kernel_shape");
            var spatial = x.Shape.Skip(2).Select(d => (long)d).ToArray();
            var geometry = WindowGeometry.Resolve(attributes, spatial, kernel.Select(k => (int)k).ToArray(), attributes.GetInt("ceil_mode", 0) != 0);
            window = Windows.FromGeometry(geometry, Node.DisplayName);
            includePad = attributes.GetInt("count_include_pad", 0) != 0;
        }
        var data = AverageOutput is null
            ? IntegerKernels.MaxPool(x.As<sbyte>(), lifted, window)
            : OnnxRuntime
                ? OnnxRuntimeArithmetic.AveragePool(x.As<sbyte>(), lifted, window, RealQuantization!.Value.Input, RealQuantization.Value.Output,
                    includePad, AverageOutput.ForCount(1), Node.OpType == "GlobalAveragePool")
            : FloatAverage
                ? IntegerKernels.FloatAveragePool(x.As<sbyte>(), lifted, window, SharedQuantization!, includePad, AverageOutput.ForCount(1))
                : IntegerKernels.AveragePool(x.As<sbyte>(), lifted, window, InputZero, includePad, AverageOutput.ForCount);
        int[] outShape = x.Rank == 3 ? [x.Shape[0], x.Shape[1], window.OutputWidth] : [x.Shape[0], x.Shape[1], window.OutputHeight, window.OutputWidth];
        if (Node.OpType == "GlobalAveragePool") outShape = [x.Shape[0], x.Shape[1], .. Enumerable.Repeat(1, x.Rank - 2)];
        state.SetInt8(Outputs[0], Tensor.Create(outShape, data), Unsigned);
    }
}

/// <summary>Concat of int8 inputs, each first rescaled to the output's scale and zero point when they differ.</summary>
public sealed class ConcatStep(Node node, long opset, Operator concat, string[] inputs, int[] inputZeros, Requantizer?[] rescale, string output, bool unsigned,
    ActivationQuantization[]? inputQuantization = null, ActivationQuantization? outputQuantization = null, bool onnxRuntime = false)
    : IntegerStep(node.DisplayName, inputs, [output])
{
    /// <summary>Each input's scale and zero point, and the output's, when known.</summary>
    public IReadOnlyList<ActivationQuantization>? InputQuantization { get; } = inputQuantization;

    public ActivationQuantization? OutputQuantization { get; } = outputQuantization;

    /// <summary>Rescale inputs as ONNX Runtime does (dequantize, then quantize in float32:
    /// <see cref="IntegerKernels.RequantizeFloat"/>) where the real parameters are known.</summary>
    public bool OnnxRuntime { get; } = onnxRuntime && inputQuantization is not null && outputQuantization is not null;

    /// <summary>This step in ONNX Runtime's arithmetic (<see cref="OnnxRuntime"/>).</summary>
    public ConcatStep WithOnnxRuntimeArithmetic() => InputQuantization is null || OutputQuantization is null || OnnxRuntime
        ? this
        : new ConcatStep(Node, opset, concat, [.. Inputs], [.. InputZeros], [.. Rescale], Outputs[0], Unsigned, [.. InputQuantization], OutputQuantization, onnxRuntime: true);

    public Node Node { get; } = node;

    public IReadOnlyList<int> InputZeros { get; } = inputZeros;

    /// <summary>Per input, its rescale to the output parameters, or null when they are the same.</summary>
    public IReadOnlyList<Requantizer?> Rescale { get; } = rescale;

    /// <summary>Whether the output is uint8 (held as int8 shifted by -128).</summary>
    public bool Unsigned { get; } = unsigned;

    public override string Kind => "int.Concat";

    public override void Execute(IntegerState state)
    {
        var parts = new DataValue?[Inputs.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            var x = state.Int8(Inputs[i]);
            parts[i] = Rescale[i] is not { } r ? x
                : OnnxRuntime ? IntegerKernels.RequantizeFloat(x, InputQuantization![i], OutputQuantization!)
                : IntegerKernels.Requantize(x, InputZeros[i], r);
        }
        var context = new KernelContext(Node, opset, parts);
        concat.Execute(context);
        state.SetInt8(Outputs[0], (Tensor)context.Outputs[0]!, Unsigned);
    }
}

/// <summary>An op that only moves int8 values (Reshape, Transpose, Flatten, Squeeze, Unsqueeze, Pad, Resize
/// nearest, ...): its reference kernel runs on the int8 tensor, the other inputs being constants (shapes,
/// axes, the pad value set to the zero point).</summary>
public sealed class LayoutStep(Node node, long opset, Operator kernel, string input, Tensor?[] constants, string output, bool unsigned)
    : IntegerStep(node.DisplayName, [input], [output])
{
    public Node Node { get; } = node;

    public override string Kind => "int." + Node.OpType;

    /// <summary>The opset the node's kernel runs at.</summary>
    public long Opset => opset;

    /// <summary>The node's inputs as the kernel sees them: null at 0 (the int8 data) and for the inputs it does not
    /// have, the constant tensors elsewhere.</summary>
    public IReadOnlyList<Tensor?> Constants => constants;

    /// <summary>Whether the output is uint8 (held as int8 shifted by -128).</summary>
    public bool Unsigned => unsigned;

    public override void Execute(IntegerState state) => state.SetInt8(Outputs[0], Apply(state.Int8(Inputs[0])), unsigned);

    /// <summary>The node's kernel on any tensor in place of its data input, with the step's constant inputs (the
    /// NPU adapter runs it on index tensors to learn where each output element comes from).</summary>
    public Tensor Apply(Tensor input)
    {
        var inputs = new DataValue?[constants.Length];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = constants[i];
        inputs[0] = input;
        var context = new KernelContext(Node, opset, inputs);
        kernel.Execute(context);
        return (Tensor)context.Outputs[0]!;
    }
}

/// <summary>Conversions between the ops' N-D window geometry and the 2-D <see cref="Window"/> of the kernels.</summary>
public static class Windows
{
    /// <summary>NCW -> NC1W so 1-D data runs through the 2-D kernels; NCHW is returned as is.</summary>
    public static int[] Lift(int[] shape) => shape.Length switch
    {
        3 => [shape[0], shape[1], 1, shape[2]],
        4 => shape,
        _ => throw new UnsupportedException($"integer kernels handle 1-D and 2-D spatial data, not rank {shape.Length}"),
    };

    public static Window FromGeometry(WindowGeometry g, string where)
    {
        if (g.Rank == 1) return new Window(1, g.Kernel[0], 1, g.Strides[0], 1, g.Dilations[0], 0, g.PadBegin[0], 0, g.PadEnd[0], 1, g.Output[0]);
        if (g.Rank == 2)
        {
            return new Window(g.Kernel[0], g.Kernel[1], g.Strides[0], g.Strides[1], g.Dilations[0], g.Dilations[1],
                g.PadBegin[0], g.PadBegin[1], g.PadEnd[0], g.PadEnd[1], g.Output[0], g.Output[1]);
        }
        throw new UnsupportedException($"integer kernels handle 1-D and 2-D windows, not {g.Rank}-D", where);
    }
}
