using System.Globalization;
using Tessera.Core;
using Tessera.Passes;

namespace Tessera.Quantization;

/// <summary>Brings a float model into the form calibration and QDQ rewriting work on: float16 becomes float32
/// (<see cref="Float16Widening"/>), scalar inputs fixed by
/// the preprocessing become constants, the graph optimizer runs (unless disabled) and its fused ops are
/// lowered back to standard ONNX (so the QDQ model runs in ONNX Runtime), GELU is spelled with Erf, the
/// opset is raised to 13 and every node gets a name (fallback and analysis refer to nodes by name).</summary>
public static class ModelPreparation
{
    public static OptimizationResult? Prepare(Model model, Preprocessing? preprocessing, bool optimize) => Prepare(model, preprocessing, optimize, equalize: false).Optimization;

    /// <summary>As <see cref="Prepare(Model, Preprocessing?, bool)"/>, then (with <paramref name="equalize"/>)
    /// cross-layer equalization of Conv -> Relu -> Conv pairs, listed in the result. With
    /// <paramref name="expandLstm"/> every LSTM with a known input shape is expanded into Gemm/MatMul, Sigmoid,
    /// Tanh, Mul and Add (<see cref="ExpandLstm"/>), which the QDQ rewrite quantizes like any other op (the LSTM
    /// itself stays float): the NPU path turns it on.</summary>
    public static (OptimizationResult? Optimization, IReadOnlyList<EqualizedPair> Equalized) Prepare(Model model, Preprocessing? preprocessing, bool optimize, bool equalize, bool expandLstm = false)
    {
        Float16Widening.Run(model);
        // Old exports (IR 3: SqueezeNet 1.1) list every initializer as a graph input too, which would let a caller
        // override it; a deployed quantized model fixes its weights, and the rewrite replaces them with int8.
        model.Graph.Inputs.RemoveAll(v => v.Constant is not null);
        var constants = Constants(model, preprocessing);
        OptimizationResult? result = null;
        if (optimize)
        {
            result = GraphOptimizer.Optimize(model, new OptimizationOptions { ConstantInputs = constants, KeepFusedOps = true });
            StandardOnnxLowering.Lower(model);
        }
        else
        {
            GraphOptimizer.BindConstantInputs(model, constants);
        }
        if (expandLstm && model.Graph.Nodes.Any(n => n.OpType == "LSTM" && n.Domain.Length == 0))
        {
            ShapeSource.Infer(model, null);
            ExpandLstm.Run(model);
        }
        SpellGeluWithErf(model);
        // Softmax's upgrade needs the input rank.
        ShapeSource.Infer(model, null);
        OpsetUpgrade.Run(model);
        NameNodes(model.Graph);
        var equalized = equalize ? CrossLayerEqualization.Run(model.Graph) : [];
        ShapeSource.Infer(model, null);
        return (result, equalized);
    }

    private static Dictionary<string, Tensor>? Constants(Model model, Preprocessing? preprocessing)
    {
        if (preprocessing is null || preprocessing.Constants.Count == 0) return null;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, number) in preprocessing.Constants)
        {
            var input = model.Graph.Inputs.FirstOrDefault(i => i.Name == name && i.Constant is null);
            if (input is null) continue;
            var type = input.TensorType?.ElementType ?? DataType.Float32;
            result[name] = Tensor.FromDoubles(type, input.TensorType?.Shape?.Rank == 1 ? [1] : [], [number]);
        }
        return result;
    }

    /// <summary>Unnamed nodes get OpType_output, so a node keeps one name from calibration through fallback.</summary>
    public static void NameNodes(Graph graph)
    {
        var used = graph.Nodes.Select(n => n.Name).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (node.Name.Length > 0) continue;
            var name = $"{node.OpType}_{node.Outputs.FirstOrDefault(o => o is not null)?.Name ?? used.Count.ToString(CultureInfo.InvariantCulture)}";
            for (int i = 1; !used.Add(name); i++) name = $"{node.OpType}_{i}";
            node.Name = name;
        }
    }

    /// <summary>The lowering writes com.microsoft Gelu/FastGelu, which the reference backend and the
    /// integer executor do not run; the standard formulas are 0.5 x (1 + erf(x / sqrt 2)) and
    /// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    private static void SpellGeluWithErf(Model model)
    {
        var graph = model.Graph;
        var result = new List<Node>();
        int counter = 0;
        foreach (var node in graph.Nodes)
        {
            if (node.Domain != "com.microsoft" || node.OpType is not ("Gelu" or "FastGelu"))
            {
                result.Add(node);
                continue;
            }
            var x = node.Input(0)!;
            var y = node.Output(0)!;
            var prefix = $"{y.Name}_gelu{counter++}";
            Value V(string s) => new($"{prefix}_{s}");
            Value C(string s, float v) => graph.AddInitializer($"{prefix}_{s}", Tensor.Scalar(v));
            Value inner;
            if (node.OpType == "Gelu")
            {
                var scaled = V("scaled");
                result.Add(new Node("Div", [x, C("sqrt2", MathF.Sqrt(2))], [scaled]));
                inner = V("erf");
                result.Add(new Node("Erf", [scaled], [inner]));
            }
            else
            {
                var square = V("square");
                var cube = V("cube");
                var cubic = V("cubic");
                var sum = V("sum");
                var argument = V("argument");
                inner = V("tanh");
                result.Add(new Node("Mul", [x, x], [square]));
                result.Add(new Node("Mul", [square, x], [cube]));
                result.Add(new Node("Mul", [cube, C("cubic_coefficient", 0.044715f)], [cubic]));
                result.Add(new Node("Add", [x, cubic], [sum]));
                result.Add(new Node("Mul", [sum, C("sqrt_2_over_pi", MathF.Sqrt(2 / MathF.PI))], [argument]));
                result.Add(new Node("Tanh", [argument], [inner]));
            }
            var onePlus = V("one_plus");
            var product = V("product");
            result.Add(new Node("Add", [inner, C("one", 1f)], [onePlus]));
            result.Add(new Node("Mul", [x, onePlus], [product]));
            result.Add(new Node("Mul", [product, C("half", 0.5f)], [y]));
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(result);
        if (!model.AllNodes().Any(n => n.Domain == "com.microsoft")) model.Opsets.Remove("com.microsoft");
    }
}
