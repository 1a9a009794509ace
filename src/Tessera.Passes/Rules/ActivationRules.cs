using Tessera.Core;

namespace Tessera.Passes;

/// <summary>The activations Tessera fuses, their parameters, and how to write them back as standard ONNX.</summary>
public static class FusedActivation
{
    /// <summary>Domain of Tessera's own ops (fused ops and activations ONNX lacks at a model's opset).</summary>
    public const string Domain = "tessera";

    /// <summary>The activation a node computes and its parameters, or null when it is not one we fuse.
    /// Clip bounds must be constant.</summary>
    public static (string Name, float[] Parameters)? Describe(Node node)
    {
        string key = node.Domain.Length == 0 ? node.OpType : node.Domain + "." + node.OpType;
        float Attr(string name, float fallback) => node.Attribute(name)?.Value as float? ?? fallback;
        switch (key)
        {
            case "Relu" or "Sigmoid" or "Tanh" or "HardSwish" or "tessera.HardSwish" or "tessera.Silu":
                return (node.OpType, []);
            case "LeakyRelu":
                return ("LeakyRelu", [Attr("alpha", 0.01f)]);
            case "HardSigmoid":
                return ("HardSigmoid", [Attr("alpha", 0.2f), Attr("beta", 0.5f)]);
            case "Clip":
            {
                float min = Attr("min", float.MinValue), max = Attr("max", float.MaxValue);
                if (node.Input(1) is { } lo) { if (RuleContext.Scalar(lo) is not { } v) return null; min = (float)v; }
                if (node.Input(2) is { } hi) { if (RuleContext.Scalar(hi) is not { } v) return null; max = (float)v; }
                return ("Clip", [min, max]);
            }
            default:
                return null;
        }
    }

    /// <summary>The activation applied to one element (the specification of the fused kernels).</summary>
    public static double Apply(string name, float[] p, double x) => Ops.Fused.ActivationMath.Apply(name, p, x);

    /// <summary>Standard ONNX nodes computing the activation on <paramref name="input"/> into <paramref name="output"/>
    /// at the given opset.</summary>
    public static List<Node> Lower(string name, float[] p, Value input, Value output, long opset, Func<string, Tensor, Value> constant, DataType elementType = DataType.Float32)
    {
        Node One(string op, params NodeAttribute[] attributes)
        {
            var n = new Node(op, [input], [output]);
            foreach (var a in attributes) n.SetAttribute(a);
            return n;
        }
        switch (name)
        {
            case "Relu" or "Sigmoid" or "Tanh": return [One(name)];
            case "LeakyRelu": return [One(name, NodeAttribute.Float("alpha", p[0]))];
            case "HardSigmoid": return [One(name, NodeAttribute.Float("alpha", p[0]), NodeAttribute.Float("beta", p[1]))];
            case "HardSwish" when opset >= 14: return [One("HardSwish")];
            case "Clip" when opset < 11: return [One("Clip", NodeAttribute.Float("min", p[0]), NodeAttribute.Float("max", p[1]))];
            case "Clip":
            {
                // Clip's bounds have the element type of its input (float16 models need float16 bounds).
                var min = constant("clip_min", Tensor.FromDoubles(elementType, [], [p[0]]));
                var max = constant("clip_max", Tensor.FromDoubles(elementType, [], [p[1]]));
                return [new Node("Clip", [input, min, max], [output])];
            }
            case "HardSwish" or "Silu":
            {
                var gate = new Value(output.Name + "_gate", output.Type);
                var first = name == "Silu" ? new Node("Sigmoid", [input], [gate]) : new Node("HardSigmoid", [input], [gate]);
                if (name == "HardSwish")
                {
                    first.SetAttribute(NodeAttribute.Float("alpha", 1f / 6));
                    first.SetAttribute(NodeAttribute.Float("beta", 0.5f));
                }
                return [first, new Node("Mul", [input, gate], [output])];
            }
            default: throw new UnsupportedException($"fused activation '{name}' has no ONNX form");
        }
    }
}

/// <summary>An activation whose input is the only result of a Conv, ConvTranspose or Gemm is fused into
/// it: the pair becomes one tessera.Fused{Op} node with attributes activation and activation_params.</summary>
public sealed class FuseActivationIntoProducer : RewriteRule
{
    public static readonly string[] Producers = ["Conv", "ConvTranspose", "Gemm"];

    public override IReadOnlyCollection<string> RootOps =>
        ["Relu", "Sigmoid", "Tanh", "HardSwish", "LeakyRelu", "HardSigmoid", "Clip", "tessera.HardSwish", "tessera.Silu"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0) is not { } x || x.Producer is not { } producer || !context.HasSingleUse(x)) return null;
        // A residual FusedConv (see FuseResidualAddIntoConv) without an activation or layout yet takes one too.
        bool residualConv = producer.Domain == FusedActivation.Domain && producer.OpType == "FusedConv" && producer.Inputs.Count == 4
            && !producer.HasAttribute("activation") && !producer.HasAttribute("output_perm");
        if (!residualConv && (producer.Domain.Length != 0 || !Producers.Contains(producer.OpType))) return null;
        if (producer.Outputs.Count != 1) return null;
        if (FusedActivation.Describe(node) is not var (name, parameters)) return null;
        var output = node.Output(0)!;
        // The activation keeps its input's shape; an inlined subgraph may have typed its output with no shape,
        // and the producer's inferred one lets shape queries after it fold.
        var type = output.TensorType?.Shape?.ToConcrete() is null && x.TensorType?.Shape?.ToConcrete() is not null ? x.Type : output.Type;
        var fused = new Node(residualConv ? producer.OpType : "Fused" + producer.OpType, producer.Inputs, [context.NewValue(output.Name, type)], FusedActivation.Domain, producer.Name);
        foreach (var a in producer.Attributes.Values) fused.SetAttribute(a);
        fused.SetAttribute(NodeAttribute.String("activation", name));
        fused.SetAttribute(NodeAttribute.Floats("activation_params", parameters));
        context.Model.Opsets.TryAdd(FusedActivation.Domain, 1);
        return Rewrite.Single(fused, output);
    }
}
