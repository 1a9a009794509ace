using Tessera.Core;

namespace Tessera.Ops;

/// <summary>Runs a subgraph (If branch, Loop/Scan body) with the given inputs; values of enclosing
/// graphs stay visible. Supplied by the executing backend.</summary>
public interface ISubgraphRunner
{
    IReadOnlyList<DataValue?> Run(Graph graph, IReadOnlyList<DataValue?> inputs);
}

/// <summary>What a reference kernel sees while executing one node.</summary>
public sealed class KernelContext : AttributeReader
{
    private readonly IReadOnlyList<DataValue?> _inputs;
    private readonly DataValue?[] _outputs;

    public KernelContext(Node node, long opset, IReadOnlyList<DataValue?> inputs, ISubgraphRunner? subgraphs = null, IBufferProvider? buffers = null)
        : base(node)
    {
        Opset = opset;
        _inputs = inputs;
        _outputs = new DataValue?[node.Outputs.Count];
        Subgraphs = subgraphs;
        Buffers = buffers;
    }

    /// <summary>Forgets the outputs set so far, so that an executor can run the node again with this context (its input
    /// list refilled in place) instead of allocating a new one per inference.</summary>
    public void ClearOutputs() => Array.Clear(_outputs);

    /// <summary>The session's output arena, or null (then outputs are fresh arrays).</summary>
    public IBufferProvider? Buffers { get; }

    /// <summary>An output array of exactly <paramref name="length"/> floats with unspecified contents: the
    /// kernel writes every element.</summary>
    public float[] NewFloats(int length) => Buffers?.RentFloats(length) ?? new float[length];

    /// <summary>True when the kernel may write its output into input <paramref name="input"/>'s array (see
    /// <see cref="IBufferProvider.CanOverwriteInput"/>).</summary>
    public bool CanOverwriteInput(int input) => Buffers?.CanOverwriteInput(this, input) ?? false;

    /// <summary>Version of the operator set the node's domain was imported with.</summary>
    public long Opset { get; }

    public ISubgraphRunner? Subgraphs { get; }

    public int InputCount => _inputs.Count;

    public int OutputCount => _outputs.Length;

    public IReadOnlyList<DataValue?> Outputs => _outputs;

    public bool HasInput(int i) => i < _inputs.Count && _inputs[i] is not null;

    public DataValue? InputValue(int i) => i < _inputs.Count ? _inputs[i] : null;

    /// <summary>A required tensor input.</summary>
    public Tensor Input(int i) => InputValue(i) switch
    {
        Tensor t => t,
        null => throw new ModelFormatException($"required input {i} is missing", Node.DisplayName),
        var other => throw new InvalidInputException($"input {i} should be a tensor but is {other}", Node.DisplayName),
    };

    /// <summary>An optional tensor input (null when absent or empty name).</summary>
    public Tensor? OptionalInput(int i) => InputValue(i) as Tensor;

    public bool IsOutputUsed(int i) => i < Node.Outputs.Count && Node.Outputs[i] is not null;

    public void SetOutput(int i, DataValue value)
    {
        if (i >= _outputs.Length)
        {
            if (i == 0) throw new ModelFormatException("node has no outputs", Node.DisplayName);
            return;
        }
        _outputs[i] = value;
    }

    public IReadOnlyList<DataValue?> RunSubgraph(Graph graph, IReadOnlyList<DataValue?> inputs) =>
        (Subgraphs ?? throw Unsupported("a subgraph outside a session")).Run(graph, inputs);

    public InvalidInputException Invalid(string what) => new(what, Node.DisplayName);
}

/// <summary>What a static type rule sees: input types and, where known, constant input values.</summary>
public sealed class InferenceContext(Node node, long opset, IReadOnlyList<IrType?> inputTypes, IReadOnlyList<Tensor?> inputConstants)
    : AttributeReader(node)
{
    private readonly IrType?[] _outputTypes = new IrType?[node.Outputs.Count];

    public long Opset { get; } = opset;

    public int InputCount => inputTypes.Count;

    public IReadOnlyList<IrType?> OutputTypes => _outputTypes;

    public IrType? InputType(int i) => i < inputTypes.Count ? inputTypes[i] : null;

    public TensorType? InputTensorType(int i) => InputType(i) as TensorType;

    public Tensor? InputConstant(int i) => i < inputConstants.Count ? inputConstants[i] : null;

    public bool HasInput(int i) => i < Node.Inputs.Count && Node.Inputs[i] is not null;

    public void SetOutputType(int i, IrType? type)
    {
        if (i < _outputTypes.Length) _outputTypes[i] = type;
    }

    public void SetOutput(int i, DataType type, TensorShape? shape) => SetOutputType(i, new TensorType(type, shape));
}

/// <summary>What a cost rule sees: the node and the concrete shapes of its inputs and outputs.</summary>
public sealed class CostContext(Node node, IReadOnlyList<int[]?> inputShapes, IReadOnlyList<int[]?> outputShapes)
    : AttributeReader(node)
{
    public IReadOnlyList<int[]?> InputShapes { get; } = inputShapes;

    public IReadOnlyList<int[]?> OutputShapes { get; } = outputShapes;
}
