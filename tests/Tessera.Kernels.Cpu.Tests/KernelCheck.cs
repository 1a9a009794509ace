using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>What the fast-kernel tests share: seeded random tensors, a node run on a fast registry against the
/// reference one, and a 2-D Conv / FusedConv node.</summary>
internal static class KernelCheck
{
    /// <summary>A tensor of uniform values in [-1, 1).</summary>
    public static Tensor RandomTensor(Random random, params int[] shape) =>
        Tensor.Create(shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());

    /// <summary>Runs <paramref name="node"/> on <paramref name="fast"/> and on the reference registry; the first outputs
    /// have the same shape and agree within 1e-4 of the reference's largest magnitude (at least 1).</summary>
    public static void Check(OperatorRegistry fast, Node node, Tensor?[] inputs, string label)
    {
        Tensor Run(OperatorRegistry registry)
        {
            var context = new KernelContext(node, 22, inputs.Cast<DataValue?>().ToList());
            registry.Get(node).Execute(context);
            return (Tensor)context.Outputs[0]!;
        }
        var expected = Run(OperatorRegistry.Default);
        var actual = Run(fast);
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToFloatArray();
        var a = actual.ToFloatArray();
        double scale = Math.Max(1, e.Length == 0 ? 0 : e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * scale, $"{label} at {i}: {a[i]} vs {e[i]}");
    }

    /// <summary>A 2-D Conv over inputs x, w, b (and z, the residual, with <paramref name="residual"/>); a FusedConv with
    /// <paramref name="activation"/> and its parameters, or with a residual.</summary>
    public static Node Conv(int group, int kh, int kw, int sy, int sx, int dy, int dx, int[] pads, string activation, float[] activationParams, bool residual = false)
    {
        bool fused = activation.Length > 0 || residual;
        List<Value> inputs = [new Value("x"), new Value("w"), new Value("b")];
        if (residual) inputs.Add(new Value("z"));
        var node = new Node(fused ? "FusedConv" : "Conv", inputs, [new Value("y")], fused ? "tessera" : "", "conv");
        node.SetAttribute(NodeAttribute.Int("group", group));
        node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kh, kw]));
        node.SetAttribute(NodeAttribute.Ints("strides", [sy, sx]));
        node.SetAttribute(NodeAttribute.Ints("dilations", [dy, dx]));
        node.SetAttribute(NodeAttribute.Ints("pads", pads.Select(p => (long)p).ToArray()));
        if (activation.Length > 0)
        {
            node.SetAttribute(NodeAttribute.String("activation", activation));
            node.SetAttribute(NodeAttribute.Floats("activation_params", activationParams));
        }
        return node;
    }
}
