using System.Globalization;
using System.Text;
using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Merges nodes that compute the same thing: same op, same attributes, same inputs (after equal
/// small constants have been merged too). Nodes with subgraphs are left alone.</summary>
public sealed class CommonSubexpressionElimination : IGraphPass
{
    /// <summary>Constants up to this many elements are compared by content and merged when equal.</summary>
    public const int MaxMergedConstantElements = 1024;

    public string Name => "common-subexpressions";

    public int Run(Model model, OptimizationOptions options, OptimizationStatistics statistics) => RunGraph(model.Graph, statistics);

    private static int RunGraph(Graph graph, OptimizationStatistics statistics)
    {
        int merged = 0;
        foreach (var node in graph.Nodes) foreach (var subgraph in node.Subgraphs()) merged += RunGraph(subgraph, statistics);
        merged += MergeConstants(graph, statistics);
        var ids = new Dictionary<Value, int>();
        int Id(Value v)
        {
            if (!ids.TryGetValue(v, out var id)) ids[v] = id = ids.Count;
            return id;
        }
        var seen = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Subgraphs().Any() || node.Inputs.Count == 0 || node.Outputs.Any(o => o is null)) continue;
            var key = Key(node, Id);
            if (key is null) continue;
            if (!seen.TryGetValue(key, out var first))
            {
                seen[key] = node;
                continue;
            }
            for (int i = 0; i < node.Outputs.Count; i++) GraphEditing.ReplaceValue(graph, node.Outputs[i]!, first.Outputs[i]!);
            statistics.Count("CommonSubexpression");
            merged++;
        }
        if (merged > 0) GraphEditing.RemoveDeadNodes(graph);
        return merged;
    }

    private static string? Key(Node node, Func<Value, int> id)
    {
        var sb = new StringBuilder();
        sb.Append(node.Domain).Append('.').Append(node.OpType).Append('(');
        foreach (var input in node.Inputs) sb.Append(input is null ? "_" : id(input).ToString(CultureInfo.InvariantCulture)).Append(',');
        sb.Append(')');
        foreach (var attribute in node.Attributes.Values.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            if (attribute.Value is Tensor or Tensor[] or Graph or Graph[]) return null;
            sb.Append(attribute.Name).Append('=').Append(attribute).Append(';');
        }
        sb.Append('#').Append(node.Outputs.Count);
        return sb.ToString();
    }

    private static int MergeConstants(Graph graph, OptimizationStatistics statistics)
    {
        int merged = 0;
        var byContent = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var value in graph.Initializers.Values.ToList())
        {
            var tensor = value.Constant!;
            if (tensor.Length > MaxMergedConstantElements || graph.Inputs.Contains(value) || graph.Outputs.Contains(value)) continue;
            var key = ContentKey(tensor);
            if (!byContent.TryGetValue(key, out var first))
            {
                byContent[key] = value;
                continue;
            }
            graph.ReplaceAllUses(value, first);
            graph.Initializers.Remove(value.Name);
            statistics.Count("DuplicateConstant");
            merged++;
        }
        return merged;
    }

    /// <summary>Element type, shape and exact contents (floats by bit pattern, so -0 and NaN stay distinct).</summary>
    public static string ContentKey(Tensor tensor)
    {
        var sb = new StringBuilder();
        sb.Append((int)tensor.DataType).Append(ShapeMath.Format(tensor.Shape)).Append(':');
        for (int i = 0; i < tensor.Length; i++)
        {
            var element = tensor.Data.GetValue(i);
            sb.Append(element switch
            {
                float f => BitConverter.SingleToInt32Bits(f).ToString(CultureInfo.InvariantCulture),
                double d => BitConverter.DoubleToInt64Bits(d).ToString(CultureInfo.InvariantCulture),
                Half h => BitConverter.HalfToInt16Bits(h).ToString(CultureInfo.InvariantCulture),
                IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
                _ => element?.ToString(),
            }).Append(',');
        }
        return sb.ToString();
    }
}
