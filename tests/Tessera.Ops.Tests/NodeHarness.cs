using Tessera.Core;
using Tessera.Ops;
using Tessera.Runtime;

namespace Tessera.Ops.Tests;

/// <summary>Runs one node's reference kernel or type rule directly (through <see cref="OperatorRegistry.Default"/>,
/// so the registration is exercised too), and small graphs through a session. The other harnesses of this
/// project (<see cref="OpHarness"/>, <see cref="OpRunner"/>, <see cref="ElementwiseHarness"/>) are shorthands
/// over <see cref="MakeNode"/>, <see cref="Execute"/> and <see cref="InferNode"/>.</summary>
internal static class NodeHarness
{
    /// <summary>A node with inputs in0.. and outputs out0..; inputs for which <paramref name="omitted"/> holds
    /// are left out (an absent optional input).</summary>
    public static Node MakeNode(string opType, int inputs, int outputs, string domain, NodeAttribute[]? attributes, Func<int, bool>? omitted = null)
    {
        var node = new Node(opType,
            Enumerable.Range(0, inputs).Select(i => omitted?.Invoke(i) == true ? null : new Value($"in{i}")),
            Enumerable.Range(0, outputs).Select(i => (Value?)new Value($"out{i}")),
            domain);
        foreach (var a in attributes ?? []) node.SetAttribute(a);
        return node;
    }

    /// <summary>Runs <paramref name="node"/>'s kernel on <paramref name="inputs"/> and returns its outputs.</summary>
    public static IReadOnlyList<DataValue?> Execute(Node node, long opset, IReadOnlyList<DataValue?> inputs)
    {
        var context = new KernelContext(node, opset, inputs);
        OperatorRegistry.Default.Get(node).Execute(context);
        return context.Outputs;
    }

    /// <summary>Runs <paramref name="node"/>'s type rule on the given input types and constant inputs.</summary>
    public static IReadOnlyList<IrType?> InferNode(Node node, long opset, IrType?[] inputTypes, Tensor?[]? constants)
    {
        var context = new InferenceContext(node, opset, inputTypes, constants ?? new Tensor?[inputTypes.Length]);
        OperatorRegistry.Default.Get(node).InferTypes(context);
        return context.OutputTypes;
    }

    public static IReadOnlyList<DataValue?> Run(string opType, DataValue?[] inputs, long opset = 18, int outputs = 1, string domain = "", params NodeAttribute[] attributes) =>
        Execute(MakeNode(opType, inputs.Length, outputs, domain, attributes), opset, inputs);

    public static Tensor Run1(string opType, DataValue?[] inputs, long opset = 18, params NodeAttribute[] attributes) =>
        (Tensor)Run(opType, inputs, opset, 1, "", attributes)[0]!;

    public static IReadOnlyList<IrType?> Infer(string opType, IrType?[] inputTypes, Tensor?[]? constants = null, long opset = 18, int outputs = 1, params NodeAttribute[] attributes) =>
        InferNode(MakeNode(opType, inputTypes.Length, outputs, "", attributes), opset, inputTypes, constants);

    public static Tensor F(int[] shape, params float[] values) => Tensor.Create(shape, values);

    public static Tensor L(int[] shape, params long[] values) => Tensor.Create(shape, values);

    public static void Close(double[] expected, Tensor actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = actual.GetDouble(i);
            Assert.True(System.Math.Abs(expected[i] - a) <= tolerance || (double.IsNaN(expected[i]) && double.IsNaN(a)) || expected[i] == a,
                $"element {i}: expected {expected[i]}, got {a}");
        }
    }

    /// <summary>Runs a one-node model through a session (for ops that run subgraphs).</summary>
    public static IReadOnlyDictionary<string, DataValue> RunModel(Graph graph, long opset, IReadOnlyDictionary<string, DataValue> inputs)
    {
        var model = new Model(graph);
        model.Opsets[""] = opset;
        return new InferenceSession(model).Run(inputs);
    }
}
