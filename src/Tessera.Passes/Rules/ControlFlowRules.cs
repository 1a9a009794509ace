using Tessera.Core;

namespace Tessera.Passes;

/// <summary>An If whose condition is a constant is replaced by the nodes of the branch it takes. With a
/// fixed sample rate (Silero VAD's sr input given as a constant), every sample-rate switch disappears and
/// the network's convolutions and LSTMs become visible to the other rules and to cost analysis.</summary>
public sealed class InlineConstantIf : RewriteRule
{
    public override IReadOnlyCollection<string> RootOps => ["If"];

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Input(0)?.Constant is not { Length: 1 } condition) return null;
        var branchName = condition.GetDouble(0) != 0 ? "then_branch" : "else_branch";
        if (node.Attribute(branchName)?.Value is not Graph branch || branch.Outputs.Count < node.Outputs.Count(o => o is not null)) return null;
        var defined = new HashSet<string>(context.Graph.AllValues().Select(v => v.Name), StringComparer.Ordinal);
        foreach (var (name, value) in branch.Initializers)
        {
            if (defined.Contains(name)) value.Name = context.UniqueName(name);
            context.Graph.Initializers[value.Name] = value;
        }
        foreach (var inner in branch.Nodes)
        {
            foreach (var output in inner.Outputs)
            {
                if (output is not null && defined.Contains(output.Name)) output.Name = context.UniqueName(output.Name);
            }
        }
        var replacements = new List<(Value, Value)>();
        for (int i = 0; i < node.Outputs.Count; i++)
        {
            if (node.Outputs[i] is { } output) replacements.Add((output, branch.Outputs[i]));
        }
        return new Rewrite(branch.Nodes.ToList(), replacements.ToArray());
    }
}
