using Tessera.Core;

namespace Tessera.Ops;

/// <summary>Propagates element types and shapes through a model. Each node's type rule
/// (<see cref="Operator.InferTypes"/>) runs on its input types; a node whose inputs are all known
/// constants (initializers, or values folded before it, such as Shape of a known shape) is evaluated
/// with its reference kernel instead, so shape-computing chains (Shape, Gather, Concat, Reshape) resolve
/// exactly. Given concrete input shapes, symbolic dims are bound and every shape becomes concrete.</summary>
public sealed class TypeInference
{
    /// <summary>Largest constant (in elements) evaluated during inference; bigger results stay symbolic.</summary>
    public const int MaxFoldElements = 1 << 16;

    private readonly Model _model;
    private readonly OperatorRegistry _registry;

    private TypeInference(Model model, OperatorRegistry registry)
    {
        _model = model;
        _registry = registry;
    }

    /// <summary>Inferred type of every value reached, including subgraph values.</summary>
    public Dictionary<Value, IrType> Types { get; } = new();

    /// <summary>Values whose contents are known without running the model (initializers and folded).</summary>
    public Dictionary<Value, Tensor> Constants { get; } = new();

    /// <summary>Nodes without a kernel in the registry (their outputs keep declared types only).</summary>
    public List<Node> UnknownOperators { get; } = [];

    /// <summary>Infers types for <paramref name="model"/>. With <paramref name="inputShapes"/> (by input name),
    /// those inputs get concrete shapes and their symbolic dims are bound.</summary>
    public static TypeInference Run(Model model, IReadOnlyDictionary<string, int[]>? inputShapes = null, OperatorRegistry? registry = null)
    {
        var inference = new TypeInference(model, registry ?? OperatorRegistry.Default);
        inference.InferGraph(model.Graph, inputShapes);
        return inference;
    }

    /// <summary>Writes the inferred types back into the IR's <see cref="Value.Type"/> fields.</summary>
    public void Apply()
    {
        foreach (var (value, type) in Types) value.Type = type;
    }

    public IrType? TypeOf(Value value) => Types.TryGetValue(value, out var t) ? t : value.Type;

