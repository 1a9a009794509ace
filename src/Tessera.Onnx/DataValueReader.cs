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
                _ => AsDeclared(TensorProtoConverter.ToTensor(TensorProto.Parser.ParseFrom(bytes), null, path), expected),
            };
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFormatException($"not a serialized ONNX value ({e.Message})", path, null, e);
        }
    }

    /// <summary>ONNX test data written before numpy had bfloat16 stores bfloat16 values as their uint16 bit
    /// patterns; where the graph declares bfloat16, those bits are read as bfloat16.</summary>
    private static Tensor AsDeclared(Tensor tensor, IrType? expected)
    {
        if (expected is not TensorType { ElementType: DataType.BFloat16 } || tensor.DataType != DataType.UInt16) return tensor;
        var bits = tensor.As<ushort>();
        var values = new BFloat16[bits.Length];
        for (int i = 0; i < bits.Length; i++) values[i] = BFloat16.FromBits(bits[i]);
        return Tensor.Create(tensor.Shape, values);
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
