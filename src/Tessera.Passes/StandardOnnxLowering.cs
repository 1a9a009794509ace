using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Rewrites Tessera's own ops into standard ONNX so that an optimized model written to disk runs
/// in ONNX Runtime and opens in Netron: Fused{Conv,ConvTranspose,Gemm} become the base op plus its
/// activation (and a Transpose for output_perm), Silu and HardSwish become Sigmoid/HardSigmoid and Mul,
/// Gelu becomes com.microsoft Gelu/FastGelu and FusedMatMul com.microsoft FusedMatMul. Folded weights, removed nodes and recognized LayerNorms stay.</summary>
public static class StandardOnnxLowering
{
    public const string MicrosoftDomain = "com.microsoft";

    public static void Lower(Model model)
    {
        LowerGraph(model, model.Graph);
        if (!model.AllNodes().Any(n => n.Domain == FusedActivation.Domain)) model.Opsets.Remove(FusedActivation.Domain);
    }

    private static void LowerGraph(Model model, Graph graph)
    {
        foreach (var node in graph.Nodes) foreach (var sg in node.Subgraphs()) LowerGraph(model, sg);
        long opset = model.OpsetOf(string.Empty);
        var context = new RuleContext(model, graph, new OptimizationOptions());
        var result = new List<Node>(graph.Nodes.Count);
        foreach (var node in graph.Nodes)
        {
            if (node.Domain != FusedActivation.Domain)
            {
                result.Add(node);
                continue;
            }
            result.AddRange(Expand(node, opset, context, model));
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(result);
    }

    private static List<Node> Expand(Node node, long opset, RuleContext context, Model model)
    {
        var output = node.Output(0)!;
        var x = node.Input(0)!;
        Value Constant(string hint, Tensor t) => context.NewConstant(output.Name + "_" + hint, t);
        var elementType = node.Input(1)?.Constant?.DataType ?? RuleContext.ElementType(x) ?? DataType.Float32;
        switch (node.OpType)
        {
            case "Silu" or "HardSwish":
                return FusedActivation.Lower(node.OpType, [], x, output, opset, Constant, elementType);
            case "Gelu":
            {
                model.Opsets.TryAdd(MicrosoftDomain, 1);
                bool tanh = node.Attribute("approximate")?.Value as string == "tanh";
                return [new Node(tanh ? "FastGelu" : "Gelu", [x], [output], MicrosoftDomain, node.Name)];
            }
            case "FusedMatMul":
            {
                model.Opsets.TryAdd(MicrosoftDomain, 1);
                var matmul = new Node("FusedMatMul", node.Inputs, [output], MicrosoftDomain, node.Name);
                foreach (var a in node.Attributes.Values) matmul.SetAttribute(a);
                return [matmul];
            }
            case "FusedConv" or "FusedConvTranspose" or "FusedGemm":
            {
                var nodes = new List<Node>();
                var baseOp = node.OpType["Fused".Length..];
                var perm = node.Attribute("output_perm")?.Value as long[];
                var activation = node.Attribute("activation")?.Value as string;
                var parameters = node.Attribute("activation_params")?.Value as float[] ?? [];
                var residual = baseOp == "Conv" ? node.Input(3) : null;
                var baseOutput = activation is null && perm is null && residual is null ? output : context.NewValue(output.Name + "_" + baseOp.ToLowerInvariant(), null);
                var core = new Node(baseOp, residual is null ? node.Inputs : node.Inputs.Take(3), [baseOutput], string.Empty, node.Name);
                foreach (var a in node.Attributes.Values)
                {
                    if (a.Name is not ("activation" or "activation_params" or "output_perm")) core.SetAttribute(a);
                }
                nodes.Add(core);
                var current = baseOutput;
                if (residual is not null)
                {
                    var summed = activation is null && perm is null ? output : context.NewValue(output.Name + "_residual", null);
                    nodes.Add(new Node("Add", [current, residual], [summed]));
                    current = summed;
                }
                if (activation is not null)
                {
                    var activated = perm is null ? output : context.NewValue(output.Name + "_activated", null);
                    nodes.AddRange(FusedActivation.Lower(activation, parameters, current, activated, opset, Constant, elementType));
                    current = activated;
                }
                if (perm is not null)
                {
                    var transpose = new Node("Transpose", [current], [output]);
                    transpose.SetAttribute(NodeAttribute.Ints("perm", perm));
                    nodes.Add(transpose);
                }
                return nodes;
            }
            default:
                throw new UnsupportedException($"tessera.{node.OpType} has no standard ONNX form", node.DisplayName);
        }
    }
}
