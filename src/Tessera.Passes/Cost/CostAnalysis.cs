using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Cost of one node: work, parameters and the bytes it reads and writes.</summary>
public sealed record LayerCost(
    string Name,
    string OpType,
    long Macs,
    long Operations,
    long Parameters,
    long InputBytes,
    long OutputBytes,
    long WeightBytes,
    bool ShapesKnown)
{
    public long TotalBytes => InputBytes + OutputBytes + WeightBytes;

    /// <summary>MACs per byte moved (inputs, outputs and weights once each): high means compute bound.</summary>
    public double ArithmeticIntensity => TotalBytes == 0 ? 0 : (double)Macs / TotalBytes;
}

/// <summary>Per-layer costs of a model with totals. Shapes come from the IR's value types (run type
/// inference with concrete input shapes first, as <see cref="Analyze(Model, IReadOnlyDictionary{string, int[]}?)"/> does).</summary>
public sealed class CostReport(IReadOnlyList<LayerCost> layers)
{
    public IReadOnlyList<LayerCost> Layers { get; } = layers;

    public long Macs => Layers.Sum(l => l.Macs);

    public long Operations => Layers.Sum(l => l.Operations);

    public long Parameters => Layers.Sum(l => l.Parameters);

    public long ParameterBytes { get; init; }

    public long InputBytes => Layers.Sum(l => l.InputBytes);

    public long OutputBytes => Layers.Sum(l => l.OutputBytes);

    public long WeightBytes => Layers.Sum(l => l.WeightBytes);

    /// <summary>Nodes whose work could not be counted because a shape is unknown.</summary>
    public int UnknownLayers => Layers.Count(l => !l.ShapesKnown);

    public double ArithmeticIntensity => InputBytes + OutputBytes + WeightBytes == 0 ? 0 : (double)Macs / (InputBytes + OutputBytes + WeightBytes);
}

public static class CostAnalysis
{
    /// <summary>Infers types (binding <paramref name="inputShapes"/>) and counts every node of the model,
    /// subgraph bodies included once.</summary>
    public static CostReport Analyze(Model model, IReadOnlyDictionary<string, int[]>? inputShapes = null)
    {
        ShapeSource.Infer(model, inputShapes);
        return Count(model);
    }

    /// <summary>Counts with the value types already in the IR.</summary>
    public static CostReport Count(Model model)
    {
        var layers = new List<LayerCost>();
        foreach (var node in model.AllNodes()) layers.Add(Layer(node));
        var constants = new HashSet<Value>();
        Collect(model.Graph, constants);
        // Constant nodes hold weights too in many exported models (Paddle, PyTorch); count them alike.
        long constantNodeBytes = model.AllNodes().Where(n => n.OpType == "Constant" && n.Domain.Length == 0)
            .Sum(n => n.Attributes.Values.FirstOrDefault()?.Value is Tensor t ? Bytes(t) : 0);
        return new CostReport(layers) { ParameterBytes = constants.Sum(c => Bytes(c.Constant!)) + constantNodeBytes };
    }

    private static void Collect(Graph graph, HashSet<Value> constants)
    {
        foreach (var v in graph.Initializers.Values) constants.Add(v);
        foreach (var n in graph.Nodes) foreach (var sg in n.Subgraphs()) Collect(sg, constants);
    }

    public static LayerCost Layer(Node node)
    {
        var work = CostTable.Work(node, RuleContext.Shape);
        long parameters = 0, weightBytes = 0, inputBytes = 0, outputBytes = 0;
        foreach (var input in node.Inputs.Where(i => i is not null).Distinct())
        {
            if (input!.Constant is { } c)
            {
                parameters += c.Length;
                weightBytes += Bytes(c);
            }
            else
            {
                inputBytes += Bytes(input);
            }
        }
        foreach (var output in node.Outputs) if (output is not null) outputBytes += Bytes(output);
        var name = string.IsNullOrEmpty(node.Name) ? node.Outputs.FirstOrDefault(o => o is not null)?.Name ?? node.OpType : node.Name;
        var op = node.Domain.Length == 0 ? node.OpType : node.Domain + "." + node.OpType;
        return new LayerCost(name, op, work?.Macs ?? 0, work?.Operations ?? 0, parameters, inputBytes, outputBytes, weightBytes, work is not null);
    }

    public static long Bytes(Tensor t) => t.DataType == DataType.String ? 0 : (long)t.Length * DataTypes.SizeOf(t.DataType);

    private static long Bytes(Value v)
    {
        if (RuleContext.Shape(v) is not { } shape || RuleContext.ElementType(v) is not { } type || type is DataType.String or DataType.Undefined) return 0;
        return ShapeMath.ElementCount(shape) * DataTypes.SizeOf(type);
    }
}
