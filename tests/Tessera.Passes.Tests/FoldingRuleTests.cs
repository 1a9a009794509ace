using Tessera.Core;

namespace Tessera.Passes.Tests;

public class FoldingRuleTests
{
    private static Value BatchNorm(TestGraph t, Value x, int channels, int[] shape) =>
        t.Node("BatchNormalization", [x, t.Constant("gamma", [channels], 1), t.Constant("beta", [channels], 2), t.Constant("mean", [channels], 3), t.Constant("var", [channels], 4, 0.5, 1)], shape, "",
            NodeAttribute.Float("epsilon", 1e-3f));

    [Fact]
    public void Batch_norm_folds_into_conv()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 8, 8);
        var conv = t.Node("Conv", [x, t.Constant("w", [4, 3, 3, 3], 5), t.Constant("b", [4], 6)], [1, 4, 6, 6]);
        t.Output(BatchNorm(t, conv, 4, [1, 4, 6, 6]));
        RuleHarness.Check(t, ["Conv"], new FoldBatchNormIntoProducer());
    }

    [Fact]
    public void Batch_norm_folds_into_grouped_conv_transpose_without_bias()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 4, 5, 5);
        var deconv = t.Node("ConvTranspose", [x, t.Constant("w", [4, 3, 2, 2], 5)], [1, 6, 10, 10], "", NodeAttribute.Int("group", 2), NodeAttribute.Ints("strides", [2, 2]));
        t.Output(BatchNorm(t, deconv, 6, [1, 6, 10, 10]));
        RuleHarness.Check(t, ["ConvTranspose"], new FoldBatchNormIntoProducer());
    }

    [Fact]
    public void Batch_norm_folds_into_gemm_with_transposed_weights()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 5);
        var gemm = t.Node("Gemm", [x, t.Constant("w", [3, 5], 5), t.Constant("c", [3], 6)], [2, 3], "", NodeAttribute.Int("transB", 1), NodeAttribute.Float("beta", 0.5f));
        t.Output(BatchNorm(t, gemm, 3, [2, 3]));
        RuleHarness.Check(t, ["Gemm"], new FoldBatchNormIntoProducer());
    }

    [Fact]
    public void Batch_norm_after_an_input_becomes_mul_and_add()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 4, 4);
        t.Output(BatchNorm(t, x, 3, [1, 3, 4, 4]));
        RuleHarness.Check(t, ["Mul", "Add"], new FoldBatchNormIntoProducer(), new BatchNormToMulAdd());
    }

    [Fact]
    public void Batch_norm_is_not_folded_into_a_conv_whose_output_has_other_readers()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 8, 8);
        var conv = t.Node("Conv", [x, t.Constant("w", [4, 3, 1, 1], 5)], [1, 4, 8, 8]);
        t.Output(BatchNorm(t, conv, 4, [1, 4, 8, 8]));
        t.Output(conv);
        RuleHarness.Check(t, ["Conv", "BatchNormalization"], new FoldBatchNormIntoProducer());
    }

    [Fact]
    public void Per_channel_mul_and_add_fold_into_conv_weights_and_bias()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 8, 8);
        var conv = t.Node("Conv", [x, t.Constant("w", [4, 3, 3, 3], 5)], [1, 4, 6, 6]);
        var scaled = t.Node("Mul", [t.Constant("s", [4, 1, 1], 7), conv], [1, 4, 6, 6]);
        var shifted = t.Node("Add", [scaled, t.Constant("a", [1, 4, 1, 1], 8)], [1, 4, 6, 6]);
        t.Output(t.Node("Div", [shifted, t.Scalar("six", 6)], [1, 4, 6, 6]));
        RuleHarness.Check(t, ["Conv"], new FoldConstantAffineIntoProducer());
    }

    [Fact]
    public void Mul_by_a_spatial_constant_does_not_fold()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 8, 8);
        var conv = t.Node("Conv", [x, t.Constant("w", [4, 3, 3, 3], 5)], [1, 4, 6, 6]);
        t.Output(t.Node("Mul", [conv, t.Constant("s", [1, 1, 6, 6], 7)], [1, 4, 6, 6]));
        RuleHarness.Check(t, ["Conv", "Mul"], new FoldConstantAffineIntoProducer());
    }

    [Fact]
    public void Zero_pad_folds_into_conv_padding()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 8, 8);
        var pad = t.Node("Pad", [x, t.Constant("pads", Tensor.Create([8], new long[] { 0, 0, 1, 2, 0, 0, 1, 0 }))], [1, 3, 10, 10]);
        t.Output(t.Node("Conv", [pad, t.Constant("w", [4, 3, 3, 3], 5)], [1, 4, 8, 8], "", NodeAttribute.Ints("pads", [0, 1, 0, 1])));
        var model = RuleHarness.Check(t, ["Conv"], new FoldPadIntoConv());
        Assert.Equal(new long[] { 1, 3, 1, 1 }, (long[])model.Graph.Nodes[0].Attribute("pads")!.Value);
    }

    [Fact]
    public void Reflect_pad_is_not_folded()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 8, 8);
        var pad = t.Node("Pad", [x, t.Constant("pads", Tensor.Create([8], new long[] { 0, 0, 1, 1, 0, 0, 1, 1 }))], [1, 3, 10, 10], "", NodeAttribute.String("mode", "reflect"));
        t.Output(t.Node("Conv", [pad, t.Constant("w", [4, 3, 3, 3], 5)], [1, 4, 8, 8]));
        RuleHarness.Check(t, ["Pad", "Conv"], new FoldPadIntoConv());
    }

    [Fact]
    public void MatMul_and_add_become_gemm()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 5);
        var product = t.Node("MatMul", [x, t.Constant("w", [5, 3], 5)], [2, 3]);
        t.Output(t.Node("Add", [product, t.Constant("b", [3], 6)], [2, 3]));
        RuleHarness.Check(t, ["Gemm"], new MatMulAddToGemm());
    }

    [Fact]
    public void Batched_matmul_is_not_turned_into_gemm()
    {
        var t = new TestGraph();
        var x = t.Input("x", 4, 2, 5);
        var product = t.Node("MatMul", [x, t.Constant("w", [5, 3], 5)], [4, 2, 3]);
        t.Output(t.Node("Add", [product, t.Constant("b", [3], 6)], [4, 2, 3]));
        RuleHarness.Check(t, ["MatMul", "Add"], new MatMulAddToGemm());
    }
}
