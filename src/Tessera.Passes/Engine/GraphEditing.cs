using Tessera.Core;

namespace Tessera.Passes;

/// <summary>The graph edits every pass shares: applying a <see cref="Rewrite"/>, replacing a value while
/// keeping graph output names stable, and removing nodes and constants nothing reads.</summary>
public static class GraphEditing
{
    public static void Apply(Graph graph, Node root, Rewrite rewrite)
    {
        int index = graph.Nodes.IndexOf(root);
        graph.Nodes.InsertRange(index < 0 ? graph.Nodes.Count : index, rewrite.NewNodes);
        foreach (var (old, replacement) in rewrite.Replacements)
        {
            // A value the rule just created takes over the replaced value's name, so dumps before and
            // after a pass line up and layer names in cost tables stay those of the original model.
            if (!graph.Outputs.Contains(old) && replacement.Producer is { } p && rewrite.NewNodes.Contains(p))
            {
                var name = old.Name;
                old.Name = $"{name}__replaced{Interlocked.Increment(ref _retired)}";
                replacement.Name = name;
            }
            ReplaceValue(graph, old, replacement);
        }
        RemoveDeadNodes(graph);
    }

    private static long _retired;

    /// <summary>Makes every reader of <paramref name="old"/> read <paramref name="replacement"/>. A graph
    /// output keeps its name (users and tests address outputs by name): the replacement is renamed, or,
    /// when it cannot be (a graph input, constant or another output), an Identity carries the old name.</summary>
    public static void ReplaceValue(Graph graph, Value old, Value replacement)
    {
        if (old == replacement) return;
        replacement.Type ??= old.Type;
        if (!graph.Outputs.Contains(old))
        {
            graph.ReplaceAllUses(old, replacement);
            return;
        }
        bool renamable = replacement.Producer is { } p && graph.Nodes.Contains(p)
            && !graph.Outputs.Contains(replacement) && !graph.Inputs.Contains(replacement);
        if (renamable)
        {
            var name = old.Name;
            old.Name = name + "__replaced";
            replacement.Name = name;
            graph.ReplaceAllUses(old, replacement);
            return;
        }
        // Keep 'old' itself as the output, now produced by an Identity of the replacement.
        var readers = graph.Nodes.Where(n => n.Inputs.Contains(old)).ToList();
        foreach (var n in readers)
        {
            for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == old) n.SetInput(i, replacement);
        }
        if (old.Producer is { } producer)
        {
            for (int i = 0; i < producer.Outputs.Count; i++)
            {
                if (producer.Outputs[i] == old) producer.SetOutput(i, new Value(old.Name + "__detached", old.Type));
            }
        }
        graph.Nodes.Add(new Node("Identity", [replacement], [old]));
    }

    /// <summary>Removes, until none is left, nodes none of whose outputs is read (ONNX inference ops have no
    /// side effects), and then constants and constant inputs nothing reads. Returns the nodes removed.</summary>
    public static int RemoveDeadNodes(Graph graph)
    {
        int removed = 0;
        while (true)
        {
            var uses = RuleContext.CountUses(graph);
            int before = graph.Nodes.Count;
            graph.Nodes.RemoveAll(n => n.Outputs.All(o => o is null || !uses.ContainsKey(o)));
            int now = before - graph.Nodes.Count;
            removed += now;
            if (now == 0) break;
        }
        var used = RuleContext.CountUses(graph);
        foreach (var (name, value) in graph.Initializers.ToList())
        {
            if (used.ContainsKey(value)) continue;
            graph.Initializers.Remove(name);
            graph.Inputs.Remove(value);
        }
        return removed;
    }
}
