using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Runtime;

/// <summary>Executes a graph node by node with the reference kernels. Values of enclosing graphs are
/// visible to subgraphs through the parent environment. Intermediate values are released after their
/// last use.</summary>
internal sealed class GraphExecutor : ISubgraphRunner
{
    private readonly Model _model;
    private readonly OperatorRegistry _registry;
    private readonly Dictionary<Graph, Plan> _plans = new();
    private readonly Stack<Environment> _scopes = new();
    private readonly BufferArena? _arena;

    public GraphExecutor(Model model, OperatorRegistry registry, bool reuseBuffers = false)
    {
        _model = model;
        _registry = registry;
        _arena = reuseBuffers ? new BufferArena() : null;
    }

    /// <summary>Called after each node with the node and its outputs (for tracing and dumps). While it is
    /// set, outputs are fresh arrays (no reuse), so the callback may keep them.</summary>
    public Action<Node, IReadOnlyList<DataValue?>>? NodeExecuted { get; set; }

    /// <summary>Called after each node, subgraph nodes included (an If after its branch's nodes), without
    /// its outputs (timing); buffers stay reused.</summary>
    public Action<Node>? NodeFinished { get; set; }

    /// <summary>Bytes of activation arrays the arena created (0 without reuse).</summary>
    public long ArenaBytes => _arena?.CreatedBytes ?? 0;

    /// <summary>Gives results of an earlier main-graph run back to the arena (see <see cref="BufferArena.Recycle"/>).</summary>
    public void Recycle(DataValue? result) => _arena?.Recycle(result);

    private sealed class Environment(Environment? parent)
    {
        public Dictionary<Value, DataValue?> Values { get; } = new();

        public bool TryGet(Value v, out DataValue? data)
        {
            if (Values.TryGetValue(v, out data)) return true;
            if (parent is not null) return parent.TryGet(v, out data);
            data = null;
            return false;
        }
    }

    private sealed record Plan(Operator[] Operators, long[] Opsets, List<Value>[] ReleaseAfter)
    {
        // Main-graph runs reuse these from one inference to the next (no per-run allocation): the environment, each
        // node's input array and kernel context, and the outputs array. Subgraph runs and runs with NodeExecuted set
        // (whose callback may keep what it sees) make fresh ones.
        public Environment? Environment { get; set; }

        public DataValue?[]?[] NodeInputs { get; } = new DataValue?[]?[Operators.Length];

        public KernelContext?[] Contexts { get; } = new KernelContext?[Operators.Length];

        public DataValue?[]? Outputs { get; set; }
    }

    /// <summary>Checks every node (and nested subgraph) has a kernel; throws <see cref="UnsupportedException"/> otherwise.</summary>
    public void Prepare(Graph graph) => GetPlan(graph);

