using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Add(Conv(X, W, B), Z) with the Conv result read only by the Add and Z of the Add's own shape
/// (no broadcast) becomes tessera.FusedConv(X, W, B, Z): the convolution adds Z to each output before its
/// activation, so a residual block's Conv, Add and Relu are one pass over the output (the Relu then fuses
/// through <see cref="FuseActivationIntoProducer"/>). Only with
/// <see cref="OptimizationOptions.FuseResidualAdd"/>: the fourth input is Tessera's cpu backend's, other
/// consumers of fused convolutions (quantizer, NPU compiler) do not take it.</summary>
public sealed class FuseResidualAddIntoConv : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["Add"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (!context.Options.FuseResidualAdd || node.Inputs.Count != 2) return null;
        var output = node.Output(0);
        if (output?.TensorType is not { ElementType: DataType.Float32 } || RuleContext.Shape(output) is not { } shape) return null;
        for (int side = 0; side < 2; side++)
        {
            var y = node.Input(side);
            var z = node.Input(1 - side);
            if (y is null || z is null || y == z || y.Producer is not { } conv || !context.HasSingleUse(y)) continue;
            if (conv.Domain.Length != 0 || conv.OpType != "Conv" || conv.Outputs.Count != 1 || conv.Inputs.Count > 3) continue;
            if (RuleContext.Shape(y) is not { } ys || !ys.SequenceEqual(shape) || RuleContext.Shape(z) is not { } zs || !zs.SequenceEqual(shape)) continue;
            var fused = new Node("FusedConv", [conv.Input(0), conv.Input(1), conv.Input(2), z], [context.NewValue(output.Name, output.Type)], FusedActivation.Domain, conv.Name);
            foreach (var a in conv.Attributes.Values) fused.SetAttribute(a);
            context.Model.Opsets.TryAdd(FusedActivation.Domain, 1);
            return Rewrite.Single(fused, output);
        }
        return null;
    }
}
