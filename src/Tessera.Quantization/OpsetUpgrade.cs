using Tessera.Core;

namespace Tessera.Quantization;

/// <summary>Raises a model's default-domain opset to 13, the first with per-axis QuantizeLinear and
/// DequantizeLinear, rewriting the ops whose form changed on the way (attributes that became inputs,
/// Softmax's axis semantics). Ops it cannot carry over are reported as unsupported, never guessed.</summary>
public static class OpsetUpgrade
{
    public const long Target = 13;

    public static void Run(Model model)
    {
        long from = model.OpsetOf(string.Empty);
        if (from >= Target) return;
        foreach (var node in model.AllNodes().Where(n => n.Domain.Length == 0).ToList()) Upgrade(model, node, from);
        model.Opsets[string.Empty] = Target;
        if (model.IrVersion < 7) model.IrVersion = 7;
    }

    private static Value Constant(Model model, Node node, string suffix, Tensor tensor)
    {
        var name = $"{node.Outputs.FirstOrDefault()?.Name ?? node.OpType}_{suffix}";
        for (int i = 1; model.Graph.Initializers.ContainsKey(name); i++) name = $"{node.Outputs.FirstOrDefault()?.Name}_{suffix}_{i}";
        return model.Graph.AddInitializer(name, tensor);
    }

    private static Tensor Longs(long[] values) => Tensor.Create([values.Length], values);

    private static void MoveToInput(Model model, Node node, string attribute, int index)
    {
        if (node.Attribute(attribute)?.Value is not long[] values) return;
        node.Attributes.Remove(attribute);
        while (node.Inputs.Count < index) node.AddInput(null);
        var value = Constant(model, node, attribute, Longs(values));
        if (node.Inputs.Count == index) node.AddInput(value);
        else node.SetInput(index, value);
    }

    private static void Upgrade(Model model, Node node, long from)
    {
        switch (node.OpType)
        {
            case "Squeeze" or "Unsqueeze" or "ReduceSum":
                MoveToInput(model, node, "axes", 1);
                break;
            case "Split":
                MoveToInput(model, node, "split", 1);
                break;
            case "Softmax" or "LogSoftmax" or "Hardmax":
                UpgradeSoftmax(node);
                break;
            case "Clip" when from < 11:
            {
                float min = node.Attribute("min")?.Value is float lo ? lo : float.MinValue;
                float max = node.Attribute("max")?.Value is float hi ? hi : float.MaxValue;
                node.Attributes.Remove("min");
                node.Attributes.Remove("max");
                node.AddInput(Constant(model, node, "min", Tensor.Scalar(min)));
                node.AddInput(Constant(model, node, "max", Tensor.Scalar(max)));
                break;
            }
            case "Slice" when from < 10:
            {
                var starts = node.Attribute("starts")?.Value as long[] ?? [];
                var ends = node.Attribute("ends")?.Value as long[] ?? [];
                var axes = node.Attribute("axes")?.Value as long[] ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                foreach (var a in new[] { "starts", "ends", "axes" }) node.Attributes.Remove(a);
                node.AddInput(Constant(model, node, "starts", Longs(starts)));
                node.AddInput(Constant(model, node, "ends", Longs(ends)));
                node.AddInput(Constant(model, node, "axes", Longs(axes)));
                break;
            }
            case "Pad" when from < 11:
            {
                var pads = node.Attribute("pads")?.Value as long[] ?? [];
                float value = node.Attribute("value")?.Value is float v ? v : 0f;
                node.Attributes.Remove("pads");
                node.Attributes.Remove("value");
                node.AddInput(Constant(model, node, "pads", Longs(pads)));
                node.AddInput(Constant(model, node, "value", Tensor.Scalar(value)));
                break;
            }
            case "Dropout":
                node.Attributes.Remove("ratio");
                node.Attributes.Remove("is_test");
                break;
            case "Upsample" or "Scatter":
                throw Unsupported(node, from);
            case "Resize" when from < 11:
                throw Unsupported(node, from);
            case "TopK" when from < 10:
                throw Unsupported(node, from);
            case "BatchNormalization" when from < 9:
                throw Unsupported(node, from);
        }
    }

    /// <summary>Before opset 13 Softmax flattened the input to 2-D at axis; from 13 it normalizes along axis
    /// only. The two agree when every dimension after axis is 1 or axis is the last one.</summary>
    private static void UpgradeSoftmax(Node node)
    {
        long axis = node.Attribute("axis")?.Value is long a ? a : 1;
        var shape = node.Input(0)?.TensorType?.Shape;
        if (shape is null) throw new UnsupportedException($"cannot upgrade {node.OpType} to opset {Target}: the input's rank is unknown", node.DisplayName);
        if (axis < 0) axis += shape.Rank;
        bool sameResult = axis == shape.Rank - 1 || shape.Dims.Skip((int)axis + 1).All(d => d.IsKnown && d.Value == 1);
        if (!sameResult) throw new UnsupportedException($"cannot upgrade {node.OpType} over {shape} at axis {axis} to opset {Target}: the flattening semantics differ", node.DisplayName);
        node.SetAttribute(NodeAttribute.Int("axis", axis));
    }

    private static UnsupportedException Unsupported(Node node, long from) =>
        new($"cannot upgrade {node.OpType} from opset {from} to {Target} for QDQ", node.DisplayName, "export the model with opset 13 or later");
}
