using System.Buffers.Binary;
using Tessera.Core;
using Tessera.TFLite.Schema;

namespace Tessera.TFLite;

/// <summary>Reads .tflite files into the Tessera IR. Activations keep TFLite's NHWC layout, so graph
/// inputs and outputs have exactly the shapes the .tflite file declares; layout-sensitive operators
/// (convolutions, pools) are wrapped in NHWC&lt;-&gt;NCHW transposes at import, which the optimizer's
/// transpose cancelling then removes between neighbours. Weights are permuted once, here.</summary>
public sealed partial class TfLiteImporter
{
    /// <summary>The opset the imported graph is written against (ReduceMean still takes axes as an attribute).</summary>
    public const long Opset = 17;

    private readonly TfLiteModel _file;
    private readonly TfLiteSubgraph _subgraph;
    private readonly string _source;
    private readonly Graph _graph;
    private readonly Value?[] _values;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private TfLiteImporter(TfLiteModel file, string source)
    {
        _file = file;
        _source = source;
        if (file.Subgraphs.Length == 0) throw new ModelFormatException("the model has no subgraph", source);
        _subgraph = file.Subgraphs[0];
        _graph = new Graph { Name = _subgraph.Name };
        _values = new Value?[_subgraph.Tensors.Length];
    }

    /// <summary>Loads a .tflite file.</summary>
    public static Model Load(string path)
    {
        if (Directory.Exists(path)) throw new TesseraException("model file path is a folder, not a file", path, "give the path of the file");
        if (!File.Exists(path)) throw new TesseraException("model file not found", path, "check the path");
        if (new FileInfo(path).Length > int.MaxValue) throw new ModelFormatException("model file is larger than 2 GiB", path);
        var model = Load(File.ReadAllBytes(path), path);
        model.SourcePath = path;
        return model;
    }

    public static Model Load(byte[] bytes, string source = "model") => Import(TfLiteModel.Parse(bytes, source), source);

