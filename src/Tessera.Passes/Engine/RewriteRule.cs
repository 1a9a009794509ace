using Tessera.Core;

namespace Tessera.Passes;

/// <summary>A small named rewrite: it looks at one root node and either returns a replacement
/// (<see cref="Rewrite"/>) or nothing. Rules never edit the graph themselves; the pass manager applies
/// the replacement, so a rule is easy to read and to test with a before/expected pair.</summary>
public abstract class RewriteRule
{
    /// <summary>Name shown in logs, dumps and statistics.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Op types (default domain unless written "domain.Op") the root node may have; null means any.
    /// Lets the pass manager skip rules cheaply.</summary>
    public abstract IReadOnlyCollection<string>? RootOps { get; }

    /// <summary>The replacement for the pattern rooted at <paramref name="node"/>, or null when it does not match.</summary>
    public abstract Rewrite? Match(Node node, RuleContext context);
}

/// <summary>What a rule wants done: new nodes to insert (before the root, in order) and values whose
/// every use is to read another value instead. Nodes left without uses are then removed.</summary>
public sealed class Rewrite
{
    public Rewrite(IEnumerable<Node> newNodes, params (Value Old, Value New)[] replacements)
    {
        NewNodes = newNodes.ToList();
        Replacements = replacements;
    }

    public Rewrite(params (Value Old, Value New)[] replacements)
        : this([], replacements)
    {
    }

    public IReadOnlyList<Node> NewNodes { get; }

    public IReadOnlyList<(Value Old, Value New)> Replacements { get; }

    /// <summary>A rewrite that replaces one value by another and adds nothing (removal of a no-op node).</summary>
    public static Rewrite Bypass(Value old, Value replacement) => new((old, replacement));

    /// <summary>The common case: one new node whose first output takes the place of <paramref name="old"/>.</summary>
    public static Rewrite Single(Node node, Value old) => new([node], (old, node.Outputs[0]!));
}
