using Google.Protobuf;
using Tessera.Core;
using Tessera.Onnx.Proto;

namespace Tessera.Onnx;

/// <summary>Writes the Tessera IR back to ONNX. Initializers are written inline (raw_data).</summary>
public static class OnnxExporter
{
    public static ModelProto ToProto(Model model)
    {
        var proto = new ModelProto
        {
            IrVersion = Math.Max(model.IrVersion, 3),
            ProducerName = string.IsNullOrEmpty(model.ProducerName) ? "tessera" : model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            Domain = model.Domain,
            ModelVersion = model.ModelVersion,
            DocString = model.DocString ?? string.Empty,
            Graph = ToProto(model.Graph),
        };
        foreach (var (domain, version) in model.Opsets)
        {
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        }
        foreach (var (key, value) in model.Metadata) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Save(Model model, string path)
    {
        var bytes = ToProto(model).ToByteArray();
        AtomicFile.WriteAllBytes(path, bytes);
    }

    public static byte[] ToBytes(Model model) => ToProto(model).ToByteArray();

    public static GraphProto ToProto(Graph graph)
    {
        var proto = new GraphProto { Name = graph.Name, DocString = graph.DocString ?? string.Empty };
        foreach (var (name, value) in graph.Initializers)
        {
            proto.Initializer.Add(TensorProtoConverter.ToProto(value.Constant!, name));
        }
        foreach (var input in graph.Inputs) proto.Input.Add(ValueInfo(input));
        foreach (var output in graph.Outputs) proto.Output.Add(ValueInfo(output));
        foreach (var v in graph.ValueInfo) proto.ValueInfo.Add(ValueInfo(v));
        foreach (var node in graph.Nodes) proto.Node.Add(ToProto(node));
        return proto;
    }

    private static ValueInfoProto ValueInfo(Value value)
    {
        var info = new ValueInfoProto { Name = value.Name };
        // ONNX has no "unknown element type": a tensor type whose element type is not known is left out.
        if (value.Type is TensorType { ElementType: DataType.Undefined }) return info;
        var type = TypeConverter.ToProto(value.Type);
        if (type is not null) info.Type = type;
        return info;
    }

    private static NodeProto ToProto(Node node)
    {
        var proto = new NodeProto { OpType = node.OpType, Domain = node.Domain, Name = node.Name };
        foreach (var i in node.Inputs) proto.Input.Add(i?.Name ?? string.Empty);
        foreach (var o in node.Outputs) proto.Output.Add(o?.Name ?? string.Empty);
        foreach (var a in node.Attributes.Values) proto.Attribute.Add(ToProto(a));
        return proto;
    }

    private static AttributeProto ToProto(NodeAttribute a)
    {
        var proto = new AttributeProto { Name = a.Name };
        switch (a.Value)
        {
            case float f: proto.Type = AttributeProto.Types.AttributeType.Float; proto.F = f; break;
            case long l: proto.Type = AttributeProto.Types.AttributeType.Int; proto.I = l; break;
            case string s: proto.Type = AttributeProto.Types.AttributeType.String; proto.S = ByteString.CopyFromUtf8(s); break;
            case Tensor t: proto.Type = AttributeProto.Types.AttributeType.Tensor; proto.T = TensorProtoConverter.ToProto(t, string.Empty); break;
            case Graph g: proto.Type = AttributeProto.Types.AttributeType.Graph; proto.G = ToProto(g); break;
            case float[] fs: proto.Type = AttributeProto.Types.AttributeType.Floats; proto.Floats.AddRange(fs); break;
            case long[] ls: proto.Type = AttributeProto.Types.AttributeType.Ints; proto.Ints.AddRange(ls); break;
            case string[] ss: proto.Type = AttributeProto.Types.AttributeType.Strings; proto.Strings.AddRange(ss.Select(ByteString.CopyFromUtf8)); break;
            case Tensor[] ts: proto.Type = AttributeProto.Types.AttributeType.Tensors; proto.Tensors.AddRange(ts.Select(t => TensorProtoConverter.ToProto(t, string.Empty))); break;
            case Graph[] gs: proto.Type = AttributeProto.Types.AttributeType.Graphs; proto.Graphs.AddRange(gs.Select(ToProto)); break;
            case IrType t: proto.Type = AttributeProto.Types.AttributeType.TypeProto; proto.Tp = TypeConverter.ToProto(t); break;
            case IrType[] ts: proto.Type = AttributeProto.Types.AttributeType.TypeProtos; proto.TypeProtos.AddRange(ts.Select(TypeConverter.ToProto)); break;
            default: throw new NotSupportedException($"attribute '{a.Name}' of kind {a.Kind} cannot be written to ONNX");
        }
        return proto;
    }
}
