using Tessera.Core;

namespace Tessera.Passes.Tests;

public class CleanupRuleTests
{
    [Fact]
    public void Constant_node_becomes_an_initializer()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 3);
        var c = t.Node("Constant", [], [2, 3], "", NodeAttribute.FromTensor("value", Tensor.Create([2, 3], new float[] { 1, 2, 3, 4, 5, 6 })));
        t.Output(t.Node("Add", [x, c], [2, 3]));
        var model = RuleHarness.Check(t, ["Add"], new ConstantNodeToInitializer());
        Assert.Single(model.Graph.Initializers);
    }

    [Fact]
    public void Identity_and_dropout_are_removed_but_output_names_stay()
    {
        var t = new TestGraph();
        var x = t.Input("x", 4);
        var relu = t.Node("Relu", [x], [4]);
        var identity = t.Node("Identity", [relu], [4]);
        var dropout = t.Node("Dropout", [identity], [4]);
        t.Output(dropout);
        var model = RuleHarness.Check(t, ["Relu"], new RemoveIdentity(), new RemoveDropout());
        Assert.Equal("dropout_2", model.Graph.Outputs[0].Name);
    }

    [Fact]
    public void Identity_from_input_to_output_is_kept()
    {
        var t = new TestGraph();
        var x = t.Input("x", 4);
        t.Output(t.Node("Identity", [x], [4]));
        RuleHarness.Check(t, ["Identity"], new RemoveIdentity());
    }

    [Fact]
    public void Cast_to_own_type_and_reshape_to_own_shape_are_removed()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 3);
        var cast = t.Node("Cast", [x], [2, 3], "", NodeAttribute.Int("to", (long)DataType.Float32));
        var reshape = t.Node("Reshape", [cast, t.Constant("shape", Tensor.Create([2], new long[] { 2, -1 }))], null);
        var real = t.Node("Reshape", [reshape, t.Constant("shape2", Tensor.Create([1], new long[] { 6 }))], null);
        t.Output(t.Node("Relu", [real], [6]));
        RuleHarness.Check(t, ["Reshape", "Relu"], new RemoveNoOpCastOrReshape());
    }

    [Fact]
    public void Shape_gather_concat_reshape_chain_folds_once_shapes_are_known()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 3, 4);
        var shape = t.Node("Shape", [x], null);
        var first = t.Node("Gather", [shape, t.Constant("zero", Tensor.Scalar(0L))], null, "", NodeAttribute.Int("axis", 0));
        var batch = t.Node("Unsqueeze", [first, t.Constant("axes", Tensor.Create([1], new long[] { 0 }))], null);
        var target = t.Node("Concat", [batch, t.Constant("rest", Tensor.Create([1], new long[] { -1 }))], null, "", NodeAttribute.Int("axis", 0));
        t.Output(t.Node("Reshape", [x, target], [2, 12]));
        var model = RuleHarness.Check(t, ["Reshape"], new FoldConstants());
        Assert.Equal(new long[] { 2, -1 }, model.Graph.Nodes[0].Input(1)!.Constant!.ToInt64Array());
    }

    [Fact]
    public void Arithmetic_on_constants_folds_with_the_reference_kernel()
    {
        var t = new TestGraph();
        var x = t.Input("x", 3);
        var sum = t.Node("Add", [t.Constant("a", [3], 1), t.Constant("b", [3], 2)], [3]);
        t.Output(t.Node("Mul", [x, sum], [3]));
        RuleHarness.Check(t, ["Mul"], new FoldConstants());
    }

    [Fact]
    public void Dead_nodes_and_unused_constants_are_removed()
    {
        var t = new TestGraph();
        var x = t.Input("x", 3);
        t.Node("Add", [x, t.Constant("unused", [3], 1)], [3]);
        t.Output(t.Node("Relu", [x], [3]));
        var model = RuleHarness.Check(t, ["Relu"], new DeadCodeElimination());
        Assert.Empty(model.Graph.Initializers);
    }

    [Fact]
    public void Common_subexpressions_and_equal_constants_merge()
    {
        var t = new TestGraph();
        var x = t.Input("x", 3);
        var a = t.Node("Add", [x, t.Scalar("one", 1)], [3]);
        var b = t.Node("Add", [x, t.Scalar("one_again", 1)], [3]);
        t.Output(t.Node("Mul", [a, b], [3]));
        var model = RuleHarness.Check(t, ["Add", "Mul"], new CommonSubexpressionElimination());
        Assert.Single(model.Graph.Initializers);
    }
}

