using Tessera.Core;

namespace Tessera.Ops.Tests;

/// <summary>Runs one registered operator on tensors (through <see cref="OperatorRegistry.Default"/>, so the
/// registration is exercised too) and infers its output type.</summary>
internal static class ElementwiseHarness
{
    public static Tensor Run(string opType, params Tensor?[] inputs) => Run(opType, 21, inputs, []);

    public static Tensor Run(string opType, long opset, Tensor?[] inputs, params NodeAttribute[] attributes) =>
        (Tensor)RunAll(opType, opset, inputs, attributes)[0]!;

    public static IReadOnlyList<DataValue?> RunAll(string opType, long opset, Tensor?[] inputs, NodeAttribute[] attributes)
        => NodeHarness.Execute(MakeNode(opType, inputs.Length, attributes), opset, inputs);

    public static IrType? Infer(string opType, long opset, IrType?[] inputTypes, params NodeAttribute[] attributes) =>
        Infer(opType, opset, inputTypes, new Tensor?[inputTypes.Length], attributes);

    public static IrType? Infer(string opType, long opset, IrType?[] inputTypes, Tensor?[] constants, NodeAttribute[] attributes)
        => NodeHarness.InferNode(MakeNode(opType, inputTypes.Length, attributes), opset, inputTypes, constants)[0];

    public static long Macs(string opType, int[][] inputShapes, int[] outputShape)
    {
        var node = MakeNode(opType, inputShapes.Length, []);
        return OperatorRegistry.Default.Get(node).Macs(new CostContext(node, inputShapes, [outputShape]));
    }

    private static Node MakeNode(string opType, int inputCount, NodeAttribute[] attributes) =>
        NodeHarness.MakeNode(opType, inputCount, 1, "", attributes);

    public static Tensor F(int[] shape, params float[] values) => Tensor.Create(shape, values);

    public static Tensor F(params float[] values) => Tensor.Create([values.Length], values);

    public static Tensor D(params double[] values) => Tensor.Create([values.Length], values);

    public static Tensor I32(params int[] values) => Tensor.Create([values.Length], values);

    public static Tensor I64(params long[] values) => Tensor.Create([values.Length], values);

    public static Tensor B(params bool[] values) => Tensor.Create([values.Length], values);

    public static TensorType Type(DataType type, params long[] dims) => new(type, new TensorShape(dims));

    /// <summary>Asserts element type, shape and values (floats within a relative 1e-6 and absolute 1e-7).</summary>
    public static void AssertTensor(Tensor actual, DataType type, int[] shape, params double[] expected)
    {
        Assert.Equal(type, actual.DataType);
        Assert.Equal(shape, actual.Shape);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = actual.GetDouble(i), e = expected[i];
            if (double.IsNaN(e))
            {
                Assert.True(double.IsNaN(a), $"element {i}: expected NaN, got {a}");
                continue;
            }
            Assert.True(a == e || System.Math.Abs(a - e) <= 1e-7 + 1e-6 * System.Math.Abs(e), $"element {i}: expected {e}, got {a}");
        }
    }

    public static void AssertFloats(Tensor actual, params double[] expected) =>
        AssertTensor(actual, actual.DataType, [expected.Length], expected);
}
