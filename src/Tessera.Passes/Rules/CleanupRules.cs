using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Passes;

/// <summary>Constant nodes become initializers, so every later rule finds constants in one place.</summary>
public sealed class ConstantNodeToInitializer : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Constant"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Output(0) is not { } output || context.IsGraphOutput(output)) return null;
        Tensor? value = node.Attributes.Values.FirstOrDefault()?.Value switch
        {
            Tensor t => t,
            float f => Tensor.Scalar(f),
            long l => Tensor.Scalar(l),
            float[] fs => Tensor.Create([fs.Length], fs),
            long[] ls => Tensor.Create([ls.Length], ls),
            _ => null,
        };
        return value is null ? null : Rewrite.Bypass(output, context.NewConstant(output.Name, value));
    }
}

/// <summary>Identity forwards its input. Kept only where it gives a graph output its own name for a
/// value that cannot be renamed (a graph input, a constant or another output).</summary>
public sealed class RemoveIdentity : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Identity"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0) is not { } input || node.Output(0) is not { } output) return null;
        return context.CanBypass(output, input) ? Rewrite.Bypass(output, input) : null;
    }
}

/// <summary>Dropout is the identity at inference unless its mask output is read.</summary>
public sealed class RemoveDropout : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Dropout"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0) is not { } input || node.Output(0) is not { } output) return null;
        if (node.Output(1) is { } mask && context.UseCount(mask) > 0) return null;
        if (node.Input(2) is { } training && (training.Constant is not { } t || t.GetInt64(0) != 0)) return null;
        return context.CanBypass(output, input) ? Rewrite.Bypass(output, input) : null;
    }
}

/// <summary>Cast to the type the value already has, and Reshape/Flatten/Squeeze/Unsqueeze to the shape it
/// already has, do nothing.</summary>
public sealed class RemoveNoOpCastOrReshape : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Cast", "Reshape", "Flatten", "Squeeze", "Unsqueeze"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0) is not { } input || node.Output(0) is not { } output) return null;
        if (!context.CanBypass(output, input)) return null;
        if (node.OpType == "Cast")
        {
            return node.Attribute("to")?.Value is long to && RuleContext.ElementType(input) is { } type && (long)type == to
                ? Rewrite.Bypass(output, input)
                : null;
        }
        var before = RuleContext.Shape(input);
        var after = RuleContext.Shape(output) ?? ShapeAfterReshape(node, before);
        return before is not null && after is not null && before.SequenceEqual(after) ? Rewrite.Bypass(output, input) : null;
    }

    private static int[]? ShapeAfterReshape(Node node, int[]? input) =>
        node.OpType == "Reshape" && input is not null && node.Input(1)?.Constant is { } target
            ? ConstantEvaluator.ReshapeTarget(input, target.ToInt64Array(), (node.Attribute("allowzero")?.Value as long? ?? 0) != 0)
            : null;
}

/// <summary>A node whose inputs are all constants is evaluated now (with its reference kernel, or the
/// built-in evaluator for shape ops), and Shape/Size of a value with a known shape become constants.</summary>
public sealed class FoldConstants : RewriteRule
{
    /// <summary>Ops that create data larger than their inputs; folding them only stores what is cheap to compute.</summary>
    public static readonly string[] Expanding = ["ConstantOfShape", "Expand", "Tile", "Range"];

    /// <summary>Largest result (elements) of an <see cref="Expanding"/> op that is still folded.</summary>
    public const int MaxExpandedElements = 1024;

    public override IReadOnlyCollection<string>? RootOps => null;

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.OpType == "Constant" || node.Subgraphs().Any() || node.Outputs.Count == 0) return null;
        if (context.Options.PreserveQuantization && node.OpType is "QuantizeLinear" or "DequantizeLinear") return null;
        if (Expanding.Contains(node.OpType) && RuleContext.Shape(node.Output(0)) is { } outShape && ShapeMath.ElementCount(outShape) > MaxExpandedElements) return null;
        if (node.Outputs.Any(o => o is not null && context.IsGraphOutput(o))) return null;
        if (ConstantEvaluator.FromShape(node) is { } shape) return Replace(node, [shape], context);
        var inputs = node.Inputs.Where(i => i is not null).ToList();
        if (inputs.Count == 0 || inputs.Any(i => i!.Constant is null)) return null;
        var results = Evaluate(node, context);
        if (results is null || results.Any(r => r is not null && r.Length > context.Options.MaxFoldedElements)) return null;
        if (Expanding.Contains(node.OpType) && results.Any(r => r is not null && r.Length > MaxExpandedElements)) return null;
        return Replace(node, results, context);
    }

    private static Rewrite? Replace(Node node, IReadOnlyList<Tensor?> results, RuleContext context)
    {
        var replacements = new List<(Value, Value)>();
        for (int i = 0; i < node.Outputs.Count; i++)
        {
            if (node.Outputs[i] is not { } output) continue;
            if (i >= results.Count || results[i] is not { } tensor) return null;
            replacements.Add((output, context.NewConstant(output.Name, tensor)));
        }
        return new Rewrite(replacements.ToArray());
    }

    private static IReadOnlyList<Tensor?>? Evaluate(Node node, RuleContext context)
    {
        long opset = context.Model.OpsetOf(node.Domain);
        if (context.Options.Registry.TryGet(node.Domain, node.OpType, out var op))
        {
            try
            {
                var kernel = new KernelContext(node, opset, node.Inputs.Select(i => (DataValue?)i?.Constant).ToList());
                op.Execute(kernel);
                return kernel.Outputs.Select(o => o as Tensor).ToList();
            }
            catch (TesseraException)
            {
                // The kernel rejects this node; the evaluator below may still handle it, otherwise it stays.
            }
        }
        if (node.Outputs.Count != 1) return null;
        try
        {
            return ConstantEvaluator.Evaluate(node, opset) is { } t ? [t] : null;
        }
        catch (ArgumentException)
        {
            return null; // inconsistent constants (a malformed model); leave the node for the executor to report
        }
    }
}

/// <summary>x * 1, x / 1, x + 0 and x - 0 with a one-element constant are x (when the constant does not
/// broadcast x to a higher rank). Exporters write these for parameterized activations left at their
/// default (Paddle's swish with beta 1), and they hide patterns such as x * Sigmoid(x).</summary>
public sealed class RemoveNeutralArithmetic : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Mul", "Div", "Add", "Sub"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        for (int side = 0; side < 2; side++)
        {
            if (side == 1 && node.OpType is "Div" or "Sub") break;
            var x = node.Input(side);
            var c = node.Input(1 - side)?.Constant;
            if (x is null || c is not { Length: 1 } || !DataTypes.IsNumeric(c.DataType) || RuleContext.ElementType(x) != c.DataType) continue;
            if (c.Rank > 0 && (RuleContext.Rank(x) is not { } rank || c.Rank > rank)) continue;
            double neutral = node.OpType is "Mul" or "Div" ? 1 : 0;
            if (c.GetDouble(0) != neutral || !context.CanBypass(node.Output(0)!, x)) continue;
            return Rewrite.Bypass(node.Output(0)!, x);
        }
        return null;
    }
}
