using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Mul, Div, Add or Sub by a per-channel constant right after a Conv, ConvTranspose or Gemm folds
/// into its weights and bias (the decomposed BatchNorm and scale layers of exported models).</summary>
public sealed class FoldConstantAffineIntoProducer : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Mul", "Div", "Add", "Sub"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        for (int side = 0; side < 2; side++)
        {
            if (side == 1 && node.OpType is "Div" or "Sub") break; // c / y and c - y are not affine in the right form
            var y = node.Input(side);
            var c = node.Input(1 - side)?.Constant;
            if (y?.Producer is not { } producer || c is null || !context.HasSingleUse(y)) continue;
            if (AffineFolding.OutputChannels(producer) is not { } channels) continue;
            int rank = AffineFolding.OutputRank(producer);
            if (c.Rank > rank || TensorMath.PerChannel(c, rank, channels) is not { } values) continue;
            var one = Enumerable.Repeat(1.0, channels).ToArray();
            var zero = new double[channels];
            var (scale, shift) = node.OpType switch
            {
                "Mul" => (values, zero),
                "Div" => (values.Select(v => 1 / v).ToArray(), zero),
                "Add" => (one, values),
                _ => (one, values.Select(v => -v).ToArray()),
            };
            if (scale.Any(v => !double.IsFinite(v))) continue;
            return AffineFolding.Fold(producer, scale, shift, node.Output(0)!, context);
        }
        return null;
    }
}

/// <summary>A zero constant Pad on the spatial dims before a Conv becomes the Conv's own padding.</summary>
public sealed class FoldPadIntoConv : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Conv"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0) is not { } padded || RuleContext.ProducerOf(padded, "Pad") is not { } pad || !context.HasSingleUse(padded)) return null;
        if ((pad.Attribute("mode")?.Value as string ?? "constant") != "constant") return null;
        if ((node.Attribute("auto_pad")?.Value as string ?? "NOTSET") != "NOTSET") return null;
        long[]? pads = pad.Attribute("pads")?.Value as long[] ?? pad.Input(1)?.Constant?.ToInt64Array();
        if (pads is null || (pad.Input(1) is not null && pad.Input(1)!.Constant is null) || pad.Input(3) is not null) return null;
        double fill = pad.Attribute("value")?.Value as float? ?? 0f;
        if (pad.Input(2) is { } v) fill = RuleContext.Scalar(v) ?? double.NaN;
        if (fill != 0 || node.Input(1)?.Constant is not { } w) return null;
        int rank = w.Rank, spatial = rank - 2;
        if (pads.Length != 2 * rank || pads.Any(p => p < 0) || pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0) return null;
        var convPads = node.Attribute("pads")?.Value as long[] ?? new long[2 * spatial];
        var merged = new long[2 * spatial];
        for (int i = 0; i < spatial; i++)
        {
            merged[i] = convPads[i] + pads[2 + i];
            merged[spatial + i] = convPads[spatial + i] + pads[rank + 2 + i];
        }
        var conv = new Node("Conv", node.Inputs.Select((v, i) => i == 0 ? pad.Input(0) : v), [context.NewValue(node.Output(0)!.Name, node.Output(0)!.Type)], node.Domain, node.Name);
        foreach (var a in node.Attributes.Values) conv.SetAttribute(a);
        conv.SetAttribute(NodeAttribute.Ints("pads", merged));
        return Rewrite.Single(conv, node.Output(0)!);
    }
}

/// <summary>MatMul of a 2-D activation by a constant matrix followed by Add of a constant bias is one Gemm.</summary>
public sealed class MatMulAddToGemm : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Add"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        for (int side = 0; side < 2; side++)
        {
            var product = node.Input(side);
            var bias = node.Input(1 - side)?.Constant;
            if (RuleContext.ProducerOf(product, "MatMul") is not { } matmul || bias is null || !context.HasSingleUse(product!)) continue;
            var a = matmul.Input(0);
            var b = matmul.Input(1)?.Constant;
            if (RuleContext.Shape(a) is not { Length: 2 } aShape || b is not { Rank: 2 } || !DataTypes.IsFloat(b.DataType)) continue;
            int m = aShape[0], n = b.Shape[1];
            bool fits = bias.Rank switch
            {
                0 => true,
                1 => bias.Shape[0] is 1 || bias.Shape[0] == n,
                2 => (bias.Shape[0] == 1 || bias.Shape[0] == m) && (bias.Shape[1] == 1 || bias.Shape[1] == n),
                _ => false,
            };
            if (!fits || bias.DataType != b.DataType) continue;
            var gemm = new Node("Gemm", [a, matmul.Input(1), node.Input(1 - side)], [context.NewValue(node.Output(0)!.Name, node.Output(0)!.Type)], string.Empty, matmul.Name);
            return Rewrite.Single(gemm, node.Output(0)!);
        }
        return null;
    }
}
