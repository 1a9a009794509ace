using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Runtime;

public sealed class SessionOptions
{
    /// <summary>Backend name: "reference" (plain kernels, the specification) or one registered with
    /// <see cref="Backends.Register"/> (e.g. "cpu").</summary>
    public string Backend { get; init; } = "reference";

    /// <summary>Intra-op threads for backends that split a node's work (0: one per processor).</summary>
    public int Threads { get; init; }

    /// <summary>Operators to execute with; defaults to the reference kernels.</summary>
    public OperatorRegistry? Operators { get; init; }

    /// <summary>Concrete input shapes known at session creation (by input name). When given, symbolic
    /// dims are bound and every value's type is inferred once (see <see cref="InferenceSession.Types"/>).</summary>
    public IReadOnlyDictionary<string, int[]>? InputShapes { get; init; }

    /// <summary>Reuse activation arrays between nodes and inferences (an arena freed by value lifetimes);
    /// kernels that take their outputs from it write into arrays that dead values left behind.</summary>
    public bool ReuseBuffers { get; init; } = true;
}

/// <summary>Runs a model. Creation checks that every operator has a kernel; <see cref="Run"/> checks the
/// given inputs against the model's declared names, element types and shapes (binding symbolic dims).</summary>
public sealed class InferenceSession
{
    private readonly GraphExecutor _executor;

    public InferenceSession(Model model, SessionOptions? options = null)
    {
        Model = model;
        options ??= new SessionOptions();
        var operators = Backends.Resolve(options);
        _executor = new GraphExecutor(model, operators, options.ReuseBuffers);
        _executor.Prepare(model.Graph);
        Types = TypeInference.Run(model, options.InputShapes, operators);
        _positional = new DataValue?[model.Graph.Inputs.Count];
    }

    // Per-run scratch reused by Run (a session runs one inference at a time).
    private readonly Dictionary<string, long> _bound = new(StringComparer.Ordinal);
    private readonly DataValue?[] _positional;

    /// <summary>Types of every value, inferred at creation (bound to <see cref="SessionOptions.InputShapes"/> when given).</summary>
    public TypeInference Types { get; }

    public Model Model { get; }

    /// <summary>Inputs the caller must provide (graph inputs that have no initializer default).</summary>
    public IReadOnlyList<Value> Inputs => Model.Graph.Inputs.Where(v => v.Constant is null).ToList();

    public IReadOnlyList<Value> Outputs => Model.Graph.Outputs;

    /// <summary>Called after each node runs (tracing, per-layer dumps); while set, buffers are not reused,
    /// so the callback may keep the outputs it sees.</summary>
    public Action<Node, IReadOnlyList<DataValue?>>? NodeExecuted
    {
        get => _executor.NodeExecuted;
        set => _executor.NodeExecuted = value;
    }

    /// <summary>Called after each node runs, subgraph nodes included (an If or Loop after its body's nodes),
    /// without its outputs (per-node timing that keeps buffer reuse on).</summary>
    public Action<Node>? NodeFinished
    {
        get => _executor.NodeFinished;
        set => _executor.NodeFinished = value;
    }

    /// <summary>Peak bytes of activation arrays held by the session's arena (0 when buffers are not reused
    /// or no kernel takes its outputs from the arena).</summary>
    public long ArenaBytes => _executor.ArenaBytes;

    /// <summary>Hands the results of an earlier <see cref="Run"/> back to the session: their arrays are reused by later
    /// runs, so the caller must not read them again (as disposing ONNX Runtime's outputs returns them to its arena). A
    /// loop that reads each result and recycles it allocates no output arrays after its first run; results the caller
    /// keeps are simply not recycled. Values that are not the arena's (an input passed through, a constant) are ignored.</summary>
    public void Recycle(IReadOnlyDictionary<string, DataValue> results)
    {
        if (results is Dictionary<string, DataValue> dictionary)
        {
            foreach (var (_, value) in dictionary) _executor.Recycle(value);
            return;
        }
        foreach (var (_, value) in results) _executor.Recycle(value);
    }

    /// <summary>Throws <see cref="InvalidInputException"/> when <paramref name="names"/> holds a name that is
    /// not an input of <paramref name="model"/> (also called by <see cref="Run"/>); callers that rewrite the
    /// model before creating a session check the names first.</summary>
    public static void CheckInputNames(Model model, IEnumerable<string> names)
    {
        var graph = model.Graph;
        foreach (var name in names)
        {
            if (!graph.Inputs.Any(v => v.Name == name))
            {
                throw new InvalidInputException($"the model has no input named '{name}'", "inputs",
                    $"expected: {string.Join(", ", graph.Inputs.Where(v => v.Constant is null).Select(v => v.Name))}");
            }
        }
    }

    public IReadOnlyDictionary<string, DataValue> Run(IReadOnlyDictionary<string, DataValue> inputs)
    {
        var result = new Dictionary<string, DataValue>(StringComparer.Ordinal);
        Run(inputs, result);
        return result;
    }

    /// <summary><see cref="Run(IReadOnlyDictionary{string, DataValue})"/> writing the outputs into
    /// <paramref name="results"/> (by output name, replacing what it held) instead of a new dictionary: with a
    /// dictionary kept by the caller, and each run's results given back with <see cref="Recycle"/>, a steady-state
    /// run of the cpu backend allocates nothing the session could avoid (see docs/cpu-backend.md for what remains).</summary>
    public void Run(IReadOnlyDictionary<string, DataValue> inputs, IDictionary<string, DataValue> results)
    {
        var graph = Model.Graph;
        // Every given name must be an input: count the given values the graph's inputs find (no enumeration of the
        // caller's dictionary, which would allocate) and look for the stray name only when the counts differ.
        int found = 0;
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            if (inputs.ContainsKey(graph.Inputs[i].Name)) found++;
        }
        if (found != inputs.Count) CheckInputNames(Model, inputs.Keys);
        var bound = _bound;
        bound.Clear();
        var positional = _positional;
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            var input = graph.Inputs[i];
            positional[i] = null;
            if (inputs.TryGetValue(input.Name, out var data))
            {
                InputValidation.Check(input, data, bound);
                positional[i] = data;
            }
            else if (input.Constant is null && !IsOptionalInput(input))
            {
                throw new InvalidInputException($"input '{input.Name}' ({input.Type}) is missing", "inputs", "provide a value for every model input");
            }
        }
        IReadOnlyList<DataValue?> outputs;
        try
        {
            outputs = _executor.Run(graph, positional);
        }
        finally
        {
            Array.Clear(positional);
        }
        for (int i = 0; i < graph.Outputs.Count; i++)
        {
            results[graph.Outputs[i].Name] = outputs[i] ?? new OptionalValue(graph.Outputs[i].Type ?? new TensorType(DataType.Undefined, null), null);
        }
    }

    private static bool IsOptionalInput(Value input) => input.Type is OptionalType;
}
