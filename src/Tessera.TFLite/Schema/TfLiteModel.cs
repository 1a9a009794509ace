using Google.FlatBuffers;
using Tessera.Core;

namespace Tessera.TFLite.Schema;

/// <summary>Element types of TFLite tensors (schema.fbs enum TensorType).</summary>
public enum TfLiteType : sbyte
{
    Float32 = 0, Float16 = 1, Int32 = 2, UInt8 = 3, Int64 = 4, String = 5, Bool = 6, Int16 = 7,
    Complex64 = 8, Int8 = 9, Float64 = 10, Complex128 = 11, UInt64 = 12, Resource = 13, Variant = 14,
    UInt32 = 15, UInt16 = 16, Int4 = 17,
}

/// <summary>Affine quantization of a tensor: real = scale * (q - zero_point), per tensor (one scale) or
/// per channel along <see cref="QuantizedDimension"/> (one scale per channel).</summary>
public sealed record TfLiteQuantization(float[] Scale, long[] ZeroPoint, int QuantizedDimension, float[] Min, float[] Max)
{
    public bool IsPerChannel => Scale.Length > 1;
}

public sealed record TfLiteTensor(int Index, string Name, int[] Shape, TfLiteType Type, int Buffer, TfLiteQuantization? Quantization, bool IsVariable);

/// <summary>An operator: which code it runs, its tensor indices (-1 = omitted optional input) and its options table.</summary>
public sealed record TfLiteOperator(int Index, int OpcodeIndex, int[] Inputs, int[] Outputs, byte OptionsType, FlatTable? Options, byte[] CustomOptions);

/// <summary>An operator code: the builtin operator number, or CUSTOM with a name.</summary>
public sealed record TfLiteOperatorCode(int Builtin, string? CustomCode, int Version)
{
    public const int Custom = 32;

    public string Name => Builtin == Custom ? CustomCode ?? "custom" : BuiltinOperators.Name(Builtin);
}

public sealed record TfLiteSubgraph(string Name, TfLiteTensor[] Tensors, int[] Inputs, int[] Outputs, TfLiteOperator[] Operators);

/// <summary>A parsed .tflite file (schema.fbs table Model), kept close to the file so the importer and
/// tools can inspect exactly what it holds, quantization parameters included.</summary>
public sealed class TfLiteModel
{
    /// <summary>Most tensors / operators / subgraphs accepted in one file: far above real models, low
    /// enough that a hostile file cannot make the importer allocate without bound.</summary>
    public const int MaxEntries = 1 << 20;

    public required uint Version { get; init; }

    public required string Description { get; init; }

    public required TfLiteOperatorCode[] OperatorCodes { get; init; }

    public required TfLiteSubgraph[] Subgraphs { get; init; }

    /// <summary>Raw bytes of each buffer; buffer 0 is by convention empty.</summary>
    public required byte[][] Buffers { get; init; }

    public static TfLiteModel Parse(byte[] bytes, string source)
    {
        if (bytes.Length < 8) throw new ModelFormatException("file is too short to be a TFLite model", source, "the file may be truncated or not a .tflite model");
        if (bytes[4] != 'T' || bytes[5] != 'F' || bytes[6] != 'L' || bytes[7] != '3')
        {
            throw new ModelFormatException("file does not carry the TFLite identifier 'TFL3'", source, "the file may be truncated or not a .tflite model");
        }
        var buffer = new ByteBuffer(bytes);
        try
        {
            return Read(buffer, bytes, source);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            throw new ModelFormatException($"malformed TFLite file ({e.Message.Split('\n')[0].TrimEnd('.')})", source, "the file may be truncated or not a .tflite model", e);
        }
    }

    private static TfLiteModel Read(ByteBuffer buffer, byte[] bytes, string source)
    {
        // Model fields: 0 version, 1 operator_codes, 2 subgraphs, 3 description, 4 buffers.
        var root = new FlatTable(buffer, (int)buffer.GetUint(0), source);
        var codes = Bounded(root.Tables(1, "operator code"), "operator codes", source).Select(c => new TfLiteOperatorCode(
            // OperatorCode fields: 0 deprecated_builtin_code (byte), 1 custom_code, 2 version, 3 builtin_code (int).
            Math.Max(c.SByte(0), c.Int(3)), c.String(1), c.Int(2, 1))).ToArray();
        var subgraphs = Bounded(root.Tables(2, "subgraph"), "subgraphs", source).Select((s, i) => ReadSubgraph(s, i, codes.Length)).ToArray();
        var buffers = Bounded(root.Tables(4, "buffer"), "buffers", source).Select(b => ReadBuffer(b, bytes)).ToArray();
        var model = new TfLiteModel
        {
            Version = root.UInt(0),
            Description = root.String(3) ?? string.Empty,
            OperatorCodes = codes,
            Subgraphs = subgraphs,
            Buffers = buffers,
        };
        model.Validate(source);
        return model;
    }

