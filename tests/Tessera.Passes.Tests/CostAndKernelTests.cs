using Tessera.Core;
using Tessera.Ops;
using Tessera.Ops.Fused;

namespace Tessera.Passes.Tests;

public class CostAndKernelTests
{
    [Fact]
    public void Conv_gemm_and_pool_costs_follow_their_formulas()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 8, 8);
        var conv = t.Node("Conv", [x, t.Constant("w", [4, 3, 3, 3], 5), t.Constant("b", [4], 6)], [1, 4, 6, 6]);
        var pool = t.Node("MaxPool", [conv], [1, 4, 3, 3], "", NodeAttribute.Ints("kernel_shape", [2, 2]), NodeAttribute.Ints("strides", [2, 2]));
        var flat = t.Node("Flatten", [pool], [1, 36]);
        t.Output(t.Node("Gemm", [flat, t.Constant("g", [36, 10], 7)], [1, 10]));
        var report = CostAnalysis.Count(t.Model);
        var convCost = report.Layers[0];
        Assert.Equal(4L * 6 * 6 * 3 * 3 * 3, convCost.Macs);
        Assert.Equal(4 * 3 * 3 * 3 + 4, convCost.Parameters);
        Assert.Equal(3 * 8 * 8 * 4, convCost.InputBytes);
        Assert.Equal(4 * 6 * 6 * 4, convCost.OutputBytes);
        Assert.Equal((4 * 27 + 4) * 4, convCost.WeightBytes);
        Assert.Equal((double)convCost.Macs / convCost.TotalBytes, convCost.ArithmeticIntensity);
        Assert.Equal(4L * 3 * 3 * 4, report.Layers[1].Operations);
        Assert.Equal(0, report.Layers[2].Macs + report.Layers[2].Operations);
        Assert.Equal(10L * 36, report.Layers[3].Macs);
        Assert.Equal(convCost.Macs + 360, report.Macs);
        Assert.Equal(0, report.UnknownLayers);
    }

    [Fact]
    public void Unknown_shapes_are_reported_not_guessed()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 3, 8, 8);
        t.Output(t.Node("Conv", [x, t.Constant("w", [4, 3, 3, 3], 5)], null));
        var report = CostAnalysis.Count(t.Model);
        Assert.Equal(1, report.UnknownLayers);
        Assert.False(report.Layers[0].ShapesKnown);
    }

    [Fact]
    public void Fused_kernel_runs_the_base_kernel_then_activation_then_layout()
    {
        // FusedAdd is not an op the optimizer writes, but Add is the base kernel available in every build,
        // so it exercises the delegation, the activation and the output permutation of FusedProducer.
        var a = new Value("a");
        var b = new Value("b");
        var node = new Node("FusedAdd", [a, b], [new Value("y")], FusedActivation.Domain);
        node.SetAttribute(NodeAttribute.String("activation", "Clip"));
        node.SetAttribute(NodeAttribute.Floats("activation_params", [0f, 6f]));
        node.SetAttribute(NodeAttribute.Ints("output_perm", [1, 0]));
        var context = new KernelContext(node, 1, [Tensor.Create([2, 3], new float[] { -5, 1, 2, 3, 4, 5 }), Tensor.Create([2, 3], new float[] { 1, 1, 1, 1, 1, 10 })]);
        new FusedProducer().Execute(context);
        var y = (Tensor)context.Outputs[0]!;
        Assert.Equal(new[] { 3, 2 }, y.Shape);
        Assert.Equal(new float[] { 0, 4, 2, 5, 3, 6 }, y.As<float>());
    }

    [Fact]
    public void Recognized_activations_match_their_definitions()
    {
        Assert.Equal(0.8413447460685429, ActivationMath.Gelu(1, tanh: false), 12);
        Assert.Equal(-0.15880800939172324, ActivationMath.Gelu(-1, tanh: true), 12);
        Assert.Equal(0.9953222650189527, ActivationMath.Erf(2), 12);
        Assert.Equal(-0.9999779095030014, ActivationMath.Erf(-3), 12);
        Assert.Equal(2.0 / 3, ActivationMath.Apply("HardSwish", [], 1), 12);
        Assert.Equal(1 / (1 + Math.Exp(-1)), ActivationMath.Apply("Silu", [], 1), 12);
        Assert.True(OperatorRegistry.Default.TryGet(FusedActivation.Domain, "FusedConv", out _));
        Assert.True(OperatorRegistry.Default.TryGet(FusedActivation.Domain, "Silu", out _));
    }

    [Fact]
    public void Dump_folder_gets_text_and_onnx_after_every_pass_that_changed_the_graph()
    {
        var folder = Path.Combine(Path.GetTempPath(), "tessera-dump-" + Guid.NewGuid().ToString("N"));
        try
        {
            var t = new TestGraph();
            var x = t.Input("x", 1, 3, 8, 8);
            var conv = t.Node("Conv", [x, t.Constant("w", [4, 3, 3, 3], 5)], [1, 4, 6, 6]);
            t.Output(t.Node("Relu", [t.Node("Identity", [conv], [1, 4, 6, 6])], [1, 4, 6, 6]));
            GraphOptimizer.Optimize(t.Model, new OptimizationOptions { DumpFolder = folder });
            var files = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["00-input.onnx", "00-input.txt", "01-cleanup.onnx", "01-cleanup.txt", "02-fusion.onnx", "02-fusion.txt"], files);
            Assert.Contains("tessera.FusedConv", File.ReadAllText(Path.Combine(folder, "02-fusion.txt")));
            Assert.NotNull(Onnx.OnnxImporter.Load(Path.Combine(folder, "02-fusion.onnx")));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Input_shape_for_a_missing_input_is_a_user_error()
    {
        var t = new TestGraph();
        t.Output(t.Node("Relu", [t.Input("x", 2)], [2]));
        var e = Assert.Throws<InvalidInputException>(() => GraphOptimizer.Optimize(t.Model, new OptimizationOptions { InputShapes = new Dictionary<string, int[]> { ["y"] = [2] } }));
        Assert.Contains("no input 'y'", e.Message);
    }
}
