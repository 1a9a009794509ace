using Google.Protobuf;
using Tessera.Core;
using Tessera.Onnx.Proto;

namespace Tessera.Onnx;

/// <summary>Reads ONNX models into the Tessera IR. Every reference, size and path in the file is
/// checked; a malformed model raises <see cref="ModelFormatException"/> naming the offending part.</summary>
public sealed class OnnxImporter
{
    /// <summary>Deepest nesting of subgraphs accepted (If inside Loop inside ...).</summary>
    public const int MaxSubgraphDepth = 32;

    private readonly string? _externalDataRoot;
    private readonly string _source;

    private OnnxImporter(string? externalDataRoot, string source)
    {
        _externalDataRoot = externalDataRoot;
        _source = source;
    }

    /// <summary>Loads an .onnx file. External data is read from the model's folder only.</summary>
    public static Model Load(string path)
    {
        var bytes = ModelFiles.ReadAllBytes(path, "model file");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var model = new OnnxImporter(folder, path).Import(Parse(bytes, path));
        model.SourcePath = path;
        return model;
    }

    /// <summary>Loads a model from bytes (external data not allowed).</summary>
    public static Model Load(byte[] bytes, string source = "model") =>
        new OnnxImporter(null, source).Import(Parse(bytes, source));

    public static ModelProto Parse(byte[] bytes, string source)
    {
        if (bytes.Length == 0) throw new ModelFormatException("file is empty", source);
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFormatException($"not a valid ONNX model ({e.Message.TrimEnd('.')})", source, "the file may be truncated or not an .onnx file", e);
        }
    }

    public Model Import(ModelProto proto)
    {
        if (proto.Graph is null) throw new ModelFormatException("model has no graph", _source, "the file may be truncated or not an .onnx file");
        var model = new Model(new Graph())
        {
            IrVersion = proto.IrVersion,
            ProducerName = proto.ProducerName,
            ProducerVersion = proto.ProducerVersion,
            Domain = proto.Domain,
            ModelVersion = proto.ModelVersion,
            DocString = string.IsNullOrEmpty(proto.DocString) ? null : proto.DocString,
        };
        foreach (var opset in proto.OpsetImport)
        {
            model.Opsets[Node.NormalizeDomain(opset.Domain)] = opset.Version;
        }
        if (proto.OpsetImport.Count == 0) model.Opsets[string.Empty] = 1;
        foreach (var entry in proto.MetadataProps) model.Metadata[entry.Key] = entry.Value;
        if (proto.Functions.Count > 0)
        {
            var names = proto.Functions.Select(f => $"{f.Domain}.{f.Name}").ToHashSet();
            var used = UsedOps(proto.Graph).Where(names.Contains).ToList();
            if (used.Count > 0)
            {
                throw new UnsupportedException($"model-local functions are not supported ({string.Join(", ", used)})", _source);
            }
        }
        model.Graph = ImportGraph(proto.Graph, null, 0);
        return model;
    }

    private static IEnumerable<string> UsedOps(GraphProto g)
    {
        foreach (var n in g.Node)
        {
            yield return $"{n.Domain}.{n.OpType}";
            foreach (var a in n.Attribute)
            {
                if (a.G is not null) foreach (var s in UsedOps(a.G)) yield return s;
                foreach (var sg in a.Graphs) foreach (var s in UsedOps(sg)) yield return s;
            }
        }
    }

    /// <summary>Name scope of one graph, chained to the enclosing graph's scope.</summary>
    private sealed class Scope(Scope? parent)
    {
        private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);

        public void Define(string name, Value value) => _values[name] = value;

        public bool DefinedHere(string name) => _values.ContainsKey(name);

        public Value? Find(string name) => _values.TryGetValue(name, out var v) ? v : parent?.Find(name);
    }

    private Graph ImportGraph(GraphProto proto, Scope? parentScope, int depth)
    {
        if (depth > MaxSubgraphDepth) throw new ModelFormatException($"subgraphs are nested deeper than {MaxSubgraphDepth} levels", _source);
        var graph = new Graph { Name = proto.Name, DocString = string.IsNullOrEmpty(proto.DocString) ? null : proto.DocString };
        var scope = new Scope(parentScope);
        string where = $"graph '{proto.Name}'";

        foreach (var init in proto.Initializer)
        {
            if (string.IsNullOrEmpty(init.Name)) throw new ModelFormatException("an initializer has no name", where);
            var tensor = TensorProtoConverter.ToTensor(init, _externalDataRoot, $"initializer '{init.Name}'");
            var value = graph.AddInitializer(init.Name, tensor);
            scope.Define(init.Name, value);
        }
        if (proto.SparseInitializer.Count > 0)
        {
            throw new UnsupportedException("sparse initializers are not supported", where);
        }
        foreach (var input in proto.Input)
        {
            var type = TypeConverter.ToIrType(input.Type, $"input '{input.Name}'");
            if (graph.Initializers.TryGetValue(input.Name, out var existing))
            {
                // Before IR version 4 every initializer is also listed as an input; the initializer is its default.
                graph.Inputs.Add(existing);
                continue;
            }
            var value = new Value(input.Name, type);
            scope.Define(input.Name, value);
            graph.Inputs.Add(value);
        }

        // Node outputs are defined before inputs are resolved, so nodes out of topological order still import.
        var nodeOutputs = new List<Value?[]>();
        foreach (var n in proto.Node)
        {
            var outputs = new Value?[n.Output.Count];
            for (int i = 0; i < n.Output.Count; i++)
            {
                var name = n.Output[i];
                if (string.IsNullOrEmpty(name)) continue;
                if (scope.DefinedHere(name))
                {
                    throw new ModelFormatException($"value '{name}' is produced twice (second time by {Describe(n)})", where);
                }
                var value = new Value(name);
                scope.Define(name, value);
                outputs[i] = value;
            }
            nodeOutputs.Add(outputs);
        }
        var declared = proto.ValueInfo.Concat(proto.Output).Where(v => !string.IsNullOrEmpty(v.Name));
        foreach (var info in declared)
        {
            var value = scope.Find(info.Name);
            if (value is not null && value.Type is null && info.Type is not null)
            {
                value.Type = TypeConverter.ToIrType(info.Type, $"value '{info.Name}'");
            }
        }
        for (int k = 0; k < proto.Node.Count; k++)
        {
            var n = proto.Node[k];
            var inputs = new List<Value?>(n.Input.Count);
            foreach (var name in n.Input)
            {
                if (string.IsNullOrEmpty(name))
                {
                    inputs.Add(null);
                    continue;
                }
                inputs.Add(scope.Find(name) ?? throw new ModelFormatException(
                    $"input '{name}' of {Describe(n)} is not a graph input, initializer or node output", where));
            }
            var node = new Node(n.OpType, inputs, nodeOutputs[k], n.Domain, n.Name);
            if (string.IsNullOrEmpty(n.OpType)) throw new ModelFormatException("a node has no op_type", where);
            foreach (var a in n.Attribute)
            {
                node.SetAttribute(ImportAttribute(a, scope, depth, Describe(n)));
            }
            graph.Nodes.Add(node);
        }
        foreach (var output in proto.Output)
        {
            var value = scope.Find(output.Name) ?? throw new ModelFormatException(
                $"graph output '{output.Name}' is not produced by any node, input or initializer", where);
            graph.Outputs.Add(value);
        }
        foreach (var info in proto.ValueInfo)
        {
            if (scope.Find(info.Name) is { } v) graph.ValueInfo.Add(v);
        }
        graph.SortTopologically();
        return graph;
    }

    private static string Describe(NodeProto n) =>
        string.IsNullOrEmpty(n.Name) ? $"{n.OpType} node (output '{n.Output.FirstOrDefault()}')" : $"{n.OpType} node '{n.Name}'";

    private NodeAttribute ImportAttribute(AttributeProto a, Scope scope, int depth, string where)
    {
        if (!string.IsNullOrEmpty(a.RefAttrName))
        {
            throw new UnsupportedException($"attribute '{a.Name}' refers to a function attribute", where);
        }
        string at = $"{where}, attribute '{a.Name}'";
        var type = a.Type;
        if (type == AttributeProto.Types.AttributeType.Undefined) type = GuessType(a);
        return type switch
        {
            AttributeProto.Types.AttributeType.Float => new NodeAttribute(a.Name, AttributeKind.Float, a.F),
            AttributeProto.Types.AttributeType.Int => new NodeAttribute(a.Name, AttributeKind.Int, a.I),
            AttributeProto.Types.AttributeType.String => new NodeAttribute(a.Name, AttributeKind.String, a.S.ToStringUtf8()),
            AttributeProto.Types.AttributeType.Tensor => new NodeAttribute(a.Name, AttributeKind.Tensor,
                TensorProtoConverter.ToTensor(a.T ?? throw new ModelFormatException("tensor attribute has no tensor", at), _externalDataRoot, at)),
            AttributeProto.Types.AttributeType.Graph => new NodeAttribute(a.Name, AttributeKind.Graph,
                ImportGraph(a.G ?? throw new ModelFormatException("graph attribute has no graph", at), scope, depth + 1)),
            AttributeProto.Types.AttributeType.Floats => new NodeAttribute(a.Name, AttributeKind.Floats, a.Floats.ToArray()),
            AttributeProto.Types.AttributeType.Ints => new NodeAttribute(a.Name, AttributeKind.Ints, a.Ints.ToArray()),
            AttributeProto.Types.AttributeType.Strings => new NodeAttribute(a.Name, AttributeKind.Strings, a.Strings.Select(s => s.ToStringUtf8()).ToArray()),
            AttributeProto.Types.AttributeType.Tensors => new NodeAttribute(a.Name, AttributeKind.Tensors,
                a.Tensors.Select(t => TensorProtoConverter.ToTensor(t, _externalDataRoot, at)).ToArray()),
            AttributeProto.Types.AttributeType.Graphs => new NodeAttribute(a.Name, AttributeKind.Graphs,
                a.Graphs.Select(g => ImportGraph(g, scope, depth + 1)).ToArray()),
            AttributeProto.Types.AttributeType.TypeProto => new NodeAttribute(a.Name, AttributeKind.Type, TypeConverter.ToIrType(a.Tp, at)
                ?? throw new ModelFormatException("type attribute is empty", at)),
            AttributeProto.Types.AttributeType.TypeProtos => new NodeAttribute(a.Name, AttributeKind.Types,
                a.TypeProtos.Select(t => TypeConverter.ToIrType(t, at)!).ToArray()),
            _ => throw new UnsupportedException($"attribute type {a.Type} is not supported", at),
        };
    }

    /// <summary>Very old producers (IR version 1) omitted the attribute type; infer it from the filled field.</summary>
    private static AttributeProto.Types.AttributeType GuessType(AttributeProto a)
    {
        if (a.Ints.Count > 0) return AttributeProto.Types.AttributeType.Ints;
        if (a.Floats.Count > 0) return AttributeProto.Types.AttributeType.Floats;
        if (a.Strings.Count > 0) return AttributeProto.Types.AttributeType.Strings;
        if (a.T is not null) return AttributeProto.Types.AttributeType.Tensor;
        if (a.G is not null) return AttributeProto.Types.AttributeType.Graph;
        if (!a.S.IsEmpty) return AttributeProto.Types.AttributeType.String;
        if (a.F != 0) return AttributeProto.Types.AttributeType.Float;
        return AttributeProto.Types.AttributeType.Int;
    }
}
