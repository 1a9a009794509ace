using Tessera.Core;

namespace Tessera.Passes;

/// <summary>What a rule may ask about the graph around a node: producers, uses, constants, shapes, and
/// fresh names and constants for its replacement. The use index is rebuilt lazily after each rewrite.</summary>
public sealed class RuleContext
{
    private readonly Dictionary<string, int> _nameCounters = new(StringComparer.Ordinal);
    private Dictionary<Value, int>? _uses;
    private HashSet<string>? _names;

    public RuleContext(Model model, Graph graph, OptimizationOptions options)
    {
        Model = model;
        Graph = graph;
        Options = options;
    }

    public Model Model { get; }

    public Graph Graph { get; }

    public OptimizationOptions Options { get; }

    public long Opset => Model.OpsetOf(string.Empty);

    /// <summary>Called by the pass manager after every applied rewrite.</summary>
    internal void Invalidate() => _uses = null;

    /// <summary>How many times <paramref name="value"/> is read: by nodes (subgraph reads count for their
    /// node) and as a graph output.</summary>
    public int UseCount(Value value)
    {
        _uses ??= CountUses(Graph);
        return _uses.GetValueOrDefault(value);
    }

    public bool IsGraphOutput(Value value) => Graph.Outputs.Contains(value);

    /// <summary>True when <paramref name="value"/> is read exactly once and is not a graph output, so its
    /// producer may be merged into its only consumer.</summary>
    public bool HasSingleUse(Value value) => UseCount(value) == 1 && !IsGraphOutput(value);

    /// <summary>True when readers of <paramref name="output"/> may read <paramref name="input"/> instead without an
    /// Identity being needed to keep a graph output's name (which would only move the node, never remove it).</summary>
    public bool CanBypass(Value output, Value input) =>
        !IsGraphOutput(output) || (input.Producer is { } p && Graph.Nodes.Contains(p) && !IsGraphOutput(input) && !Graph.Inputs.Contains(input));

    /// <summary>The only node reading <paramref name="value"/> when it has exactly one use and is not a graph output.</summary>
    public Node? SingleConsumer(Value value)
    {
        if (!HasSingleUse(value)) return null;
        return Graph.Nodes.FirstOrDefault(n => n.Inputs.Contains(value));
    }

    public static Dictionary<Value, int> CountUses(Graph graph)
    {
        var uses = new Dictionary<Value, int>();
        foreach (var node in graph.Nodes)
        {
            foreach (var input in node.Inputs) if (input is not null) uses[input] = uses.GetValueOrDefault(input) + 1;
            foreach (var subgraph in node.Subgraphs())
            {
                foreach (var outer in subgraph.OuterScopeValues()) uses[outer] = uses.GetValueOrDefault(outer) + 1;
            }
        }
        foreach (var output in graph.Outputs) uses[output] = uses.GetValueOrDefault(output) + 1;
        return uses;
    }

    /// <summary>The node producing <paramref name="value"/> when it is <paramref name="opType"/> in the default domain.</summary>
    public static Node? ProducerOf(Value? value, string opType, string domain = "") =>
        value?.Producer is { } p && p.OpType == opType && p.Domain == domain ? p : null;

    /// <summary>The constant contents of a value (initializer or folded constant), or null.</summary>
    public static Tensor? Constant(Value? value) => value?.Constant;

    /// <summary>The value's constant as doubles when it holds exactly one element (a scalar or [1]).</summary>
    public static double? Scalar(Value? value) => value?.Constant is { Length: 1 } t && DataTypes.IsNumeric(t.DataType) ? t.GetDouble(0) : null;

    /// <summary>The concrete shape of a value when fully known.</summary>
    public static int[]? Shape(Value? value) => value?.Constant?.Shape ?? value?.TensorType?.Shape?.ToConcrete();

    public static int? Rank(Value? value) => value?.Constant?.Rank ?? value?.TensorType?.Shape?.Rank;

    public static DataType? ElementType(Value? value) => value?.Constant?.DataType ?? value?.TensorType?.ElementType;

    /// <summary>A fresh value name based on <paramref name="hint"/>, unique in this graph.</summary>
    public string UniqueName(string hint)
    {
        _names ??= Graph.AllValues().Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        int n = _nameCounters.GetValueOrDefault(hint);
        string name;
        do
        {
            name = $"{hint}__{n++}";
        }
        while (_names.Contains(name));
        _nameCounters[hint] = n;
        _names.Add(name);
        return name;
    }

    /// <summary>A new value with a unique name and the given type (null when unknown).</summary>
    public Value NewValue(string hint, IrType? type) => new(UniqueName(hint), type);

    /// <summary>Adds <paramref name="tensor"/> as a new initializer of this graph and returns its value.</summary>
    public Value NewConstant(string hint, Tensor tensor) => Graph.AddInitializer(UniqueName(hint), tensor);

    /// <summary>A new node (not yet in the graph) with the given inputs and one fresh output of <paramref name="outputType"/>.</summary>
    public Node NewNode(string opType, IEnumerable<Value?> inputs, string outputHint, IrType? outputType, string domain = "", string name = "") =>
        new(opType, inputs, [NewValue(outputHint, outputType)], domain, name);
}
