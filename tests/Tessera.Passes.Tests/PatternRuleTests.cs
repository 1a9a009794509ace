using Tessera.Core;

namespace Tessera.Passes.Tests;

public class PatternRuleTests
{
    [Fact]
    public void Decomposed_layer_norm_becomes_one_node()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 5, 8);
        var mean = t.Node("ReduceMean", [x], [2, 5, 1], "", NodeAttribute.Ints("axes", [-1]));
        var d = t.Node("Sub", [x, mean], [2, 5, 8]);
        var square = t.Node("Pow", [d, t.Scalar("two", 2)], [2, 5, 8]);
        var variance = t.Node("ReduceMean", [square], [2, 5, 1], "", NodeAttribute.Ints("axes", [-1]));
        var shifted = t.Node("Add", [variance, t.Scalar("eps", 1e-5f)], [2, 5, 1]);
        var deviation = t.Node("Sqrt", [shifted], [2, 5, 1]);
        var normalized = t.Node("Div", [d, deviation], [2, 5, 8]);
        var scaled = t.Node("Mul", [normalized, t.Constant("gamma", [8], 3)], [2, 5, 8]);
        t.Output(t.Node("Add", [scaled, t.Constant("beta", [8], 4)], [2, 5, 8]));
        var model = RuleHarness.Check(t, ["LayerNormalization"], new LayerNormFromDecomposedForm());
        Assert.Equal(1e-5f, (float)model.Graph.Nodes[0].Attribute("epsilon")!.Value);
    }

    [Fact]
    public void Reduction_over_another_axis_is_not_a_layer_norm()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 5, 8);
        var mean = t.Node("ReduceMean", [x], [2, 1, 8], "", NodeAttribute.Ints("axes", [1]));
        var d = t.Node("Sub", [x, mean], [2, 5, 8]);
        var square = t.Node("Pow", [d, t.Scalar("two", 2)], [2, 5, 8]);
        var variance = t.Node("ReduceMean", [square], [2, 1, 8], "", NodeAttribute.Ints("axes", [1]));
        var deviation = t.Node("Sqrt", [t.Node("Add", [variance, t.Scalar("eps", 1e-5f)], [2, 1, 8])], [2, 1, 8]);
        t.Output(t.Node("Div", [d, deviation], [2, 5, 8]));
        RuleHarness.Check(t, ["ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div"], new LayerNormFromDecomposedForm());
    }

    [Fact]
    public void Gelu_erf_form_is_recognized()
    {
        var t = new TestGraph();
        var x = t.Input("x", 3, 7);
        var scaled = t.Node("Div", [x, t.Scalar("sqrt2", (float)Math.Sqrt(2))], [3, 7]);
        var erf = t.Node("Erf", [scaled], [3, 7]);
        var onePlus = t.Node("Add", [erf, t.Scalar("one", 1)], [3, 7]);
        var product = t.Node("Mul", [x, onePlus], [3, 7]);
        t.Output(t.Node("Mul", [product, t.Scalar("half", 0.5f)], [3, 7]));
        RuleHarness.Check(t, ["tessera.Gelu"], new GeluFromDecomposedForm());
    }

    [Fact]
    public void Gelu_tanh_form_is_recognized()
    {
        var t = new TestGraph();
        var x = t.Input("x", 3, 7);
        var cube = t.Node("Pow", [x, t.Scalar("three", 3)], [3, 7]);
        var inner = t.Node("Add", [x, t.Node("Mul", [cube, t.Scalar("c", 0.044715f)], [3, 7])], [3, 7]);
        var tanh = t.Node("Tanh", [t.Node("Mul", [inner, t.Scalar("k", (float)Math.Sqrt(2 / Math.PI))], [3, 7])], [3, 7]);
        var onePlus = t.Node("Add", [tanh, t.Scalar("one", 1)], [3, 7]);
        var half = t.Node("Mul", [x, t.Scalar("half", 0.5f)], [3, 7]);
        t.Output(t.Node("Mul", [half, onePlus], [3, 7]));
        RuleHarness.Check(t, ["tessera.Gelu"], m => Assert.Equal("tanh", m.Graph.Nodes[0].Attribute("approximate")!.Value), new GeluFromDecomposedForm());
    }

    [Fact]
    public void Paddle_hard_swish_becomes_one_node()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 9);
        var clip = t.Node("Clip", [t.Node("Add", [x, t.Scalar("three", 3)], [2, 9]), t.Scalar("zero", 0), t.Scalar("six", 6)], [2, 9]);
        var product = t.Node("Mul", [x, clip], [2, 9]);
        t.Output(t.Node("Div", [product, t.Scalar("six_again", 6)], [2, 9]));
        RuleHarness.Check(t, ["tessera.HardSwish"], new ClipFormToHardSwish());
    }

    [Fact]
    public void Hard_swish_is_standard_from_opset_14()
    {
        var t = new TestGraph(opset: 14);
        var x = t.Input("x", 2, 9);
        var gate = t.Node("HardSigmoid", [x], [2, 9], "", NodeAttribute.Float("alpha", 1f / 6), NodeAttribute.Float("beta", 0.5f));
        t.Output(t.Node("Mul", [gate, x], [2, 9]));
        RuleHarness.Check(t, ["HardSwish"], new HardSigmoidMulToHardSwish());
    }

    [Fact]
    public void Hard_sigmoid_gate_of_another_value_is_left_alone()
    {
        var t = new TestGraph(opset: 14);
        var x = t.Input("x", 2, 9);
        var y = t.Input("y", 2, 9);
        var gate = t.Node("HardSigmoid", [y], [2, 9], "", NodeAttribute.Float("alpha", 1f / 6), NodeAttribute.Float("beta", 0.5f));
        t.Output(t.Node("Mul", [gate, x], [2, 9]));
        RuleHarness.Check(t, ["HardSigmoid", "Mul"], new HardSigmoidMulToHardSwish());
    }

    [Fact]
    public void Sigmoid_times_input_is_silu()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 9);
        t.Output(t.Node("Mul", [x, t.Node("Sigmoid", [x], [2, 9])], [2, 9]));
        RuleHarness.Check(t, ["tessera.Silu"], new SigmoidMulToSilu());
    }
}
