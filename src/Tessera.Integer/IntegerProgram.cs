using Tessera.Core;

namespace Tessera.Integer;

/// <summary>A node that stayed in float (dequantize -> float op -> quantize) and why.</summary>
public sealed record FloatIsland(string Node, string OpType, string Reason);

/// <summary>Whose requantization arithmetic the convolutions and matrix products follow
/// (<see cref="IntegerProgram.WithRequantization"/>).</summary>
public enum RequantizationProfile
{
    /// <summary>Two roundings everywhere (gemmlowp, TFLite's reference kernels): the executor's specification and
    /// the NPU's arithmetic.</summary>
    Reference,

    /// <summary>Deployed TFLite: one rounding in CONV_2D and FULLY_CONNECTED (its GEMM back end), two in
    /// DEPTHWISE_CONV_2D, the rest as <see cref="Reference"/>.</summary>
    TfLite,

    /// <summary>Float requantization in every convolution and matrix product, rounded half away from zero; Add, Mul
    /// and TFLite-style average pools computed in float32: Arm NN's reference backend (dequantize, compute in float,
    /// quantize), and TFLite with XNNPACK up to ties.</summary>
    Float,

    /// <summary><see cref="Float"/>, with the convolutions and fully connected layers also accumulated in float32
    /// from dequantized operands, in Arm NN's reference backend's summation order: what that runtime outputs, bit
    /// for bit where its float32 arithmetic is reproduced.</summary>
    ArmNn,

    /// <summary>ONNX Runtime's CPU execution provider on the QDQ model with its default graph optimizations (the
    /// QLinear* fusions): int32 accumulation requantized in float32 by the float32 scale input x weight / output,
    /// rounded half to even; QLinearAdd/QLinearMul, average pools, Concat rescales and DequantizeLinear ->
    /// QuantizeLinear pairs computed in float32 as MLAS does, quantized half to even. No fast int8 step runs it.</summary>
    OnnxRuntime,
}

