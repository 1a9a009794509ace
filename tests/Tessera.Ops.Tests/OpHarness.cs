using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Ops.Tests;

/// <summary>Runs one operator's reference kernel or type rule on a hand-built node.</summary>
internal static class OpHarness
{
    /// <summary>Executes <paramref name="opType"/>; a null input is an omitted optional input.</summary>
    public static Tensor[] Run(string opType, Tensor?[] inputs, NodeAttribute[]? attributes = null, long opset = 21, int outputs = 1)
    {
        var node = MakeNode(opType, inputs.Length, attributes, outputs, i => inputs[i] is null);
        var context = new KernelContext(node, opset, inputs.Cast<DataValue?>().ToList());
        OperatorRegistry.Default.Get(node).Execute(context);
        return Enumerable.Range(0, outputs).Select(i => (Tensor)context.Outputs[i]!).ToArray();
    }

    public static Tensor Run1(string opType, Tensor?[] inputs, NodeAttribute[]? attributes = null, long opset = 21) =>
        Run(opType, inputs, attributes, opset)[0];

    /// <summary>Runs the static type rule with the given input types and (optional) constant inputs.</summary>
    public static IrType?[] Infer(string opType, IrType?[] types, Tensor?[]? constants = null, NodeAttribute[]? attributes = null, long opset = 21, int outputs = 1)
    {
        var node = MakeNode(opType, types.Length, attributes, outputs, i => types[i] is null);
        var context = new InferenceContext(node, opset, types, constants ?? new Tensor?[types.Length]);
        OperatorRegistry.Default.Get(node).InferTypes(context);
        return context.OutputTypes.ToArray();
    }

    private static Node MakeNode(string opType, int inputCount, NodeAttribute[]? attributes, int outputs, Func<int, bool> omitted)
    {
        var node = new Node(
            opType,
            Enumerable.Range(0, inputCount).Select(i => omitted(i) ? null : new Value($"in{i}")),
            Enumerable.Range(0, outputs).Select(i => new Value($"out{i}")));
        foreach (var a in attributes ?? []) node.SetAttribute(a);
        return node;
    }

    public static Tensor F(int[] shape, params float[] data) => Tensor.Create(shape, data);

    public static Tensor L(params long[] data) => Tensor.Create([data.Length], data);

    public static Tensor Iota(int[] shape)
    {
        var data = new float[ShapeMath.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = i;
        return Tensor.Create(shape, data);
    }

    public static NodeAttribute Int(string name, long v) => NodeAttribute.Int(name, v);

    public static NodeAttribute Ints(string name, params long[] v) => new(name, AttributeKind.Ints, v);

    public static NodeAttribute Str(string name, string v) => new(name, AttributeKind.String, v);

    public static TensorType Type(DataType t, params long[] dims) => new(t, new TensorShape(dims));

    public static TensorType Type(DataType t, params Dim[] dims) => new(t, new TensorShape(dims));
}
