using Tessera.Core;

namespace Tessera.Ops.Sequence;

/// <summary>Optional (wrap a value, or make an empty optional of the type attribute), OptionalHasElement
/// (false for an empty optional or a missing input) and OptionalGetElement (the wrapped value; a plain
/// tensor or sequence passes through, as opset 18 allows).</summary>
[Op("Optional")]
[Op("OptionalHasElement")]
[Op("OptionalGetElement")]
public sealed class OptionalOps : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.InputValue(0);
        switch (context.OpType)
        {
            case "Optional":
                if (input is null)
                {
                    var type = context.Node.Attribute("type")?.Value as IrType ?? throw context.MissingAttribute("type");
                    context.SetOutput(0, new OptionalValue(type, null));
                }
                else
                {
                    context.SetOutput(0, new OptionalValue(TypeOf(input), input));
                }
                break;
            case "OptionalHasElement":
                context.SetOutput(0, Tensor.Scalar(input is OptionalValue o ? o.HasValue : input is not null));
                break;
            default:
                var value = input is OptionalValue opt ? opt.Value : input;
                context.SetOutput(0, value ?? throw context.Invalid("the optional is empty"));
                break;
        }
    }

    private static IrType TypeOf(DataValue value) => value switch
    {
        Tensor t => new TensorType(t.DataType, TensorShape.FromConcrete(t.Shape)),
        SequenceValue s => new SequenceType(new TensorType(s.ElementType, null)),
        OptionalValue o => new OptionalType(o.ElementType),
        _ => throw new InvalidInputException($"cannot wrap {value} in an optional"),
    };

    public override void InferTypes(InferenceContext context)
    {
        var input = context.InputType(0);
        switch (context.OpType)
        {
            case "Optional":
                var element = input ?? context.Node.Attribute("type")?.Value as IrType;
                if (element is not null) context.SetOutputType(0, new OptionalType(element));
                break;
            case "OptionalHasElement":
                context.SetOutput(0, DataType.Bool, new TensorShape(Array.Empty<long>()));
                break;
            default:
                context.SetOutputType(0, input is OptionalType o ? o.ElementType : input);
                break;
        }
    }
}