public class NeutralArithmeticTests
{
    [Fact]
    public void Multiplying_by_one_and_adding_zero_are_removed()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 3);
        var scaled = t.Node("Mul", [t.Scalar("one", 1), x], [2, 3]);
        var shifted = t.Node("Add", [scaled, t.Constant("zero", Tensor.Create([1, 1], new float[] { 0 }))], [2, 3]);
        t.Output(t.Node("Mul", [x, t.Node("Sigmoid", [shifted], [2, 3])], [2, 3]));
        RuleHarness.Check(t, ["tessera.Silu"], new RemoveNeutralArithmetic(), new SigmoidMulToSilu());
    }

    [Fact]
    public void Adding_zero_that_broadcasts_to_a_higher_rank_is_kept()
    {
        var t = new TestGraph();
        var x = t.Input("x", 3);
        t.Output(t.Node("Add", [x, t.Constant("zero", Tensor.Create([1, 1], new float[] { 0 }))], [1, 3]));
        RuleHarness.Check(t, ["Add"], new RemoveNeutralArithmetic());
    }

    [Fact]
    public void Large_constant_of_shape_is_not_materialized()
    {
        var t = new TestGraph();
        var x = t.Input("x", 1, 4, 64, 64);
        var zeros = t.Node("ConstantOfShape", [t.Constant("shape", Tensor.Create([4], new long[] { 1, 4, 64, 64 }))], [1, 4, 64, 64]);
        t.Output(t.Node("Concat", [x, zeros], [1, 8, 64, 64], "", NodeAttribute.Int("axis", 1)));
        RuleHarness.Check(t, ["ConstantOfShape", "Concat"], new FoldConstants());
    }
}

public class ControlFlowTests
{
    [Fact]
    public void If_on_a_constant_input_is_replaced_by_the_branch_it_takes()
    {
        var t = new TestGraph();
        var x = t.Input("x", 2, 3);
        var rate = new Value("sr", new TensorType(DataType.Int64, new TensorShape()));
        t.Graph.Inputs.Add(rate);
        var condition = t.Node("Equal", [rate, t.Constant("rate16k", Tensor.Scalar(16000L))], []);
        var thenBranch = new Graph { Name = "then" };
        var doubled = new Value("doubled", new TensorType(DataType.Float32, new TensorShape(2, 3)));
        thenBranch.Nodes.Add(new Node("Add", [x, x], [doubled]));
        thenBranch.Outputs.Add(doubled);
        var elseBranch = new Graph { Name = "else" };
        var negated = new Value("negated", new TensorType(DataType.Float32, new TensorShape(2, 3)));
        elseBranch.Nodes.Add(new Node("Neg", [x], [negated]));
        elseBranch.Outputs.Add(negated);
        var result = new Value("result", new TensorType(DataType.Float32, new TensorShape(2, 3)));
        var ifNode = t.Graph.AddNode("If", [condition], [result]);
        ifNode.SetAttribute(NodeAttribute.FromGraph("then_branch", thenBranch));
        ifNode.SetAttribute(NodeAttribute.FromGraph("else_branch", elseBranch));
        t.Output(t.Node("Relu", [result], [2, 3]));
        GraphOptimizer.BindConstantInputs(t.Model, new Dictionary<string, Tensor> { ["sr"] = Tensor.Scalar(16000L) });
        Assert.DoesNotContain(rate, t.Graph.Inputs);
        RuleHarness.Check(t, ["Add", "Relu"], new FoldConstants(), new InlineConstantIf());
    }
}