    private void InferGraph(Graph graph, IReadOnlyDictionary<string, int[]>? inputShapes)
    {
        foreach (var init in graph.Initializers.Values)
        {
            Constants[init] = init.Constant!;
            Types[init] = new TensorType(init.Constant!.DataType, TensorShape.FromConcrete(init.Constant.Shape));
        }
        var symbols = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            if (input.Constant is not null) continue;
            if (inputShapes is not null && inputShapes.TryGetValue(input.Name, out var shape) && input.Type is TensorType declared)
            {
                if (declared.Shape is not null && declared.Shape.Rank == shape.Length)
                {
                    for (int d = 0; d < shape.Length; d++)
                    {
                        if (declared.Shape[d].Symbol is { } s) symbols[s] = shape[d];
                    }
                }
                Types[input] = new TensorType(declared.ElementType, TensorShape.FromConcrete(shape));
            }
            else if (input.Type is not null)
            {
                Types[input] = input.Type;
            }
        }
        foreach (var node in graph.Nodes) InferNode(node, symbols);
    }

    private void InferNode(Node node, Dictionary<string, long> symbols)
    {
        var inputTypes = node.Inputs.Select(v => v is null ? null : TypeOf(v)).ToList();
        var inputConstants = node.Inputs.Select(v => v is not null && Constants.TryGetValue(v, out var c) ? c : null).ToList();
        foreach (var sg in node.Subgraphs()) InferGraph(sg, null);
        if (!_registry.TryGet(node.Domain, node.OpType, out var op))
        {
            UnknownOperators.Add(node);
            SetDeclared(node, symbols);
            return;
        }
        long opset = _model.OpsetOf(node.Domain);
        if (TryFold(node, op, opset, inputConstants) || TryFoldShapeQuery(node, opset, inputTypes)) return;
        var context = new InferenceContext(node, opset, inputTypes, inputConstants);
        try
        {
            op.InferTypes(context);
        }
        catch (TesseraException)
        {
            // A rule that cannot decide leaves the outputs to their declared types.
        }
        for (int i = 0; i < node.Outputs.Count; i++)
        {
            var output = node.Outputs[i];
            if (output is null) continue;
            var inferred = context.OutputTypes[i];
            var merged = Merge(inferred, output.Type, symbols);
            // A rule that could not tell the element type (its input's is unknown) has not inferred a type.
            if (merged is not null && merged is not TensorType { ElementType: DataType.Undefined }) Types[output] = merged;
        }
    }

    private void SetDeclared(Node node, Dictionary<string, long> symbols)
    {
        foreach (var output in node.Outputs)
        {
            if (output?.Type is { } t) Types[output] = Merge(null, t, symbols)!;
        }
    }

    private bool TryFold(Node node, Operator op, long opset, List<Tensor?> constants)
    {
        if (node.Subgraphs().Any()) return false;
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            if (node.Inputs[i] is not null && constants[i] is null) return false;
        }
        if (node.Inputs.Count == 0 && node.OpType != "Constant") return false;
        if (constants.Sum(c => (long)(c?.Length ?? 0)) > MaxFoldElements) return false;
        try
        {
            var context = new KernelContext(node, opset, constants.Cast<DataValue?>().ToList());
            op.Execute(context);
            for (int i = 0; i < node.Outputs.Count; i++)
            {
                if (node.Outputs[i] is not { } output) continue;
                if (context.Outputs[i] is not Tensor t || t.Length > MaxFoldElements) return false;
            }
            for (int i = 0; i < node.Outputs.Count; i++)
            {
                if (node.Outputs[i] is not { } output) continue;
                var t = (Tensor)context.Outputs[i]!;
                Constants[output] = t;
                Types[output] = new TensorType(t.DataType, TensorShape.FromConcrete(t.Shape));
            }
            return true;
        }
        catch (TesseraException)
        {
            return false;
        }
    }

    /// <summary>Shape and Size of a value whose static shape is fully known are constants even though the
    /// value itself is not: this is what lets Shape -> Gather -> Concat -> Reshape chains fold.</summary>
    private bool TryFoldShapeQuery(Node node, long opset, List<IrType?> inputTypes)
    {
        if (node.Domain.Length != 0 || node.OpType is not ("Shape" or "Size") || node.Outputs.Count == 0 || node.Outputs[0] is not { } output) return false;
        if (inputTypes.Count == 0 || inputTypes[0] is not TensorType { Shape: { IsFullyKnown: true } shape }) return false;
        var dims = shape.Dims.Select(d => d.Value).ToArray();
        Tensor result;
        if (node.OpType == "Size")
        {
            result = Tensor.Scalar(dims.Aggregate(1L, (a, b) => a * b));
        }
        else
        {
            var reader = new InferenceContext(node, opset, inputTypes, []);
            long start = opset >= 15 ? reader.GetInt("start", 0) : 0;
            long end = opset >= 15 ? reader.GetInt("end", dims.Length) : dims.Length;
            if (start < 0) start += dims.Length;
            if (end < 0) end += dims.Length;
            start = System.Math.Clamp(start, 0, dims.Length);
            end = System.Math.Clamp(end, start, dims.Length);
            result = Tensor.Create([(int)(end - start)], dims[(int)start..(int)end]);
        }
        Constants[output] = result;
        Types[output] = new TensorType(DataType.Int64, TensorShape.FromConcrete(result.Shape));
        return true;
    }

    /// <summary>Combines an inferred and a declared type: the inferred one wins, declared dims fill in
    /// what it left unknown, and bound symbols become concrete.</summary>
    private static IrType? Merge(IrType? inferred, IrType? declared, Dictionary<string, long> symbols)
    {
        if (inferred is TensorType it && declared is TensorType dt)
        {
            var elementType = it.ElementType != DataType.Undefined ? it.ElementType : dt.ElementType;
            var shape = it.Shape ?? dt.Shape;
            if (it.Shape is not null && dt.Shape is not null && it.Shape.Rank == dt.Shape.Rank)
            {
                shape = new TensorShape(it.Shape.Dims.Select((d, i) => d.IsKnown || d.Symbol is not null ? d : dt.Shape[i]));
            }
            return new TensorType(elementType, Bind(shape, symbols));
        }
        var t = inferred ?? declared;
        return t is TensorType tt ? new TensorType(tt.ElementType, Bind(tt.Shape, symbols)) : t;
    }

    private static TensorShape? Bind(TensorShape? shape, Dictionary<string, long> symbols)
    {
        if (shape is null || symbols.Count == 0) return shape;
        return new TensorShape(shape.Dims.Select(d => d.Symbol is { } s && symbols.TryGetValue(s, out var v) ? Dim.Known(v) : d));
    }
}
