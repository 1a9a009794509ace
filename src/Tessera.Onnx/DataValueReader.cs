using Google.Protobuf;
using Tessera.Core;
using Tessera.Onnx.Proto;

namespace Tessera.Onnx;

/// <summary>Reads the serialized values of the ONNX backend test data: TensorProto, SequenceProto or
/// OptionalProto, chosen by the declared type of the graph input or output.</summary>
public static class DataValueReader
{
    public static DataValue Read(string path, IrType? expected)
    {
        var bytes = ModelFiles.ReadAllBytes(path, "test data file");
        try
        {
            return expected switch
            {
                SequenceType => FromSequence(SequenceProto.Parser.ParseFrom(bytes), path),
                OptionalType o => FromOptional(OptionalProto.Parser.ParseFrom(bytes), o, path),
                _ => TensorProtoConverter.ToTensor(TensorProto.Parser.ParseFrom(bytes), null, path),
            };
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFormatException($"not a serialized ONNX value ({e.Message})", path, null, e);
        }
    }

    private static SequenceValue FromSequence(SequenceProto proto, string where)
    {
        var items = proto.TensorValues.Select(t => TensorProtoConverter.ToTensor(t, null, where)).ToList();
        if (proto.SequenceValues.Count > 0 || proto.MapValues.Count > 0)
        {
            throw new UnsupportedException("sequences of sequences or maps are not supported", where);
        }
        var elementType = items.Count > 0 ? items[0].DataType : DataType.Float32;
        return new SequenceValue(elementType, items);
    }

    private static OptionalValue FromOptional(OptionalProto proto, OptionalType type, string where)
    {
        DataValue? value = proto.ElemType switch
        {
            (int)OptionalProto.Types.DataType.Tensor when proto.TensorValue is not null => TensorProtoConverter.ToTensor(proto.TensorValue, null, where),
            (int)OptionalProto.Types.DataType.Sequence when proto.SequenceValue is not null => FromSequence(proto.SequenceValue, where),
            _ => null,
        };
        return new OptionalValue(type.ElementType, value);
    }
}
