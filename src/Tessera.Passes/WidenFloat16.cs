using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Runs a float16 model in float32 (<see cref="OptimizationOptions.ComputeFloat16InFloat32"/>, set for
/// the cpu backend): float16 weights become float32 once, every float16 activation becomes float32, a Cast
/// widens each float16 graph input at the start and a Cast rounds each float16 graph output at the end. Inside,
/// values are no longer rounded to float16 after every node (ONNX Runtime's x86 kernels do the same: it casts
/// around float16 nodes and removes the casts between them). Applies only to graphs made of element-type-agnostic
/// float operators (a Cast, a type attribute or a subgraph would need its own rule), otherwise changes nothing.</summary>
public static class WidenFloat16
{
    private static readonly HashSet<string> Agnostic = new(StringComparer.Ordinal)
    {
        "Conv", "FusedConv", "ConvTranspose", "FusedConvTranspose", "MatMul", "Gemm", "FusedGemm", "FusedMatMul",
        "Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish", "Silu", "Clip", "Elu", "Softplus",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Softmax", "LogSoftmax",
        "Add", "Sub", "Mul", "Div", "Concat", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
        "Identity", "Dropout", "BatchNormalization", "Resize", "Upsample", "Slice", "Split", "Pad", "Shape", "Gather",
        "ReduceMean", "ReduceMax", "ReduceSum", "LayerNormalization",
    };

    /// <summary>Widens <paramref name="model"/> in place; false (and nothing changed) when it has no float16
    /// values or an operator outside the element-type-agnostic set.</summary>
    public static bool Apply(Model model)
    {
        var graph = model.Graph;
        bool IsHalf(Value v) => v.TensorType?.ElementType == DataType.Float16 || v.Constant?.DataType == DataType.Float16;
        var values = graph.AllValues().ToList();
        if (!values.Any(IsHalf)) return false;
        if (graph.Nodes.Any(n => !Agnostic.Contains(n.OpType) || n.Subgraphs().Any())) return false;
        // A graph input read directly as a graph output keeps its type: leave such models alone.
        if (graph.Inputs.Any(i => IsHalf(i) && graph.Outputs.Contains(i))) return false;
        // Weights listed as graph inputs too (IR 3 models such as SqueezeNet) are widened like any weight.
        var boundary = new HashSet<Value>(graph.Inputs.Where(i => i.Constant is null).Concat(graph.Outputs));
        foreach (var value in values)
        {
            if (boundary.Contains(value) || !IsHalf(value)) continue;
            if (value.Constant is { DataType: DataType.Float16 } half) value.Constant = Widen(half);
            value.Type = new TensorType(DataType.Float32, value.TensorType?.Shape);
        }
        var prologue = new List<Node>();
        foreach (var input in graph.Inputs.Where(i => i.Constant is null && IsHalf(i)).ToList())
        {
            var wide = new Value(input.Name + "_float32", new TensorType(DataType.Float32, input.TensorType?.Shape));
            graph.ReplaceAllUses(input, wide);
            var cast = new Node("Cast", [input], [wide], "", input.Name + "_to_float32");
            cast.SetAttribute(NodeAttribute.Int("to", (long)DataType.Float32));
            prologue.Add(cast);
        }
        graph.Nodes.InsertRange(0, prologue);
        foreach (var output in graph.Outputs.Where(IsHalf).ToList())
        {
            var wide = new Value(output.Name + "_float32", new TensorType(DataType.Float32, output.TensorType?.Shape));
            foreach (var producer in graph.Nodes.Where(n => n.Outputs.Contains(output)))
            {
                for (int i = 0; i < producer.Outputs.Count; i++) if (producer.Outputs[i] == output) producer.SetOutput(i, wide);
            }
            foreach (var consumer in graph.Nodes)
            {
                for (int i = 0; i < consumer.Inputs.Count; i++) if (consumer.Inputs[i] == output) consumer.SetInput(i, wide);
            }
            var cast = graph.AddNode("Cast", [wide], [output], "", output.Name + "_to_float16");
            cast.SetAttribute(NodeAttribute.Int("to", (long)DataType.Float16));
        }
        graph.SortTopologically();
        return true;
    }

    private static Tensor Widen(Tensor half)
    {
        var source = half.As<Half>();
        var result = new float[source.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)source[i];
        return Tensor.Create(half.Shape.ToArray(), result);
    }
}
