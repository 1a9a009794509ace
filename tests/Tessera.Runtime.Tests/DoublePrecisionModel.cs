using Tessera.Core;

namespace Tessera.Runtime.Tests;

/// <summary>Rewrites a float32 model to float64 throughout (initializers, Constant and ConstantOfShape
/// values, Cast targets, declared types, subgraphs included), so the reference kernels evaluate it in double.
/// Used as the precise answer when two float32 engines disagree by more than a summation-order difference
/// should allow: whichever is closer to the float64 result is the better float32 evaluation.</summary>
internal static class DoublePrecisionModel
{
    public static Model Promote(Model model)
    {
        Promote(model.Graph);
        return model;
    }

    public static Tensor Promote(Tensor tensor) =>
        tensor.DataType == DataType.Float32 ? Tensor.FromDoubles(DataType.Float64, tensor.Shape, tensor.ToDoubleArray()) : tensor;

    private static void Promote(Graph graph)
    {
        foreach (var value in graph.AllValues().Concat(graph.Initializers.Values).Concat(graph.ValueInfo).Distinct())
        {
            if (value.Type is TensorType { ElementType: DataType.Float32 } type) value.Type = type with { ElementType = DataType.Float64 };
            if (value.Constant is { } constant) value.Constant = Promote(constant);
        }
        foreach (var node in graph.Nodes)
        {
            foreach (var attribute in node.Attributes.Values.ToList())
            {
                if (attribute.Value is Tensor tensor) node.SetAttribute(NodeAttribute.FromTensor(attribute.Name, Promote(tensor)));
            }
            if (node.OpType == "Cast" && node.Attribute("to")?.Value is long to && to == (long)DataType.Float32)
            {
                node.SetAttribute(NodeAttribute.Int("to", (long)DataType.Float64));
            }
            foreach (var subgraph in node.Subgraphs()) Promote(subgraph);
        }
    }
}
