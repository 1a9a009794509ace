using System.Text;

namespace Tessera.Core;

/// <summary>A readable text form of a model, one node a line, for dumps after each pass and for diffs:
/// <c>%out: float32[1,8] = Conv(%x, %w) {strides=[1,1]}</c>.</summary>
public static class GraphText
{
    public static string Format(Model model)
    {
        var sb = new StringBuilder();
        sb.Append("# opsets: ").AppendJoin(", ", model.Opsets.Select(kv => $"{(kv.Key.Length == 0 ? "ai.onnx" : kv.Key)}:{kv.Value}")).AppendLine();
        Append(sb, model.Graph, 0);
        return sb.ToString();
    }

    public static string Format(Graph graph)
    {
        var sb = new StringBuilder();
        Append(sb, graph, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, Graph graph, int depth)
    {
        var pad = new string(' ', depth * 2);
        sb.Append(pad).Append("graph ").Append(graph.Name).Append('(')
          .AppendJoin(", ", graph.Inputs.Where(v => v.Constant is null).Select(v => $"%{v.Name}: {v.Type?.ToString() ?? "?"}"))
          .AppendLine(") {");
        foreach (var init in graph.Initializers.Values)
        {
            sb.Append(pad).Append("  const %").Append(init.Name).Append(": ").Append(init.Type).AppendLine();
        }
        foreach (var node in graph.Nodes)
        {
            sb.Append(pad).Append("  ");
            sb.AppendJoin(", ", node.Outputs.Select(o => o is null ? "_" : $"%{o.Name}" + (o.Type is null ? string.Empty : $": {o.Type}")));
            sb.Append(" = ");
            if (node.Domain.Length > 0) sb.Append(node.Domain).Append('.');
            sb.Append(node.OpType).Append('(').AppendJoin(", ", node.Inputs.Select(i => i is null ? "_" : "%" + i.Name)).Append(')');
            var plain = node.Attributes.Values.Where(a => a.Value is not Graph and not Graph[]).ToList();
            if (plain.Count > 0) sb.Append(" {").AppendJoin(", ", plain.Select(a => $"{a.Name}={Short(a)}")).Append('}');
            sb.AppendLine();
            foreach (var a in node.Attributes.Values)
            {
                if (a.Value is Graph g)
                {
                    sb.Append(pad).Append("    ").Append(a.Name).AppendLine(":");
                    Append(sb, g, depth + 3);
                }
                else if (a.Value is Graph[] gs)
                {
                    foreach (var sg in gs)
                    {
                        sb.Append(pad).Append("    ").Append(a.Name).AppendLine(":");
                        Append(sb, sg, depth + 3);
                    }
                }
            }
        }
        sb.Append(pad).Append("  return ").AppendJoin(", ", graph.Outputs.Select(o => "%" + o.Name)).AppendLine();
        sb.Append(pad).AppendLine("}");
    }

    private static string Short(NodeAttribute a) => a.Value is Tensor t ? t.ToString() : a.ToString();
}
