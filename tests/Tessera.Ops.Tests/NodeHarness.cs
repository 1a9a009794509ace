using Tessera.Core;
using Tessera.Ops;
using Tessera.Runtime;

namespace Tessera.Ops.Tests;

/// <summary>Runs one node's reference kernel or type rule directly, and small graphs through a session.</summary>
internal static class NodeHarness
{
    public static Node MakeNode(string opType, int inputs, int outputs, string domain, NodeAttribute[] attributes)
    {
        var node = new Node(opType,
            Enumerable.Range(0, inputs).Select(i => (Value?)new Value($"in{i}")),
            Enumerable.Range(0, outputs).Select(i => (Value?)new Value($"out{i}")),
            domain);
        foreach (var a in attributes) node.SetAttribute(a);
        return node;
    }

    public static IReadOnlyList<DataValue?> Run(string opType, DataValue?[] inputs, long opset = 18, int outputs = 1, string domain = "", params NodeAttribute[] attributes)
    {
        var node = MakeNode(opType, inputs.Length, outputs, domain, attributes);
        var context = new KernelContext(node, opset, inputs);
        OperatorRegistry.Default.Get(node).Execute(context);
        return context.Outputs;
    }

    public static Tensor Run1(string opType, DataValue?[] inputs, long opset = 18, params NodeAttribute[] attributes) =>
        (Tensor)Run(opType, inputs, opset, 1, "", attributes)[0]!;

    public static IReadOnlyList<IrType?> Infer(string opType, IrType?[] inputTypes, Tensor?[]? constants = null, long opset = 18, int outputs = 1, params NodeAttribute[] attributes)
    {
        var node = MakeNode(opType, inputTypes.Length, outputs, "", attributes);
        var context = new InferenceContext(node, opset, inputTypes, constants ?? new Tensor?[inputTypes.Length]);
        OperatorRegistry.Default.Get(node).InferTypes(context);
        return context.OutputTypes;
    }

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
