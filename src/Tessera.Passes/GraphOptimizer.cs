using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Node count, ops by type, MACs and parameter bytes: the before/after figures of an optimization.</summary>
public sealed record ModelSummary(int Nodes, IReadOnlyDictionary<string, int> OpsByType, long Macs, long Operations, long ParameterBytes, int UnknownLayers)
{
    public static ModelSummary Of(Model model)
    {
        var cost = CostAnalysis.Count(model);
        var ops = model.AllNodes()
            .GroupBy(n => n.Domain.Length == 0 ? n.OpType : n.Domain + "." + n.OpType)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new ModelSummary(model.AllNodes().Count(), ops, cost.Macs, cost.Operations, cost.ParameterBytes, cost.UnknownLayers);
    }
}

/// <summary>What one optimization did.</summary>
public sealed record OptimizationResult(ModelSummary Before, ModelSummary After, OptimizationStatistics Statistics);

/// <summary>The one call backends and commands use: optimizes a model in place with the default pipeline.
/// <c>run</c>, <c>quantize</c> and <c>compile</c> call <see cref="Optimize"/> unless --no-optimize is given.</summary>
public static class GraphOptimizer
{
    public static IReadOnlyList<IGraphPass> DefaultPasses() =>
    [
        new RuleSetPass("cleanup", [new ConstantNodeToInitializer(), new RemoveIdentity(), new RemoveDropout(), new RemoveNoOpCastOrReshape(), new RemoveNeutralArithmetic(), new FoldConstants(), new InlineConstantIf()]),
        new DeadCodeElimination(),
        new CommonSubexpressionElimination(),
        new RuleSetPass("patterns", [new LayerNormFromDecomposedForm(), new GeluFromDecomposedForm(), new ClipFormToHardSwish(), new HardSigmoidMulToHardSwish(), new SigmoidMulToSilu()]),
        new RuleSetPass("fold-into-producers", [new FoldBatchNormIntoProducer(), new BatchNormToMulAdd(), new FoldConstantAffineIntoProducer(), new FoldPadIntoConv(), new MatMulAddToGemm()]),
        new RuleSetPass("transposes", [new CancelTransposes(), new SinkTransposeThroughElementwise(), new FoldTransposeIntoMatMul()]),
        new RuleSetPass("fusion", [new FuseResidualAddIntoConv(), new FuseActivationIntoProducer(), new FoldTransposeIntoConvOutput()]),
    ];

    /// <summary>The passes that keep a quantized (QDQ) model's quantization as it is (see
    /// <see cref="OptimizationOptions.PreserveQuantization"/>): constants, shape chains, identities, dead code and
    /// repeated subexpressions go; no pattern, folding or fusion rule touches the quantized operators.</summary>
    public static IReadOnlyList<IGraphPass> QuantizedModelPasses() =>
    [
        new RuleSetPass("cleanup", [new ConstantNodeToInitializer(), new RemoveIdentity(), new RemoveDropout(), new RemoveNoOpCastOrReshape(), new FoldConstants(), new InlineConstantIf()]),
        new DeadCodeElimination(),
        new CommonSubexpressionElimination(),
    ];

    /// <summary>True when the model holds quantized operators (QDQ or the QLinear/Integer forms).</summary>
    public static bool IsQuantized(Model model) => model.AllNodes().Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear"
        or "QLinearConv" or "QLinearMatMul" or "ConvInteger" or "MatMulInteger");

    /// <summary>Optimizes <paramref name="model"/> in place. With <see cref="OptimizationOptions.KeepFusedOps"/> false
    /// the result holds only standard ONNX ops (see <see cref="StandardOnnxLowering"/>).</summary>
    public static OptimizationResult Optimize(Model model, OptimizationOptions? options = null)
    {
        options ??= new OptimizationOptions();
        BindConstantInputs(model, options.ConstantInputs);
        ShapeSource.Infer(model, options.InputShapes, options.Registry);
        var before = ModelSummary.Of(model);
        var statistics = new PassManager(options.PreserveQuantization ? QuantizedModelPasses() : DefaultPasses()).Run(model, options);
        if (options.ComputeFloat16InFloat32 && WidenFloat16.Apply(model))
        {
            statistics.Count("WidenFloat16");
            options.Log?.Invoke("WidenFloat16: float16 model runs in float32");
        }
        if (!options.KeepFusedOps) StandardOnnxLowering.Lower(model);
        // Declared intermediate types may no longer hold after rewriting; consumers re-infer them.
        model.Graph.ValueInfo.Clear();
        return new OptimizationResult(before, ModelSummary.Of(model), statistics);
    }

    /// <summary>Turns the named graph inputs into constants with the given values.</summary>
    public static void BindConstantInputs(Model model, IReadOnlyDictionary<string, Tensor>? constants)
    {
        if (constants is null) return;
        foreach (var (name, tensor) in constants)
        {
            var input = model.Graph.Inputs.FirstOrDefault(i => i.Name == name && i.Constant is null)
                ?? throw new InvalidInputException($"the model has no input '{name}' to fix", "--constant-input");
            if (input.TensorType is { } declared && declared.ElementType != tensor.DataType)
            {
                throw new InvalidInputException($"input '{name}' is {DataTypes.Name(declared.ElementType)}, not {DataTypes.Name(tensor.DataType)}", "--constant-input");
            }
            model.Graph.Inputs.Remove(input);
            input.Constant = tensor;
            input.Type = new TensorType(tensor.DataType, TensorShape.FromConcrete(tensor.Shape));
            model.Graph.Initializers[name] = input;
        }
    }
}
