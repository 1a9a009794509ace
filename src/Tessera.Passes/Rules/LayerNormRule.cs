using Tessera.Core;

namespace Tessera.Passes;

/// <summary>The decomposed layer normalization that exporters write,
/// d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(d^2) + eps) [* gamma] [+ beta], over the last axis,
/// becomes one LayerNormalization(x, gamma, beta) {axis=-1, epsilon}.</summary>
public sealed class LayerNormFromDecomposedForm : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Div"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        var d = node.Input(0);
        if (RuleContext.ProducerOf(d, "Sub") is not { } sub || sub.Input(0) is not { } x) return null;
        if (RuleContext.ProducerOf(sub.Input(1), "ReduceMean") is not { } mean || mean.Input(0) != x || !LastAxis(mean, context, x)) return null;
        if (RuleContext.ProducerOf(node.Input(1), "Sqrt") is not { } sqrt) return null;
        if (RuleContext.ProducerOf(sqrt.Input(0), "Add") is not { } addEps) return null;
        Value? varianceValue = null;
        double? epsilon = null;
        for (int side = 0; side < 2; side++)
        {
            if (RuleContext.Scalar(addEps.Input(side)) is { } e) { epsilon = e; varianceValue = addEps.Input(1 - side); }
        }
        if (epsilon is null || RuleContext.ProducerOf(varianceValue, "ReduceMean") is not { } variance || !LastAxis(variance, context, x)) return null;
        var squared = variance.Input(0)?.Producer;
        bool isSquare = squared?.OpType == "Pow" ? squared.Input(0) == d && Patterns.Near(RuleContext.Scalar(squared.Input(1)), 2)
            : squared?.OpType == "Mul" && squared.Input(0) == d && squared.Input(1) == d;
        // d feeds the square and the division only (Mul(d, d) reads it twice).
        if (!isSquare || context.UseCount(d!) != (squared!.OpType == "Pow" ? 2 : 3)) return null;

        // Optional affine tail: * gamma, + beta (constants over the last axis).
        Value output = node.Output(0)!;
        Value? gamma = null, beta = null;
        if (context.SingleConsumer(output) is { OpType: "Mul", Domain: "" } scale && ConstantVector(scale, output) is { } g)
        {
            gamma = g;
            output = scale.Output(0)!;
            if (context.SingleConsumer(output) is { OpType: "Add", Domain: "" } shift && ConstantVector(shift, output) is { } b)
            {
                beta = b;
                output = shift.Output(0)!;
            }
        }
        if (gamma is null)
        {
            if (RuleContext.Shape(x) is not { } shape || RuleContext.ElementType(x) is not { } type) return null;
            gamma = context.NewConstant(output.Name + "_gamma", Tensor.FromDoubles(type, [shape[^1]], Enumerable.Repeat(1.0, shape[^1]).ToArray()));
        }
        var inputs = beta is null ? new[] { x, gamma } : new[] { x, gamma, beta };
        var layerNorm = new Node("LayerNormalization", inputs, [context.NewValue(output.Name, output.Type)]);
        layerNorm.SetAttribute(NodeAttribute.Int("axis", -1));
        layerNorm.SetAttribute(NodeAttribute.Float("epsilon", (float)epsilon.Value));
        return Rewrite.Single(layerNorm, output);
    }

    /// <summary>The constant operand of a Mul/Add applied to <paramref name="input"/> when it is a vector over the last axis.</summary>
    private static Value? ConstantVector(Node node, Value input)
    {
        var other = node.Input(0) == input ? node.Input(1) : node.Input(1) == input ? node.Input(0) : null;
        return other?.Constant is { } c && c.Shape.Count(dim => dim != 1) <= 1 && c.Rank >= 1 ? other : null;
    }

    private static bool LastAxis(Node reduce, RuleContext context, Value x)
    {
        var axes = reduce.Attribute("axes")?.Value as long[] ?? reduce.Input(1)?.Constant?.ToInt64Array();
        if ((reduce.Attribute("keepdims")?.Value as long? ?? 1) != 1 || axes is not { Length: 1 }) return false;
        return axes[0] == -1 || (RuleContext.Rank(x) is { } rank && axes[0] == rank - 1);
    }
}
