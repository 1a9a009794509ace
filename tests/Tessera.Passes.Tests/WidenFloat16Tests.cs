using Tessera.Core;

namespace Tessera.Passes.Tests;

/// <summary>WidenFloat16: a float16 graph of agnostic operators gets float32 weights and activations between one
/// Cast in and one Cast out; a graph with an operator outside that set (here a Cast) is left exactly as it was.</summary>
public sealed class WidenFloat16Tests
{
    private static Model AddModel(bool withInnerCast)
    {
        var graph = new Graph { Name = "half" };
        var x = new Value("x", new TensorType(DataType.Float16, TensorShape.FromConcrete([1, 4])));
        var y = new Value("y", new TensorType(DataType.Float16, TensorShape.FromConcrete([1, 4])));
        graph.Inputs.Add(x);
        graph.Outputs.Add(y);
        var w = graph.AddInitializer("w", Tensor.Create([1, 4], new[] { (Half)0.5f, (Half)1.5f, (Half)(-2f), (Half)0.1f }));
        if (withInnerCast)
        {
            var sum = new Value("sum", new TensorType(DataType.Float16, TensorShape.FromConcrete([1, 4])));
            graph.AddNode("Add", [x, w], [sum]);
            graph.AddNode("Cast", [sum], [y]).SetAttribute(NodeAttribute.Int("to", (long)DataType.Float16));
        }
        else
        {
            graph.AddNode("Add", [x, w], [y]);
        }
        return new Model(graph);
    }

    [Fact]
    public void A_float16_graph_runs_in_float32_between_two_casts()
    {
        var model = AddModel(withInnerCast: false);
        Assert.True(WidenFloat16.Apply(model));
        var nodes = model.Graph.Nodes;
        Assert.Equal(["Cast", "Add", "Cast"], nodes.Select(n => n.OpType));
        Assert.Equal((long)DataType.Float32, nodes[0].Attributes["to"].Value);
        Assert.Equal((long)DataType.Float16, nodes[2].Attributes["to"].Value);
        var weight = model.Graph.Initializers["w"].Constant!;
        Assert.Equal(DataType.Float32, weight.DataType);
        Assert.Equal([0.5f, 1.5f, -2f, (float)(Half)0.1f], weight.ToFloatArray());
        Assert.Equal(DataType.Float32, nodes[1].Outputs[0]!.TensorType!.ElementType);
        Assert.Equal(DataType.Float16, model.Graph.Inputs[0].TensorType!.ElementType);
        Assert.Same(model.Graph.Outputs[0], nodes[2].Outputs[0]);
    }

    [Fact]
    public void A_graph_with_an_operator_outside_the_agnostic_set_is_left_alone()
    {
        var model = AddModel(withInnerCast: true);
        Assert.False(WidenFloat16.Apply(model));
        Assert.Equal(["Add", "Cast"], model.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal(DataType.Float16, model.Graph.Initializers["w"].Constant!.DataType);
    }
}