    public static Model Import(TfLiteModel file, string source)
    {
        var importer = new TfLiteImporter(file, source);
        var model = new Model(importer.Build()) { ProducerName = "tflite", ProducerVersion = file.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), DocString = file.Description };
        model.Opsets[string.Empty] = Opset;
        if (importer._quantizedType is { } quantized) model.Metadata[QuantizedMetadataKey] = quantized == TfLiteType.UInt8 ? "uint8" : "int8";
        return model;
    }

    private Graph Build()
    {
        // Further subgraphs only serve control flow (IF/WHILE/CALL_ONCE), which Convert reports as unsupported.
        DetectQuantizedActivations();
        foreach (var index in _subgraph.Inputs)
        {
            var tensor = _subgraph.Tensors[index];
            var value = new Value(UniqueName(tensor.Name), new TensorType(ElementType(tensor), TensorShape.FromConcrete(tensor.Shape)));
            _values[index] = value;
            _graph.Inputs.Add(value);
        }
        foreach (var op in _subgraph.Operators)
        {
            if (_quantizedType is not null && TouchesQuantized(op)) ConvertQuantized(op);
            else Convert(op);
        }
        foreach (var index in _subgraph.Outputs) _graph.Outputs.Add(ValueOf(index, "a subgraph output"));
        _graph.SortTopologically();
        return _graph;
    }

    private string OperatorName(TfLiteOperator op) => _file.OperatorCodes[op.OpcodeIndex].Name;

    private string UniqueName(string name)
    {
        var candidate = string.IsNullOrEmpty(name) ? "tensor" : name;
        for (int i = 1; !_names.Add(candidate); i++) candidate = $"{name}_{i}";
        return candidate;
    }

    /// <summary>The value of tensor <paramref name="index"/>: an earlier operator's output, a graph input,
    /// or a constant built from the tensor's buffer.</summary>
    private Value ValueOf(int index, string what)
    {
        if (_values[index] is { } known) return known;
        var tensor = _subgraph.Tensors[index];
        var data = ConstantData(tensor) ?? throw new ModelFormatException(
            $"{what} reads tensor '{tensor.Name}', which is neither produced earlier, a graph input, nor constant", _source);
        var value = _graph.AddInitializer(UniqueName(tensor.Name), data);
        _values[index] = value;
        return value;
    }

    /// <summary>The tensor's constant contents, or null when its buffer is empty (an activation).</summary>
    private Tensor? ConstantData(TfLiteTensor tensor)
    {
        var bytes = _file.Buffers[tensor.Buffer];
        if (bytes.Length == 0) return null;
        var type = ElementType(tensor);
        long count = tensor.Shape.Aggregate(1L, (a, d) => a * d);
        if (count * DataTypes.SizeOf(type) != bytes.Length)
        {
            throw new ModelFormatException($"tensor '{tensor.Name}' of shape [{string.Join(",", tensor.Shape)}] and type {tensor.Type} has {bytes.Length} bytes of data", _source);
        }
        int n = (int)count;
        Array array = type switch
        {
            DataType.Float32 => Decode(bytes, n, 4, s => BinaryPrimitives.ReadSingleLittleEndian(s)),
            DataType.Float16 => Decode(bytes, n, 2, s => BinaryPrimitives.ReadHalfLittleEndian(s)),
            DataType.Float64 => Decode(bytes, n, 8, s => BinaryPrimitives.ReadDoubleLittleEndian(s)),
            DataType.Int32 => Decode(bytes, n, 4, s => BinaryPrimitives.ReadInt32LittleEndian(s)),
            DataType.Int64 => Decode(bytes, n, 8, s => BinaryPrimitives.ReadInt64LittleEndian(s)),
            DataType.Int16 => Decode(bytes, n, 2, s => BinaryPrimitives.ReadInt16LittleEndian(s)),
            DataType.Int8 => Decode(bytes, n, 1, s => unchecked((sbyte)s[0])),
            DataType.UInt8 => (byte[])bytes.Clone(),
            DataType.Bool => Decode(bytes, n, 1, s => s[0] != 0),
            _ => throw new UnsupportedException($"constant tensor '{tensor.Name}' has type {tensor.Type}, which is not supported", _source),
        };
        return Tensor.FromArray(type, (int[])tensor.Shape.Clone(), array);
    }

    private delegate T Decoder<T>(ReadOnlySpan<byte> bytes);

    private static T[] Decode<T>(byte[] bytes, int count, int size, Decoder<T> decode)
    {
        var result = new T[count];
        for (int i = 0; i < count; i++) result[i] = decode(bytes.AsSpan(i * size, size));
        return result;
    }

    private DataType ElementType(TfLiteTensor tensor) => tensor.Type switch
    {
        TfLiteType.Float32 => DataType.Float32,
        TfLiteType.Float16 => DataType.Float16,
        TfLiteType.Float64 => DataType.Float64,
        TfLiteType.Int32 => DataType.Int32,
        TfLiteType.Int64 => DataType.Int64,
        TfLiteType.Int16 => DataType.Int16,
        TfLiteType.Int8 => DataType.Int8,
        TfLiteType.UInt8 => DataType.UInt8,
        TfLiteType.Bool => DataType.Bool,
        _ => throw new UnsupportedException($"tensor '{tensor.Name}' has type {tensor.Type}, which is not supported", _source),
    };

    /// <summary>Binds an operator's output tensor to the value that computes it, typed from the file.</summary>
    private Value Output(TfLiteOperator op, int position = 0)
    {
        if (position >= op.Outputs.Length || op.Outputs[position] < 0)
        {
            throw new ModelFormatException($"operator {op.Index} ({OperatorName(op)}) lacks output {position}", _source);
        }
        int index = op.Outputs[position];
        if (_values[index] is not null) throw new ModelFormatException($"tensor {index} is produced twice", _source);
        var tensor = _subgraph.Tensors[index];
        var value = new Value(UniqueName(tensor.Name), new TensorType(ElementType(tensor), TensorShape.FromConcrete(tensor.Shape)));
        _values[index] = value;
        return value;
    }

    /// <summary>A fresh intermediate value the importer introduces (transposes, activations).</summary>
    private Value Temporary(string baseName) => new(UniqueName(baseName));

    private Value Constant(string baseName, Tensor tensor) => _graph.AddInitializer(UniqueName(baseName), tensor);

    private Node Add(string opType, Value?[] inputs, Value output, params NodeAttribute[] attributes)
    {
        var node = _graph.AddNode(opType, inputs, [output], name: output.Name);
        foreach (var a in attributes) node.SetAttribute(a);
        return node;
    }
}
