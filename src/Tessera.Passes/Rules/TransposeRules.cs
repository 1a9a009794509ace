using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Transpose of a Transpose is one Transpose with the composed permutation, or nothing when the
/// composition is the identity; a Transpose with the identity permutation is removed.</summary>
public sealed class CancelTransposes : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Transpose"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0) is not { } input || RuleContext.Rank(input) is not { } rank) return null;
        var perm = ConstantEvaluator.Permutation(node, rank);
        var output = node.Output(0)!;
        if (TensorMath.IsIdentity(perm)) return context.CanBypass(output, input) ? Rewrite.Bypass(output, input) : null;
        if (RuleContext.ProducerOf(input, "Transpose") is not { } inner || inner.Input(0) is not { } source) return null;
        var composed = TensorMath.Compose(ConstantEvaluator.Permutation(inner, rank), perm);
        if (TensorMath.IsIdentity(composed)) return context.CanBypass(output, source) ? Rewrite.Bypass(output, source) : null;
        var merged = new Node("Transpose", [source], [context.NewValue(output.Name, output.Type)], string.Empty, node.Name);
        merged.SetAttribute(NodeAttribute.Ints("perm", composed.Select(p => (long)p).ToArray()));
        return Rewrite.Single(merged, output);
    }
}

/// <summary>Sinks a Transpose below element-wise ops (unary ones, and binary ones whose other operand is a
/// constant, which is permuted to match), so it meets and cancels the next Transpose.</summary>
public sealed class SinkTransposeThroughElementwise : RewriteRule
{
    public static readonly string[] Unary = ["Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish", "Clip", "Neg", "Abs", "Exp", "Sqrt", "Erf", "Cast", "Elu", "Softplus"];

    public static readonly string[] Binary = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"];

    public override IReadOnlyCollection<string> RootOps => [.. Unary, .. Binary];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        int side = Unary.Contains(node.OpType) ? 0
            : RuleContext.ProducerOf(node.Input(0), "Transpose") is not null && node.Input(1)?.Constant is not null ? 0
            : RuleContext.ProducerOf(node.Input(1), "Transpose") is not null && node.Input(0)?.Constant is not null ? 1 : -1;
        if (side < 0 || RuleContext.ProducerOf(node.Input(side), "Transpose") is not { } transpose || !context.HasSingleUse(node.Input(side)!)) return null;
        if (transpose.Input(0) is not { } source || RuleContext.Rank(source) is not { } rank || node.Outputs.Count != 1) return null;
        if (Unary.Contains(node.OpType) && node.Inputs.Skip(1).Any(i => i is not null && i.Constant is null)) return null;
        var perm = ConstantEvaluator.Permutation(transpose, rank);
        var inputs = node.Inputs.ToArray();
        inputs[side] = source;
        if (!Unary.Contains(node.OpType))
        {
            var constant = node.Input(1 - side)!.Constant!;
            if (constant.Rank > rank) return null;
            var padded = constant.Reshape(Enumerable.Repeat(1, rank - constant.Rank).Concat(constant.Shape).ToArray());
            inputs[1 - side] = context.NewConstant(node.Input(1 - side)!.Name, TensorMath.Transpose(padded, TensorMath.Inverse(perm)));
        }
        var output = node.Output(0)!;
        var sourceShape = RuleContext.Shape(source);
        var movedType = output.TensorType is { } t && sourceShape is not null ? new TensorType(t.ElementType, TensorShape.FromConcrete(sourceShape)) : null;
        var moved = new Node(node.OpType, inputs, [context.NewValue(output.Name + "_pre", movedType)], node.Domain, node.Name);
        foreach (var a in node.Attributes.Values) moved.SetAttribute(a);
        var after = new Node("Transpose", [moved.Outputs[0]], [context.NewValue(output.Name, output.Type)], string.Empty, transpose.Name);
        after.SetAttribute(NodeAttribute.Ints("perm", perm.Select(p => (long)p).ToArray()));
        return new Rewrite([moved, after], (output, after.Outputs[0]!));
    }
}

/// <summary>A Transpose of the only result of a (fused) Conv becomes the Conv's output layout: attribute
/// output_perm on tessera.FusedConv. Backends write the result in that order directly (a DMA store
/// pattern on the NPU) instead of moving the tensor once more; BlazeFace's NCHW-to-NHWC head outputs
/// are the case this targets.</summary>
public sealed class FoldTransposeIntoConvOutput : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Transpose"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0) is not { } y || y.Producer is not { } conv || !context.HasSingleUse(y)) return null;
        bool plain = conv.Domain.Length == 0 && conv.OpType == "Conv";
        bool fused = conv.Domain == FusedActivation.Domain && conv.OpType == "FusedConv" && !conv.HasAttribute("output_perm");
        if (!(plain || fused) || conv.Input(1)?.Constant is not { } w) return null;
        var perm = ConstantEvaluator.Permutation(node, w.Rank);
        var output = node.Output(0)!;
        var folded = new Node("FusedConv", conv.Inputs, [context.NewValue(output.Name, output.Type)], FusedActivation.Domain, conv.Name);
        foreach (var a in conv.Attributes.Values) folded.SetAttribute(a);
        folded.SetAttribute(NodeAttribute.Ints("output_perm", perm.Select(p => (long)p).ToArray()));
        context.Model.Opsets.TryAdd(FusedActivation.Domain, 1);
        return Rewrite.Single(folded, output);
    }
}

/// <summary>A Transpose that swaps the last two axes of MatMul's second operand becomes transB=1 on a
/// tessera.FusedMatMul (attention's K transpose), so no transposed copy of K is materialized. Written out
/// as com.microsoft.FusedMatMul, which ONNX Runtime runs.</summary>
public sealed class FoldTransposeIntoMatMul : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["MatMul"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        var b = node.Input(1);
        if (RuleContext.ProducerOf(b, "Transpose") is not { } transpose || !context.HasSingleUse(b!) || transpose.Input(0) is not { } source) return null;
        if (RuleContext.Rank(source) is not { } rank || rank < 2) return null;
        var perm = ConstantEvaluator.Permutation(transpose, rank);
        bool swapsLastTwo = perm[rank - 1] == rank - 2 && perm[rank - 2] == rank - 1 && perm.Take(rank - 2).Select((p, i) => p == i).All(x => x);
        if (!swapsLastTwo) return null;
        var output = node.Output(0)!;
        var fused = new Node("FusedMatMul", [node.Input(0), source], [context.NewValue(output.Name, output.Type)], FusedActivation.Domain, node.Name);
        fused.SetAttribute(NodeAttribute.Int("transB", 1));
        context.Model.Opsets.TryAdd(FusedActivation.Domain, 1);
        return Rewrite.Single(fused, output);
    }
}
