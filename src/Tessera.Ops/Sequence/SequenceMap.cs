using Tessera.Core;

namespace Tessera.Ops.Sequence;

/// <summary>SequenceMap: runs the body once per element of the input sequence. Additional inputs that
/// are sequences (of the same length) contribute their i-th element; tensors are passed whole. Each body
/// output is collected into an output sequence.</summary>
[Op("SequenceMap")]
public sealed class SequenceMap : Operator
{
    public override void Execute(KernelContext context)
    {
        var body = context.GetGraph("body");
        var first = SequenceOps.InputSequence(context, 0);
        int count = first.Items.Count;
        for (int j = 1; j < context.InputCount; j++)
        {
            if (context.InputValue(j) is SequenceValue s && s.Items.Count != count)
            {
                throw context.Invalid($"sequence input {j} has {s.Items.Count} items, expected {count}");
            }
        }
        var results = new List<Tensor>[body.Outputs.Count];
        for (int k = 0; k < results.Length; k++) results[k] = [];
        for (int i = 0; i < count; i++)
        {
            var inputs = new DataValue?[context.InputCount];
            for (int j = 0; j < inputs.Length; j++)
            {
                inputs[j] = context.InputValue(j) is SequenceValue s ? s.Items[i] : context.InputValue(j);
            }
            var outputs = context.RunSubgraph(body, inputs);
            for (int k = 0; k < results.Length; k++)
            {
                results[k].Add(outputs[k] as Tensor ?? throw context.Invalid($"body output {k} is not a tensor"));
            }
        }
        for (int k = 0; k < results.Length; k++)
        {
            var type = results[k].Count > 0 ? results[k][0].DataType : body.Outputs[k].TensorType?.ElementType ?? DataType.Float32;
            context.SetOutput(k, new SequenceValue(type, results[k]));
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        var body = context.GetGraph("body");
        for (int k = 0; k < body.Outputs.Count; k++)
        {
            if (body.Outputs[k].Type is { } t) context.SetOutputType(k, new SequenceType(t));
        }
    }
}
