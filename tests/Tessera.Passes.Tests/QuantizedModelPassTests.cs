using Tessera.Core;

namespace Tessera.Passes.Tests;

/// <summary>The optimizer on a model that is already quantized (what <c>tessera compile</c> does with a QDQ file):
/// clean-up happens, quantization stays.</summary>
public class QuantizedModelPassTests
{
    /// <summary>x -> Q -> DQ -> MatMul(DQ(int8 weight)) -> Identity -> y, plus an unused Relu.</summary>
    private static Model QdqMatMul()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 4);
        var scale = t.Constant("scale", Tensor.Scalar(0.05f));
        var zero = t.Constant("zero", Tensor.Scalar((sbyte)0));
        var q = t.Node("QuantizeLinear", [x, scale, zero], [2, 4]);
        var dq = t.Node("DequantizeLinear", [q, scale, zero], [2, 4]);
        var weights = t.Constant("w", Tensor.Create([4, 3], new sbyte[] { 1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12 }));
        var weightDq = t.Node("DequantizeLinear", [weights, t.Constant("wscale", Tensor.Scalar(0.01f)), zero], [4, 3]);
        var product = t.Node("MatMul", [dq, weightDq], [2, 3]);
        t.Node("Relu", [product], [2, 3]);
        t.Output(t.Node("Identity", [product], [2, 3]));
        return t.Model;
    }

    private static int Count(Model model, string op) => model.Graph.Nodes.Count(n => n.OpType == op);

    [Fact]
    public void Preserving_quantization_keeps_int8_weights_and_removes_dead_code_and_identities()
    {
        var model = QdqMatMul();
        Assert.True(GraphOptimizer.IsQuantized(model));
        var result = GraphOptimizer.Optimize(model, new OptimizationOptions { PreserveQuantization = true, DumpFolder = null });
        Assert.Equal(6, result.Before.Nodes);
        Assert.Equal(4, result.After.Nodes);
        Assert.Equal((1, 2, 1, 0, 0), (Count(model, "QuantizeLinear"), Count(model, "DequantizeLinear"), Count(model, "MatMul"), Count(model, "Relu"), Count(model, "Identity")));
        var weightDq = model.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear" && n.Input(0)!.Constant is not null);
        Assert.Equal(DataType.Int8, weightDq.Input(0)!.Constant!.DataType);
    }

    [Fact]
    public void The_default_pipeline_folds_the_weight_dequantization_into_a_float_constant()
    {
        // The reason compile needs the quantization-preserving pipeline: the default one is right for float
        // execution (folding DQ of a constant is exact) but leaves no int8 weight for the integer lowering.
        var model = QdqMatMul();
        GraphOptimizer.Optimize(model, new OptimizationOptions { DumpFolder = null });
        Assert.Equal(1, Count(model, "DequantizeLinear"));
        Assert.Equal(0, Count(model, "Identity"));
    }
}
