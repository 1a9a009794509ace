using Tessera.Core;

namespace Tessera.Quantization;

/// <summary>Turns a float16 model (SqueezeNet 1.1's Windows ML export) into the same model in float32 before
/// quantizing: float16 initializers are widened exactly, float16 inputs, outputs and intermediate types become
/// float32, and Cast to float16 becomes Cast to float32. The quantizer's observers and QDQ rewrite work on
/// float32; the QDQ model then takes and gives float32 (float16 data is cast on the way in by the feeder).</summary>
public static class Float16Widening
{
    /// <summary>Widens <paramref name="model"/>'s main graph in place; returns how many tensors changed type.</summary>
    public static int Run(Model model)
    {
        var graph = model.Graph;
        int changed = 0;
        foreach (var value in graph.AllValues().Concat(graph.Inputs).Concat(graph.Outputs).Concat(graph.ValueInfo).Distinct().ToList())
        {
            if (value.Constant is { DataType: DataType.Float16 } constant)
            {
                value.Constant = constant.CastTo(DataType.Float32);
                changed++;
            }
            if (value.TensorType is { ElementType: DataType.Float16 } type)
            {
                value.Type = type with { ElementType = DataType.Float32 };
                if (value.Constant is null) changed++;
            }
        }
        foreach (var node in graph.Nodes)
        {
            if (node.OpType == "Cast" && node.Attribute("to")?.Value is long to && to == (long)DataType.Float16) node.SetAttribute(NodeAttribute.Int("to", (long)DataType.Float32));
            if (node.Subgraphs().Any(s => s.AllValues().Any(v => v.TensorType?.ElementType == DataType.Float16 || v.Constant?.DataType == DataType.Float16)))
            {
                throw new UnsupportedException($"node '{node.Name}' has float16 values inside a subgraph", "quantize", "convert the model to float32 before quantizing");
            }
        }
        return changed;
    }
}
