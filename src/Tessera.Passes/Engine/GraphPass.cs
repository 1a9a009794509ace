using Tessera.Core;

namespace Tessera.Passes;

/// <summary>One step of the pipeline. <see cref="Run"/> returns how many changes it made, so the pass
/// manager knows when the pipeline has reached its fixed point.</summary>
public interface IGraphPass
{
    string Name { get; }

    int Run(Model model, OptimizationOptions options, OptimizationStatistics statistics);
}

/// <summary>Runs a set of rules over a graph (and every subgraph) until none of them matches any more.</summary>
public sealed class RuleSetPass(string name, IReadOnlyList<RewriteRule> rules) : IGraphPass
{
    /// <summary>A bound on sweeps over one graph, in case two rules undo each other.</summary>
    public const int MaxSweeps = 50;

    public string Name { get; } = name;

    public IReadOnlyList<RewriteRule> Rules { get; } = rules;

    public int Run(Model model, OptimizationOptions options, OptimizationStatistics statistics) => RunGraph(model, model.Graph, options, statistics);

    private int RunGraph(Model model, Graph graph, OptimizationOptions options, OptimizationStatistics statistics)
    {
        int changes = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            foreach (var subgraph in node.Subgraphs()) changes += RunGraph(model, subgraph, options, statistics);
        }
        var context = new RuleContext(model, graph, options);
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            int applied = 0;
            var alive = new HashSet<Node>(graph.Nodes);
            foreach (var node in graph.Nodes.ToList())
            {
                if (!alive.Contains(node)) continue;
                foreach (var rule in Rules)
                {
                    if (!Matches(rule, node)) continue;
                    var rewrite = rule.Match(node, context);
                    if (rewrite is null) continue;
                    GraphEditing.Apply(graph, node, rewrite);
                    context.Invalidate();
                    alive = new HashSet<Node>(graph.Nodes);
                    statistics.Count(rule.Name);
                    options.Log?.Invoke($"{Name}: {rule.Name} at {node.DisplayName}");
                    applied++;
                    break;
                }
            }
            if (applied == 0) break;
            graph.SortTopologically();
            changes += applied;
        }
        return changes;
    }

    private static bool Matches(RewriteRule rule, Node node)
    {
        if (rule.RootOps is null) return true;
        var key = node.Domain.Length == 0 ? node.OpType : node.Domain + "." + node.OpType;
        return rule.RootOps.Contains(key);
    }
}

/// <summary>Removes nodes whose results nothing reads, and unused constants, in every graph.</summary>
public sealed class DeadCodeElimination : IGraphPass
{
    public string Name => "dead-code";

    public int Run(Model model, OptimizationOptions options, OptimizationStatistics statistics) => RunGraph(model.Graph, statistics);

    private static int RunGraph(Graph graph, OptimizationStatistics statistics)
    {
        int removed = 0;
        foreach (var node in graph.Nodes) foreach (var subgraph in node.Subgraphs()) removed += RunGraph(subgraph, statistics);
        int here = GraphEditing.RemoveDeadNodes(graph);
        for (int i = 0; i < here; i++) statistics.Count("DeadNode");
        return removed + here;
    }
}

/// <summary>Counts how often each rule fired during one optimization.</summary>
public sealed class OptimizationStatistics
{
    public Dictionary<string, int> RuleCounts { get; } = new(StringComparer.Ordinal);

    public void Count(string rule) => RuleCounts[rule] = RuleCounts.GetValueOrDefault(rule) + 1;
}
