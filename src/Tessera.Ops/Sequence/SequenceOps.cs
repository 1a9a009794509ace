using Tessera.Core;

namespace Tessera.Ops.Sequence;

/// <summary>SequenceConstruct, SequenceEmpty, SequenceAt, SequenceInsert, SequenceErase, SequenceLength:
/// building and reading ONNX sequences (ordered lists of tensors of one element type). Positions may be
/// negative (counted from the end); an out-of-range position is an error.</summary>
[Op("SequenceConstruct")]
[Op("SequenceEmpty")]
[Op("SequenceAt")]
[Op("SequenceInsert")]
[Op("SequenceErase")]
[Op("SequenceLength")]
public sealed class SequenceOps : Operator
{
    public override void Execute(KernelContext context)
    {
        switch (context.OpType)
        {
            case "SequenceConstruct":
                var items = Enumerable.Range(0, context.InputCount).Select(context.Input).ToList();
                if (items.Count == 0) throw context.Invalid("SequenceConstruct needs at least one input");
                if (items.Any(t => t.DataType != items[0].DataType)) throw context.Invalid("sequence items must share one element type");
                context.SetOutput(0, new SequenceValue(items[0].DataType, items));
                break;
            case "SequenceEmpty":
                context.SetOutput(0, new SequenceValue((DataType)context.GetInt("dtype", (long)DataType.Float32), []));
                break;
            case "SequenceAt":
            {
                var seq = InputSequence(context, 0);
                context.SetOutput(0, seq.Items[Position(context, context.Input(1), seq.Items.Count, false)]);
                break;
            }
            case "SequenceInsert":
            {
                var seq = InputSequence(context, 0);
                var tensor = context.Input(1);
                if (seq.Items.Count > 0 && tensor.DataType != seq.ElementType) throw context.Invalid("inserted tensor's type differs from the sequence's");
                var position = context.OptionalInput(2);
                int at = position is null ? seq.Items.Count : Position(context, position, seq.Items.Count, true);
                var list = seq.Items.ToList();
                list.Insert(at, tensor);
                context.SetOutput(0, new SequenceValue(tensor.DataType, list));
                break;
            }
            case "SequenceErase":
            {
                var seq = InputSequence(context, 0);
                var position = context.OptionalInput(1);
                if (seq.Items.Count == 0) throw context.Invalid("cannot erase from an empty sequence");
                int at = position is null ? seq.Items.Count - 1 : Position(context, position, seq.Items.Count, false);
                var list = seq.Items.ToList();
                list.RemoveAt(at);
                context.SetOutput(0, new SequenceValue(seq.ElementType, list));
                break;
            }
            default:
                context.SetOutput(0, Tensor.Scalar((long)InputSequence(context, 0).Items.Count));
                break;
        }
    }

    /// <summary>A required sequence input.</summary>
    public static SequenceValue InputSequence(KernelContext context, int i) => context.InputValue(i) switch
    {
        SequenceValue s => s,
        OptionalValue { Value: SequenceValue s } => s,
        var other => throw context.Invalid($"input {i} should be a sequence but is {other?.ToString() ?? "missing"}"),
    };

    /// <summary>Normalizes a scalar position; inserting allows the end position (count).</summary>
    private static int Position(KernelContext context, Tensor position, int count, bool insert)
    {
        if (position.Length != 1) throw context.Invalid("position must be a scalar");
        long p = position.GetInt64(0);
        long normalized = p < 0 ? p + count : p;
        long upper = insert ? count : count - 1;
        if (normalized < 0 || normalized > upper) throw context.Invalid($"position {p} is out of range for a sequence of {count}");
        return (int)normalized;
    }

    public override void InferTypes(InferenceContext context)
    {
        switch (context.OpType)
        {
            case "SequenceConstruct":
                // Items may differ in shape: keep only the dims all of them agree on.
                IrType? element = context.InputType(0);
                for (int i = 1; i < context.InputCount && element is not null; i++) element = ControlFlow.ControlFlowTypes.Merge(element, context.InputType(i));
                if (element is not null) context.SetOutputType(0, new SequenceType(element));
                break;
            case "SequenceEmpty":
                context.SetOutputType(0, new SequenceType(new TensorType((DataType)context.GetInt("dtype", (long)DataType.Float32), null)));
                break;
            case "SequenceAt":
                if (context.InputType(0) is SequenceType s) context.SetOutputType(0, s.ElementType);
                break;
            case "SequenceInsert":
                if (context.InputTensorType(1) is { } t) context.SetOutputType(0, new SequenceType(new TensorType(t.ElementType, null)));
                break;
            case "SequenceErase":
                context.SetOutputType(0, context.InputType(0));
                break;
            default:
                context.SetOutput(0, DataType.Int64, new TensorShape(Array.Empty<long>()));
                break;
        }
    }
}
