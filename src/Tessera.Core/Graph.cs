namespace Tessera.Core;

/// <summary>A dataflow graph: inputs, constant initializers, nodes in topological order, outputs.
/// Subgraphs (If/Loop/Scan bodies) are graphs too; their nodes may read values of enclosing graphs.</summary>
public sealed class Graph
{
    public string Name { get; set; } = "graph";

    public List<Value> Inputs { get; } = [];

    public List<Value> Outputs { get; } = [];

    /// <summary>Constant values (ONNX initializers), by name. Their <see cref="Value.Constant"/> is set.</summary>
    public Dictionary<string, Value> Initializers { get; } = new(StringComparer.Ordinal);

    public List<Node> Nodes { get; } = [];

    /// <summary>Values that are neither inputs nor outputs but have a declared type (ONNX value_info).</summary>
    public List<Value> ValueInfo { get; } = [];

    public string? DocString { get; set; }

    public Value AddInitializer(string name, Tensor tensor)
    {
        var value = new Value(name, new TensorType(tensor.DataType, TensorShape.FromConcrete(tensor.Shape))) { Constant = tensor };
        Initializers[name] = value;
        return value;
    }

    public Node AddNode(string opType, IEnumerable<Value?> inputs, IEnumerable<Value?> outputs, string domain = "", string name = "")
    {
        var node = new Node(opType, inputs, outputs, domain, name);
        Nodes.Add(node);
        return node;
    }

    /// <summary>Every value produced or read in this graph (not descending into subgraphs).</summary>
    public IEnumerable<Value> AllValues()
    {
        var seen = new HashSet<Value>();
        foreach (var v in Inputs.Concat(Initializers.Values)) if (seen.Add(v)) yield return v;
        foreach (var n in Nodes)
        {
            foreach (var v in n.Inputs.Concat(n.Outputs)) if (v is not null && seen.Add(v)) yield return v;
        }
        foreach (var v in Outputs) if (seen.Add(v)) yield return v;
    }

    /// <summary>Nodes that read <paramref name="value"/>, including nodes whose subgraphs read it.</summary>
    public List<Node> Consumers(Value value)
    {
        var result = new List<Node>();
        foreach (var n in Nodes)
        {
            if (n.Inputs.Contains(value) || n.Subgraphs().Any(g => g.ReadsOuterValue(value))) result.Add(n);
        }
        return result;
    }

    /// <summary>True when a node of this graph (or a nested subgraph) reads <paramref name="value"/>.</summary>
    public bool ReadsOuterValue(Value value) =>
        Nodes.Any(n => n.Inputs.Contains(value) || n.Subgraphs().Any(g => g.ReadsOuterValue(value))) || Outputs.Contains(value);

    /// <summary>Values this graph reads that it neither defines nor receives as inputs: its free
    /// variables, which an enclosing graph provides.</summary>
    public HashSet<Value> OuterScopeValues()
    {
        var defined = new HashSet<Value>(Inputs.Concat(Initializers.Values));
        foreach (var n in Nodes) foreach (var o in n.Outputs) if (o is not null) defined.Add(o);
        var free = new HashSet<Value>();
        foreach (var n in Nodes)
        {
            foreach (var i in n.Inputs) if (i is not null && !defined.Contains(i)) free.Add(i);
            foreach (var sg in n.Subgraphs()) foreach (var v in sg.OuterScopeValues()) if (!defined.Contains(v)) free.Add(v);
        }
        foreach (var o in Outputs) if (!defined.Contains(o)) free.Add(o);
        return free;
    }

    /// <summary>Replaces every read of <paramref name="from"/> by <paramref name="to"/>, here and in subgraphs,
    /// including graph outputs.</summary>
    public void ReplaceAllUses(Value from, Value to)
    {
        foreach (var n in Nodes)
        {
            for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == from) n.SetInput(i, to);
            foreach (var sg in n.Subgraphs()) sg.ReplaceAllUses(from, to);
        }
        for (int i = 0; i < Outputs.Count; i++) if (Outputs[i] == from) Outputs[i] = to;
    }

    /// <summary>Sorts <see cref="Nodes"/> topologically (stable: keeps the given order where possible).
    /// Throws <see cref="ModelFormatException"/> on a cycle.</summary>
    public void SortTopologically()
    {
        var producedHere = new Dictionary<Value, Node>();
        foreach (var n in Nodes) foreach (var o in n.Outputs) if (o is not null) producedHere[o] = n;
        var state = new Dictionary<Node, int>();
        var order = new List<Node>(Nodes.Count);
        foreach (var root in Nodes)
        {
            if (state.ContainsKey(root)) continue;
            var stack = new Stack<(Node Node, IEnumerator<Node> Deps)>();
            state[root] = 1;
            stack.Push((root, Dependencies(root, producedHere).GetEnumerator()));
            while (stack.Count > 0)
            {
                var (node, deps) = stack.Peek();
                if (deps.MoveNext())
                {
                    var dep = deps.Current;
                    if (!state.TryGetValue(dep, out int s))
                    {
                        state[dep] = 1;
                        stack.Push((dep, Dependencies(dep, producedHere).GetEnumerator()));
                    }
                    else if (s == 1)
                    {
                        throw new ModelFormatException($"graph '{Name}' has a cycle through node {dep.DisplayName}");
                    }
                }
                else
                {
                    stack.Pop();
                    state[node] = 2;
                    order.Add(node);
                }
            }
        }
        Nodes.Clear();
        Nodes.AddRange(order);
    }

    private static IEnumerable<Node> Dependencies(Node node, Dictionary<Value, Node> producedHere)
    {
        foreach (var i in node.Inputs)
        {
            if (i is not null && producedHere.TryGetValue(i, out var p) && p != node) yield return p;
        }
        foreach (var sg in node.Subgraphs())
        {
            foreach (var v in sg.OuterScopeValues())
            {
                if (producedHere.TryGetValue(v, out var p) && p != node) yield return p;
            }
        }
    }
}
