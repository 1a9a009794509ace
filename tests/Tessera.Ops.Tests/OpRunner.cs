using Tessera.Core;

namespace Tessera.Ops.Tests;

/// <summary>Runs one operator's reference kernel and type rule on hand-made inputs.</summary>
internal static class OpRunner
{
    public static Node MakeNode(string opType, int inputs, int outputs, params NodeAttribute[] attributes) =>
        NodeHarness.MakeNode(opType, inputs, outputs, "", attributes);

    /// <summary>Executes <paramref name="opType"/>; null entries in <paramref name="inputs"/> are absent optional inputs.</summary>
    public static Tensor[] Run(string opType, Tensor?[] inputs, int outputs = 1, long opset = 21, params NodeAttribute[] attributes)
    {
        var results = NodeHarness.Execute(MakeNode(opType, inputs.Length, outputs, attributes), opset, inputs);
        return results.Select(o => o as Tensor ?? Tensor.Create([0], Array.Empty<float>())).ToArray();
    }

    public static Tensor Run1(string opType, Tensor?[] inputs, long opset = 21, params NodeAttribute[] attributes) =>
        Run(opType, inputs, 1, opset, attributes)[0];

    /// <summary>Runs the type rule with the given input types (and optional constant inputs).</summary>
    public static IReadOnlyList<IrType?> Infer(string opType, IrType?[] inputTypes, long opset = 21, Tensor?[]? constants = null, int outputs = 1, params NodeAttribute[] attributes)
        => NodeHarness.InferNode(MakeNode(opType, inputTypes.Length, outputs, attributes), opset, inputTypes, constants);

    public static Tensor F(int[] shape, params float[] values) => Tensor.Create(shape, values);

    public static void AssertClose(float[] expected, Tensor actual, double tolerance = 1e-5)
    {
        var a = actual.ToFloatArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(System.Math.Abs(expected[i] - a[i]) <= tolerance * (1 + System.Math.Abs(expected[i])), $"element {i}: {a[i]} vs expected {expected[i]}");
        }
    }
}