    private static T[] Bounded<T>(T[] items, string what, string source) => items.Length <= MaxEntries
        ? items
        : throw new ModelFormatException($"the file declares {items.Length} {what}, more than {MaxEntries}", source);

    private static TfLiteSubgraph ReadSubgraph(FlatTable table, int index, int codeCount)
    {
        // SubGraph fields: 0 tensors, 1 inputs, 2 outputs, 3 operators, 4 name.
        var tensors = table.Tables(0, "tensor").Select((t, i) => ReadTensor(t, i)).ToArray();
        var operators = table.Tables(3, "operator").Select((o, i) => new TfLiteOperator(
            // Operator fields: 0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type, 4 builtin_options, 5 custom_options.
            i, (int)Math.Min(o.UInt(0), int.MaxValue), o.Ints(1), o.Ints(2), o.Byte(3), o.Table(4, $"options of operator {i}"), o.Bytes(5))).ToArray();
        return new TfLiteSubgraph(table.String(4) ?? $"subgraph{index}", tensors, table.Ints(1), table.Ints(2), operators);
    }

    private static TfLiteTensor ReadTensor(FlatTable table, int index)
    {
        // Tensor fields: 0 shape, 1 type, 2 buffer, 3 name, 4 quantization, 5 is_variable.
        TfLiteQuantization? quantization = null;
        if (table.Table(4, $"quantization of tensor {index}") is { } q)
        {
            // QuantizationParameters fields: 0 min, 1 max, 2 scale, 3 zero_point, 4-5 details (union), 6 quantized_dimension.
            var scale = q.Floats(2);
            if (scale.Length > 0) quantization = new TfLiteQuantization(scale, q.Longs(3), q.Int(6), q.Floats(0), q.Floats(1));
        }
        return new TfLiteTensor(index, table.String(3) ?? $"tensor{index}", table.Ints(0), (TfLiteType)table.SByte(1),
            (int)Math.Min(table.UInt(2), int.MaxValue), quantization, table.Bool(5));
    }

    private static byte[] ReadBuffer(FlatTable table, byte[] file)
    {
        // Buffer fields: 0 data, 1 offset, 2 size (offset/size place data after the flatbuffer in files over 2 GiB).
        ulong offset = table.ULong(1), size = table.ULong(2);
        if (offset > 1)
        {
            if (offset > (ulong)file.Length || size > (ulong)file.Length - offset)
            {
                throw new ModelFormatException($"a buffer's data ({size} bytes at {offset}) lies outside the file", table.Where);
            }
            return file.AsSpan((int)offset, (int)size).ToArray();
        }
        return table.Bytes(0);
    }

    /// <summary>Checks every index in the file (tensor, buffer, operator code) before anything uses it.</summary>
    private void Validate(string source)
    {
        foreach (var graph in Subgraphs)
        {
            string where = $"{source}, subgraph '{graph.Name}'";
            foreach (var t in graph.Tensors)
            {
                if (t.Buffer >= Buffers.Length) throw new ModelFormatException($"tensor '{t.Name}' uses buffer {t.Buffer}, but the file has {Buffers.Length}", where);
                if (t.Shape.Any(d => d < 0)) throw new ModelFormatException($"tensor '{t.Name}' has a negative dimension", where);
                if (t.Quantization is { } q && q.ZeroPoint.Length != 0 && q.ZeroPoint.Length != q.Scale.Length)
                {
                    throw new ModelFormatException($"tensor '{t.Name}' has {q.Scale.Length} scales but {q.ZeroPoint.Length} zero points", where);
                }
            }
            void CheckTensors(IEnumerable<int> indices, string what, bool optional)
            {
                foreach (var i in indices)
                {
                    if ((optional && i == -1) || (i >= 0 && i < graph.Tensors.Length)) continue;
                    throw new ModelFormatException($"{what} refers to tensor {i}, but the subgraph has {graph.Tensors.Length}", where);
                }
            }
            CheckTensors(graph.Inputs, "a subgraph input", false);
            CheckTensors(graph.Outputs, "a subgraph output", false);
            foreach (var op in graph.Operators)
            {
                if (op.OpcodeIndex >= OperatorCodes.Length)
                {
                    throw new ModelFormatException($"operator {op.Index} uses operator code {op.OpcodeIndex}, but the file has {OperatorCodes.Length}", where);
                }
                CheckTensors(op.Inputs, $"operator {op.Index} ({OperatorCodes[op.OpcodeIndex].Name}) input", true);
                CheckTensors(op.Outputs, $"operator {op.Index} ({OperatorCodes[op.OpcodeIndex].Name}) output", true);
            }
        }
    }
}
