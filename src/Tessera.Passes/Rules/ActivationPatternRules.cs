using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Shared matching helpers for decomposed activations.</summary>
internal static class Patterns
{
    public static bool Near(double? value, double expected, double tolerance = 1e-4) =>
        value is { } v && Math.Abs(v - expected) <= tolerance * Math.Max(1, Math.Abs(expected));

    /// <summary>For a commutative binary node, the (other input, matched node) pair where one input is produced
    /// by <paramref name="opType"/>.</summary>
    public static (Value Other, Node Producer)? OneSideProducedBy(Node node, string opType, string domain = "")
    {
        for (int side = 0; side < 2; side++)
        {
            if (RuleContext.ProducerOf(node.Input(side), opType, domain) is { } p && node.Input(1 - side) is { } other) return (other, p);
        }
        return null;
    }

    /// <summary>For a commutative binary node, the non-constant input when the other is the scalar <paramref name="constant"/>.</summary>
    public static Value? OtherThanScalar(Node node, double constant)
    {
        for (int side = 0; side < 2; side++)
        {
            if (Near(RuleContext.Scalar(node.Input(1 - side)), constant) && node.Input(side) is { Constant: null } x) return x;
        }
        return null;
    }

    /// <summary>An activation node for x: standard HardSwish from opset 14, else tessera.HardSwish.</summary>
    public static Node HardSwish(Value x, Value output, RuleContext context)
    {
        bool standard = context.Opset >= 14;
        if (!standard) context.Model.Opsets.TryAdd(FusedActivation.Domain, 1);
        return new Node("HardSwish", [x], [context.NewValue(output.Name, output.Type)], standard ? string.Empty : FusedActivation.Domain);
    }
}

/// <summary>x * Sigmoid(x) is SiLU (swish): one tessera.Silu node.</summary>
public sealed class SigmoidMulToSilu : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Mul"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (Patterns.OneSideProducedBy(node, "Sigmoid") is not var (x, sigmoid) || sigmoid.Input(0) != x) return null;
        context.Model.Opsets.TryAdd(FusedActivation.Domain, 1);
        var output = node.Output(0)!;
        return Rewrite.Single(new Node("Silu", [x], [context.NewValue(output.Name, output.Type)], FusedActivation.Domain), output);
    }
}

/// <summary>x * HardSigmoid(x) with alpha 1/6 and beta 1/2 is HardSwish.</summary>
public sealed class HardSigmoidMulToHardSwish : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Mul"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (Patterns.OneSideProducedBy(node, "HardSigmoid") is not var (x, gate) || gate.Input(0) != x) return null;
        if (!Patterns.Near(gate.Attribute("alpha")?.Value as float? ?? 0.2f, 1.0 / 6) || !Patterns.Near(gate.Attribute("beta")?.Value as float? ?? 0.5f, 0.5)) return null;
        return Rewrite.Single(Patterns.HardSwish(x, node.Output(0)!, context), node.Output(0)!);
    }
}

/// <summary>x * Clip(x + 3, 0, 6) / 6 (how Paddle exports hard_swish) is HardSwish.</summary>
public sealed class ClipFormToHardSwish : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Div", "Mul"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        // Div(Mul(x, Clip(x+3)), 6) or Mul(Mul(x, Clip(x+3)), 1/6).
        if (node.OpType == "Div" && !Patterns.Near(RuleContext.Scalar(node.Input(1)), 6)) return null;
        var product = node.OpType == "Div" ? node.Input(0) : Patterns.OtherThanScalar(node, 1.0 / 6);
        if (RuleContext.ProducerOf(product, "Mul") is not { } mul || !context.HasSingleUse(product!)) return null;
        if (Patterns.OneSideProducedBy(mul, "Clip") is not var (x, clip)) return null;
        if (FusedActivation.Describe(clip) is not (_, var bounds) || bounds[0] != 0 || bounds[1] != 6) return null;
        if (RuleContext.ProducerOf(clip.Input(0), "Add") is not { } add || Patterns.OtherThanScalar(add, 3) != x) return null;
        return Rewrite.Single(Patterns.HardSwish(x, node.Output(0)!, context), node.Output(0)!);
    }
}

