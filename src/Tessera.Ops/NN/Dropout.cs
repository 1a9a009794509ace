using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>Dropout. In inference (the default) it is the identity and the optional mask is all true.
/// Training mode (opset 12+) with a ratio above zero draws a random mask, which no test can compare, so it
/// is reported as unsupported; a zero ratio keeps every element.</summary>
[Op("Dropout")]
public sealed class Dropout : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (context.Opset >= 12)
        {
            bool training = context.OptionalInput(2) is { Length: > 0 } t && t.GetInt64(0) != 0;
            double ratio = context.OptionalInput(1) is { Length: > 0 } r ? r.GetDouble(0) : 0.5;
            if (training && ratio != 0) throw context.Unsupported("training-mode Dropout with a non-zero ratio (its mask is random)");
        }
        context.SetOutput(0, x);
        if (context.IsOutputUsed(1))
        {
            var maskType = MaskType(context.Opset, x.DataType);
            var mask = Tensor.Zeros(maskType, x.Shape);
            for (int i = 0; i < mask.Length; i++) mask.SetInt64(i, 1);
            context.SetOutput(1, mask);
        }
    }

    /// <summary>The mask is bool from opset 10; before that it had the input's type.</summary>
    private static DataType MaskType(long opset, DataType input) => opset >= 10 ? DataType.Bool : input;

    public override void InferTypes(InferenceContext context)
    {
        if (context.InputTensorType(0) is not { } x) return;
        context.SetOutputType(0, x);
        context.SetOutput(1, MaskType(context.Opset, x.ElementType), x.Shape);
    }
}
