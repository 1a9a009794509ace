using Tessera.Core;

namespace Tessera.Runtime;

/// <summary>Checks a user-supplied value against a graph input's declared type, binding symbolic dims
/// so that every use of one symbol has the same size.</summary>
internal static class InputValidation
{
    public static void Check(Value input, DataValue data, Dictionary<string, long> bound)
    {
        try
        {
            CheckType(input, data, bound);
        }
        catch (InvalidInputException e) when (e.Where == "")
        {
            throw new InvalidInputException(e.Message, $"input '{input.Name}'", e.Hint);
        }
    }

    private static void CheckType(Value input, DataValue data, Dictionary<string, long> bound)
    {
        // Built only when a check fails: a string per call would be an allocation per inference.
        string where = "";
        switch (input.Type)
        {
            case TensorType declared when data is Tensor tensor:
                if (declared.ElementType != DataType.Undefined && declared.ElementType != tensor.DataType)
                {
                    throw new InvalidInputException(
                        $"has element type {DataTypes.Name(tensor.DataType)} but the model expects {DataTypes.Name(declared.ElementType)}",
                        where, $"convert the data to {DataTypes.Name(declared.ElementType)}");
                }
                if (declared.Shape is null) return;
                if (declared.Shape.Rank != tensor.Rank)
                {
                    throw new InvalidInputException(
                        $"has shape {ShapeMath.Format(tensor.Shape)} but the model expects rank {declared.Shape.Rank} {declared.Shape}", where);
                }
                for (int d = 0; d < tensor.Rank; d++)
                {
                    var dim = declared.Shape[d];
                    if (dim.IsKnown && dim.Value != tensor.Shape[d])
                    {
                        throw new InvalidInputException(
                            $"has shape {ShapeMath.Format(tensor.Shape)} but the model expects {declared.Shape} (dim {d})", where);
                    }
                    if (dim.Symbol is { } symbol)
                    {
                        if (bound.TryGetValue(symbol, out var size) && size != tensor.Shape[d])
                        {
                            throw new InvalidInputException(
                                $"dim {d} is {tensor.Shape[d]} but symbol '{symbol}' is already bound to {size} by another input", where);
                        }
                        bound[symbol] = tensor.Shape[d];
                    }
                }
                return;
            case TensorType when data is not Tensor:
                throw new InvalidInputException($"expects a tensor but was given {data}", where);
            case SequenceType when data is not SequenceValue:
                throw new InvalidInputException($"expects a sequence but was given {data}", where);
            default:
                return;
        }
    }
}