/// <summary>GELU from its erf form 0.5*x*(1+erf(x/sqrt2)) or tanh form 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715x^3))),
/// in the operand orders PyTorch and TensorFlow export, becomes one tessera.Gelu {approximate}.</summary>
public sealed class GeluFromDecomposedForm : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Mul"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        // Shape A: Mul(Mul(x, 1+f(x)), 0.5). Shape B: Mul(Mul(x, 0.5), 1+f(x)). Shape C: Mul(x, Mul(1+f(x), 0.5)).
        if (Patterns.OtherThanScalar(node, 0.5) is { } half && RuleContext.ProducerOf(half, "Mul") is { } inner && context.HasSingleUse(half))
        {
            for (int side = 0; side < 2; side++)
            {
                if (Gate(inner.Input(side), inner.Input(1 - side)) is { } approximate) return Make(inner.Input(1 - side)!, approximate, node, context);
            }
        }
        for (int side = 0; side < 2; side++)
        {
            var a = node.Input(side);
            var b = node.Input(1 - side);
            if (RuleContext.ProducerOf(a, "Mul") is { } m && Patterns.OtherThanScalar(m, 0.5) is { } x && Gate(b, x) is { } approximate) return Make(x, approximate, node, context);
            if (RuleContext.ProducerOf(b, "Mul") is { } g && Patterns.OtherThanScalar(g, 0.5) is { } onePlus && Gate(onePlus, a) is { } approx2) return Make(a!, approx2, node, context);
        }
        return null;
    }

    private static Rewrite Make(Value x, string approximate, Node root, RuleContext context)
    {
        context.Model.Opsets.TryAdd(FusedActivation.Domain, 1);
        var output = root.Output(0)!;
        var gelu = new Node("Gelu", [x], [context.NewValue(output.Name, output.Type)], FusedActivation.Domain);
        gelu.SetAttribute(NodeAttribute.String("approximate", approximate));
        return Rewrite.Single(gelu, output);
    }

    /// <summary>"none" or "tanh" when <paramref name="value"/> is 1 + erf(x/sqrt2) or 1 + tanh(...) of <paramref name="x"/>.</summary>
    private static string? Gate(Value? value, Value? x)
    {
        if (x is null || RuleContext.ProducerOf(value, "Add") is not { } add || Patterns.OtherThanScalar(add, 1) is not { } f) return null;
        if (RuleContext.ProducerOf(f, "Erf") is { } erf)
        {
            var scaled = erf.Input(0)?.Producer;
            bool ok = scaled?.OpType == "Div" ? scaled.Input(0) == x && Patterns.Near(RuleContext.Scalar(scaled.Input(1)), Math.Sqrt(2), 1e-3)
                : scaled?.OpType == "Mul" && Patterns.OtherThanScalar(scaled, 1 / Math.Sqrt(2)) == x;
            return ok ? "none" : null;
        }
        if (RuleContext.ProducerOf(f, "Tanh") is { } tanh && RuleContext.ProducerOf(tanh.Input(0), "Mul") is { } outer)
        {
            // sqrt(2/pi) * (x + 0.044715 * x^3)
            var sum = Patterns.OtherThanScalar(outer, Math.Sqrt(2 / Math.PI));
            if (RuleContext.ProducerOf(sum, "Add") is not { } plus) return null;
            var cubic = plus.Input(0) == x ? plus.Input(1) : plus.Input(1) == x ? plus.Input(0) : null;
            if (RuleContext.ProducerOf(cubic, "Mul") is not { } scaledCube || Patterns.OtherThanScalar(scaledCube, 0.044715) is not { } cube) return null;
            bool isCube = RuleContext.ProducerOf(cube, "Pow") is { } pow ? pow.Input(0) == x && Patterns.Near(RuleContext.Scalar(pow.Input(1)), 3)
                : RuleContext.ProducerOf(cube, "Mul") is { } mm && (mm.Input(0) == x || mm.Input(1) == x);
            return isCube ? "tanh" : null;
        }
        return null;
    }
}
