using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Ops.Tests;

/// <summary>Runs one operator's reference kernel or type rule on a hand-built node.</summary>
internal static class OpHarness
{
    /// <summary>Executes <paramref name="opType"/>; a null input is an omitted optional input.</summary>
    public static Tensor[] Run(string opType, Tensor?[] inputs, NodeAttribute[]? attributes = null, long opset = 21, int outputs = 1)
    {
        var node = NodeHarness.MakeNode(opType, inputs.Length, outputs, "", attributes, i => inputs[i] is null);
        var results = NodeHarness.Execute(node, opset, inputs);
        return Enumerable.Range(0, outputs).Select(i => (Tensor)results[i]!).ToArray();
    }

    public static Tensor Run1(string opType, Tensor?[] inputs, NodeAttribute[]? attributes = null, long opset = 21) =>
        Run(opType, inputs, attributes, opset)[0];

    /// <summary>Runs the static type rule with the given input types and (optional) constant inputs.</summary>
    public static IrType?[] Infer(string opType, IrType?[] types, Tensor?[]? constants = null, NodeAttribute[]? attributes = null, long opset = 21, int outputs = 1)
    {
        var node = NodeHarness.MakeNode(opType, types.Length, outputs, "", attributes, i => types[i] is null);
        return NodeHarness.InferNode(node, opset, types, constants).ToArray();
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