    private Plan GetPlan(Graph graph)
    {
        if (_plans.TryGetValue(graph, out var plan)) return plan;
        var ops = new Operator[graph.Nodes.Count];
        var opsets = new long[graph.Nodes.Count];
        var lastUse = new Dictionary<Value, int>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            ops[i] = _registry.Get(node);
            if (ops[i] is IPreparedOperator prepared) prepared.Prepare(node);
            opsets[i] = _model.OpsetOf(node.Domain);
            foreach (var sg in node.Subgraphs()) GetPlan(sg);
            foreach (var v in node.Inputs) if (v is not null) lastUse[v] = i;
            foreach (var sg in node.Subgraphs()) foreach (var v in sg.OuterScopeValues()) lastUse[v] = i;
        }
        var keep = new HashSet<Value>(graph.Outputs.Concat(graph.Initializers.Values));
        var release = new List<Value>[graph.Nodes.Count];
        for (int i = 0; i < release.Length; i++) release[i] = [];
        foreach (var (v, i) in lastUse)
        {
            if (!keep.Contains(v) && v.Producer is not null && graph.Nodes.Contains(v.Producer)) release[i].Add(v);
        }
        plan = new Plan(ops, opsets, release);
        _plans[graph] = plan;
        return plan;
    }

    /// <summary>Runs <paramref name="graph"/> with its inputs bound positionally; returns its outputs.</summary>
    public IReadOnlyList<DataValue?> Run(Graph graph, IReadOnlyList<DataValue?> inputs)
    {
        var plan = GetPlan(graph);
        // Only the main graph's values go through the arena: a subgraph's results leave it through the
        // If/Loop kernel, whose copies the arena cannot see.
        bool main = _scopes.Count == 0;
        bool reuse = main && NodeExecuted is null;
        var arena = reuse ? _arena : null;
        Environment env;
        if (reuse)
        {
            env = plan.Environment ??= new Environment(null);
            env.Values.Clear();
        }
        else
        {
            env = new Environment(main ? null : _scopes.Peek());
        }
        foreach (var (_, value) in graph.Initializers) env.Values[value] = value.Constant;
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            var input = graph.Inputs[i];
            var data = i < inputs.Count ? inputs[i] : null;
            env.Values[input] = data ?? input.Constant;
        }
        arena?.StartRun();
        _scopes.Push(env);
        try
        {
            for (int k = 0; k < graph.Nodes.Count; k++)
            {
                var node = graph.Nodes[k];
                var nodeInputs = reuse ? plan.NodeInputs[k] ??= new DataValue?[node.Inputs.Count] : new DataValue?[node.Inputs.Count];
                for (int i = 0; i < nodeInputs.Length; i++)
                {
                    var v = node.Inputs[i];
                    if (v is null) continue;
                    if (!env.TryGet(v, out var data))
                    {
                        throw new ModelFormatException($"value '{v.Name}' is read before it is computed", node.DisplayName);
                    }
                    nodeInputs[i] = data;
                }
                arena?.BeginNode(nodeInputs, plan.ReleaseAfter[k]);
                KernelContext context;
                if (reuse && plan.Contexts[k] is { } kept && ReferenceEquals(kept.Buffers, arena))
                {
                    context = kept;
                    context.ClearOutputs();
                }
                else
                {
                    context = new KernelContext(node, plan.Opsets[k], nodeInputs, this, arena);
                    if (reuse) plan.Contexts[k] = context;
                }
                try
                {
                    plan.Operators[k].Execute(context);
                }
                catch (UnsupportedException e) when (e.Where is null)
                {
                    throw new UnsupportedException(e.Message, node.DisplayName, e.Hint);
                }
                catch (TesseraException e) when (e.Where is null)
                {
                    throw new InvalidInputException(e.Message, node.DisplayName, e.Hint);
                }
                catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidCastException or OverflowException or NullReferenceException)
                {
                    throw new InvalidInputException($"kernel failed: {e.Message}", node.DisplayName, "the node's inputs do not match what the operator expects");
                }
                for (int i = 0; i < node.Outputs.Count; i++)
                {
                    var o = node.Outputs[i];
                    if (o is null) continue;
                    if (context.Outputs[i] is null && node.OpType is not ("Optional" or "If" or "Loop"))
                    {
                        throw new ModelFormatException($"kernel produced no value for output '{o.Name}'", node.DisplayName);
                    }
                    env.Values[o] = context.Outputs[i];
                }
                arena?.EndNode(context.Outputs);
                if (reuse) System.Array.Clear(nodeInputs);
                NodeExecuted?.Invoke(node, context.Outputs);
                NodeFinished?.Invoke(node);
                foreach (var v in plan.ReleaseAfter[k])
                {
                    if (arena is not null && env.Values.TryGetValue(v, out var dead)) arena.Release(dead);
                    env.Values.Remove(v);
                }
            }
            var outputs = reuse ? plan.Outputs ??= new DataValue?[graph.Outputs.Count] : new DataValue?[graph.Outputs.Count];
            for (int i = 0; i < outputs.Length; i++)
            {
                env.TryGet(graph.Outputs[i], out outputs[i]);
            }
            arena?.EndRun(outputs, env.Values);
            // The environment is cleared so that between runs it keeps no activation alive.
            if (reuse) env.Values.Clear();
            return outputs;
        }
        finally
        {
            _scopes.Pop();
        }
    }
}