/// <summary>The integer graph: steps in execution order over named values, the constants they read, and the
/// float islands the lowering could not avoid. <see cref="Run"/> is the integer reference executor.</summary>
public sealed class IntegerProgram(
    IReadOnlyList<IntegerStep> steps,
    IReadOnlyList<FloatIsland> islands,
    IReadOnlyDictionary<string, Tensor> constants,
    IReadOnlyList<string> inputs,
    IReadOnlyList<string> outputs,
    IReadOnlyDictionary<string, string> integerOutputs,
    RequantizationProfile profile = RequantizationProfile.Reference)
{
    /// <summary>The arithmetic profile the steps follow (<see cref="WithRequantization"/>).</summary>
    public RequantizationProfile Profile { get; } = profile;

    public IReadOnlyList<IntegerStep> Steps { get; } = steps;

    public IReadOnlyList<FloatIsland> Islands { get; } = islands;

    public IReadOnlyDictionary<string, Tensor> Constants { get; } = constants;

    /// <summary>Graph inputs the caller provides.</summary>
    public IReadOnlyList<string> Inputs { get; } = inputs;

    public IReadOnlyList<string> Outputs { get; } = outputs;

    /// <summary>For each graph output made by a final DequantizeLinear, the integer value it dequantizes: the
    /// executor's int8 (or uint8) result before the last conversion to float.</summary>
    public IReadOnlyDictionary<string, string> IntegerOutputs { get; } = integerOutputs;

    /// <summary>Runs every step; the returned state holds all values (read them with
    /// <see cref="IntegerState.Original"/>).</summary>
    public IntegerState Run(IReadOnlyDictionary<string, Tensor> inputs) => Run(inputs, new IntegerState());

    /// <summary><see cref="Run(IReadOnlyDictionary{string, Tensor})"/> into <paramref name="state"/>, cleared first and
    /// returned: a caller that runs the program again and again passes the same state, so a run allocates no state
    /// (what the steps themselves allocate is theirs: reference steps make new arrays, the cpu backend's fast steps
    /// reuse theirs).</summary>
    public IntegerState Run(IReadOnlyDictionary<string, Tensor> inputs, IntegerState state)
    {
        state.Clear();
        _constants ??= [.. Constants];
        foreach (var (name, tensor) in _constants) state.Set(name, tensor);
        int found = 0;
        for (int i = 0; i < Inputs.Count; i++)
        {
            string name = Inputs[i];
            if (!inputs.TryGetValue(name, out var tensor)) throw new InvalidInputException($"input '{name}' is missing", "inputs", $"give: {string.Join(", ", Inputs)}");
            state.Set(name, tensor);
            found++;
        }
        if (found != inputs.Count)
        {
            foreach (var name in inputs.Keys)
            {
                if (!Inputs.Contains(name)) throw new InvalidInputException($"the integer program has no input named '{name}'", "inputs", $"expected: {string.Join(", ", Inputs)}");
            }
        }
        for (int i = 0; i < Steps.Count; i++) Steps[i].Execute(state);
        return state;
    }

    private KeyValuePair<string, Tensor>[]? _constants;

    /// <summary>Graph outputs, in the model's declared types.</summary>
    public Dictionary<string, Tensor> RunOutputs(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var state = Run(inputs);
        return Outputs.ToDictionary(n => n, state.Original, StringComparer.Ordinal);
    }

    /// <summary>This program with the convolutions' and matrix products' requantizers rounding as
    /// <paramref name="profile"/> says; multipliers, shifts, zero points, clamps and every other step unchanged.</summary>
    public IntegerProgram WithRequantization(RequantizationProfile profile)
    {
        if (!Enum.IsDefined(profile)) throw new ArgumentOutOfRangeException(nameof(profile));
        RequantizationRounding Rounding(bool depthwise) => profile switch
        {
            RequantizationProfile.TfLite => depthwise ? RequantizationRounding.Double : RequantizationRounding.Single,
            RequantizationProfile.Float or RequantizationProfile.ArmNn => RequantizationRounding.Float,
            _ => RequantizationRounding.Double,
        };
        bool armNn = profile == RequantizationProfile.ArmNn;
        bool floatSteps = profile is RequantizationProfile.Float or RequantizationProfile.ArmNn;
        bool ort = profile == RequantizationProfile.OnnxRuntime;
        IntegerStep Convert(IntegerStep step) => step switch
        {
            ConvolutionStep conv when ort => conv.WithOnnxRuntimeArithmetic(),
            MatMulStep matMul when ort => matMul.WithOnnxRuntimeArithmetic(),
            BinaryStep binary when ort => binary.WithOnnxRuntimeArithmetic(),
            PoolStep pool when ort => pool.WithOnnxRuntimeArithmetic(),
            ConcatStep concat when ort => concat.WithOnnxRuntimeArithmetic(),
            RequantizeStep requantize when ort => requantize.WithOnnxRuntimeArithmetic(),
            ConvolutionStep { Requantizer: { } r } conv when armNn => conv.WithRequantizer(r.WithRounding(Rounding(conv.Groups > 1))).WithFloatAccumulation(),
            ConvolutionStep { Requantizer: { } r } conv => conv.WithRequantizer(r.WithRounding(Rounding(conv.Groups > 1))),
            MatMulStep { Requantizer: { } r } matMul when armNn => matMul.WithRequantizer(r.WithRounding(Rounding(false))).WithFloatAccumulation(),
            MatMulStep { Requantizer: { } r } matMul => matMul.WithRequantizer(r.WithRounding(Rounding(false))),
            PoolStep pool when floatSteps => pool.WithFloatAverage(),
            BinaryStep binary when floatSteps => binary.WithFloatArithmetic(),
            _ => step,
        };
        return new IntegerProgram(Steps.Select(Convert).ToList(), Islands, Constants, Inputs, Outputs, IntegerOutputs, profile);
    }

    /// <summary>One line per step, then one per island: the text form `tessera int-run --show` prints.</summary>
    public string Describe() =>
        string.Join('\n', Steps.Select(s => s.ToString()).Concat(Islands.Select(i => $"island {i.OpType} {i.Node}: {i.Reason}")));
}
