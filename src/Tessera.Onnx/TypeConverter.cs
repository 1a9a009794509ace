using Tessera.Core;
using Tessera.Onnx.Proto;

namespace Tessera.Onnx;

/// <summary>Converts ONNX TypeProto to and from <see cref="IrType"/>.</summary>
public static class TypeConverter
{
    public static IrType? ToIrType(TypeProto? proto, string where)
    {
        if (proto is null) return null;
        switch (proto.ValueCase)
        {
            case TypeProto.ValueOneofCase.TensorType:
                var elem = (DataType)proto.TensorType.ElemType;
                if (!Enum.IsDefined(elem)) throw new ModelFormatException($"unknown element type code {proto.TensorType.ElemType}", where);
                return new TensorType(elem, ToShape(proto.TensorType.Shape));
            case TypeProto.ValueOneofCase.SequenceType:
                return new SequenceType(ToIrType(proto.SequenceType.ElemType, where) ?? new TensorType(DataType.Undefined, null));
            case TypeProto.ValueOneofCase.OptionalType:
                return new OptionalType(ToIrType(proto.OptionalType.ElemType, where) ?? new TensorType(DataType.Undefined, null));
            case TypeProto.ValueOneofCase.None:
                return null;
            default:
                throw new UnsupportedException($"{proto.ValueCase} values are not supported", where);
        }
    }

    private static TensorShape? ToShape(TensorShapeProto? shape)
    {
        if (shape is null) return null;
        return new TensorShape(shape.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when d.DimValue >= 0 => Dim.Known(d.DimValue),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => Dim.Symbolic(d.DimParam),
            _ => Dim.Unknown,
        }));
    }

    public static TypeProto? ToProto(IrType? type)
    {
        switch (type)
        {
            case null:
                return null;
            case TensorType t:
                var tensor = new TypeProto.Types.Tensor { ElemType = (int)t.ElementType };
                if (t.Shape is not null)
                {
                    tensor.Shape = new TensorShapeProto();
                    foreach (var d in t.Shape.Dims)
                    {
                        var dim = new TensorShapeProto.Types.Dimension();
                        if (d.IsKnown) dim.DimValue = d.Value;
                        else if (d.Symbol is not null) dim.DimParam = d.Symbol;
                        tensor.Shape.Dim.Add(dim);
                    }
                }
                return new TypeProto { TensorType = tensor };
            case SequenceType s:
                return new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = ToProto(s.ElementType) } };
            case OptionalType o:
                return new TypeProto { OptionalType = new TypeProto.Types.Optional { ElemType = ToProto(o.ElementType) } };
            default:
                throw new NotSupportedException($"type {type} cannot be written to ONNX");
        }
    }
}
