using System.Numerics;
using Tessera.Core;

namespace Tessera.Ops;

/// <summary>A scalar function on floating-point values. Implemented by small structs so that the generic
/// loops below are specialized and inlined by the JIT (no per-element virtual call), as TensorPrimitives does.</summary>
public interface IFloatFunction
{
    T Invoke<T>(T x) where T : IFloatingPointIeee754<T>;
}

/// <summary>A scalar function defined for every numeric type (integers wrap as in C).</summary>
public interface INumberFunction
{
    T Invoke<T>(T x) where T : INumber<T>;
}

/// <summary>A binary function defined for every numeric type.</summary>
public interface IBinaryNumberFunction
{
    T Invoke<T>(T a, T b) where T : INumber<T>;
}

/// <summary>A binary predicate defined for every numeric type.</summary>
public interface IComparisonFunction
{
    bool Invoke<T>(T a, T b) where T : INumber<T>;
}

/// <summary>A binary function on integer types (bitwise operations).</summary>
public interface IBinaryIntegerFunction
{
    T Invoke<T>(T a, T b) where T : IBinaryInteger<T>;
}

/// <summary>A binary function on concrete element types, used by <see cref="ElementwiseKernels.BroadcastLoop"/>.</summary>
public interface IBinaryFunction<TA, TB, TResult>
{
    TResult Invoke(TA a, TB b);
}

/// <summary>Typed element-wise loops with numpy broadcasting. float32 and float64 run in their own type;
/// float16 and bfloat16 are widened to float32, computed, and rounded once (to nearest even) on the way back.
/// Dispatch is on <see cref="DataType"/>, never on the array's CLR type: the CLR lets a byte[] pass a type test
/// for sbyte[] (likewise ushort/short, uint/int, ulong/long).</summary>
public static class ElementwiseKernels
{
    /// <summary>out = f(x) for floating-point tensors; other element types are unsupported.</summary>
    public static Tensor Map<TF>(Tensor x, TF f) where TF : struct, IFloatFunction => x.DataType switch
    {
        DataType.Float32 => Tensor.Create(x.Shape, MapArray<float, TF>(x.As<float>(), f)),
        DataType.Float64 => Tensor.Create(x.Shape, MapArray<double, TF>(x.As<double>(), f)),
        DataType.Float16 or DataType.BFloat16 => Map(x.CastTo(DataType.Float32), f).CastTo(x.DataType),
        _ => throw UnsupportedType(x.DataType),
    };

    private static T[] MapArray<T, TF>(T[] x, TF f) where T : IFloatingPointIeee754<T> where TF : struct, IFloatFunction
    {
        var result = new T[x.Length];
        for (int i = 0; i < x.Length; i++) result[i] = f.Invoke(x[i]);
        return result;
    }

    /// <summary>out = f(x) for every numeric tensor type.</summary>
    public static Tensor MapNumber<TF>(Tensor x, TF f) where TF : struct, INumberFunction => x.DataType switch
    {
        DataType.Float32 => Tensor.Create(x.Shape, MapNumberArray<float, TF>(x.As<float>(), f)),
        DataType.Float64 => Tensor.Create(x.Shape, MapNumberArray<double, TF>(x.As<double>(), f)),
        DataType.Float16 or DataType.BFloat16 => MapNumber(x.CastTo(DataType.Float32), f).CastTo(x.DataType),
        DataType.Int8 => Tensor.Create(x.Shape, MapNumberArray<sbyte, TF>(x.As<sbyte>(), f)),
        DataType.UInt8 => Tensor.Create(x.Shape, MapNumberArray<byte, TF>(x.As<byte>(), f)),
        DataType.Int16 => Tensor.Create(x.Shape, MapNumberArray<short, TF>(x.As<short>(), f)),
        DataType.UInt16 => Tensor.Create(x.Shape, MapNumberArray<ushort, TF>(x.As<ushort>(), f)),
        DataType.Int32 => Tensor.Create(x.Shape, MapNumberArray<int, TF>(x.As<int>(), f)),
        DataType.UInt32 => Tensor.Create(x.Shape, MapNumberArray<uint, TF>(x.As<uint>(), f)),
        DataType.Int64 => Tensor.Create(x.Shape, MapNumberArray<long, TF>(x.As<long>(), f)),
        DataType.UInt64 => Tensor.Create(x.Shape, MapNumberArray<ulong, TF>(x.As<ulong>(), f)),
        _ => throw UnsupportedType(x.DataType),
    };

    private static T[] MapNumberArray<T, TF>(T[] x, TF f) where T : INumber<T> where TF : struct, INumberFunction
    {
        var result = new T[x.Length];
        for (int i = 0; i < x.Length; i++) result[i] = f.Invoke(x[i]);
        return result;
    }

    /// <summary>Broadcasting out = f(a, b) for two tensors of the same numeric type.</summary>
    public static Tensor Binary<TF>(Tensor a, Tensor b, TF f) where TF : struct, IBinaryNumberFunction
    {
        RequireSameType(a, b);
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        return a.DataType switch
        {
            DataType.Float32 => BinaryTyped<float, TF>(a, b, shape, f),
            DataType.Float64 => BinaryTyped<double, TF>(a, b, shape, f),
            DataType.Float16 or DataType.BFloat16 => Binary(a.CastTo(DataType.Float32), b.CastTo(DataType.Float32), f).CastTo(a.DataType),
            DataType.Int8 => BinaryTyped<sbyte, TF>(a, b, shape, f),
            DataType.UInt8 => BinaryTyped<byte, TF>(a, b, shape, f),
            DataType.Int16 => BinaryTyped<short, TF>(a, b, shape, f),
            DataType.UInt16 => BinaryTyped<ushort, TF>(a, b, shape, f),
            DataType.Int32 => BinaryTyped<int, TF>(a, b, shape, f),
            DataType.UInt32 => BinaryTyped<uint, TF>(a, b, shape, f),
            DataType.Int64 => BinaryTyped<long, TF>(a, b, shape, f),
            DataType.UInt64 => BinaryTyped<ulong, TF>(a, b, shape, f),
            _ => throw UnsupportedType(a.DataType),
        };
    }

    private static Tensor BinaryTyped<T, TF>(Tensor a, Tensor b, int[] shape, TF f)
        where T : INumber<T> where TF : struct, IBinaryNumberFunction
    {
        var result = new T[OutputLength(shape)];
        BroadcastLoop<T, T, T, NumberAdapter<T, TF>>(a.As<T>(), a.Shape, b.As<T>(), b.Shape, result, shape, new(f));
        return Tensor.Create(shape, result);
    }

    /// <summary>Broadcasting comparison producing bool; bool inputs compare as 0/1.</summary>
    public static Tensor Compare<TF>(Tensor a, Tensor b, TF f) where TF : struct, IComparisonFunction
    {
        RequireSameType(a, b);
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        return a.DataType switch
        {
            DataType.Float32 => CompareTyped<float, TF>(a, b, shape, f),
            DataType.Float64 => CompareTyped<double, TF>(a, b, shape, f),
            DataType.Float16 or DataType.BFloat16 or DataType.Bool => Compare(a.CastTo(DataType.Float32), b.CastTo(DataType.Float32), f),
            DataType.Int8 => CompareTyped<sbyte, TF>(a, b, shape, f),
            DataType.UInt8 => CompareTyped<byte, TF>(a, b, shape, f),
            DataType.Int16 => CompareTyped<short, TF>(a, b, shape, f),
            DataType.UInt16 => CompareTyped<ushort, TF>(a, b, shape, f),
            DataType.Int32 => CompareTyped<int, TF>(a, b, shape, f),
            DataType.UInt32 => CompareTyped<uint, TF>(a, b, shape, f),
            DataType.Int64 => CompareTyped<long, TF>(a, b, shape, f),
            DataType.UInt64 => CompareTyped<ulong, TF>(a, b, shape, f),
            _ => throw UnsupportedType(a.DataType),
        };
    }

    private static Tensor CompareTyped<T, TF>(Tensor a, Tensor b, int[] shape, TF f)
        where T : INumber<T> where TF : struct, IComparisonFunction
    {
        var result = new bool[OutputLength(shape)];
        BroadcastLoop<T, T, bool, ComparisonAdapter<T, TF>>(a.As<T>(), a.Shape, b.As<T>(), b.Shape, result, shape, new(f));
        return Tensor.Create(shape, result);
    }

    /// <summary>Broadcasting out = f(a, b) for two tensors of the same integer type.</summary>
    public static Tensor BinaryInteger<TF>(Tensor a, Tensor b, TF f) where TF : struct, IBinaryIntegerFunction
    {
        RequireSameType(a, b);
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        return a.DataType switch
        {
            DataType.Int8 => IntegerTyped<sbyte, TF>(a, b, shape, f),
            DataType.UInt8 => IntegerTyped<byte, TF>(a, b, shape, f),
            DataType.Int16 => IntegerTyped<short, TF>(a, b, shape, f),
            DataType.UInt16 => IntegerTyped<ushort, TF>(a, b, shape, f),
            DataType.Int32 => IntegerTyped<int, TF>(a, b, shape, f),
            DataType.UInt32 => IntegerTyped<uint, TF>(a, b, shape, f),
            DataType.Int64 => IntegerTyped<long, TF>(a, b, shape, f),
            DataType.UInt64 => IntegerTyped<ulong, TF>(a, b, shape, f),
            _ => throw UnsupportedType(a.DataType),
        };
    }

    private static Tensor IntegerTyped<T, TF>(Tensor a, Tensor b, int[] shape, TF f)
        where T : IBinaryInteger<T> where TF : struct, IBinaryIntegerFunction
    {
        var result = new T[OutputLength(shape)];
        BroadcastLoop<T, T, T, IntegerAdapter<T, TF>>(a.As<T>(), a.Shape, b.As<T>(), b.Shape, result, shape, new(f));
        return Tensor.Create(shape, result);
    }

    /// <summary>result[i] = f(a[ia], b[ib]) over the broadcast of the two shapes (numpy rules; the caller
    /// sizes <paramref name="result"/> to <paramref name="outShape"/>). Dims where both operands are laid out
    /// alike are merged so the inner loop runs over long contiguous or repeated rows.</summary>
    public static void BroadcastLoop<TA, TB, TR, TF>(ReadOnlySpan<TA> a, int[] aShape, ReadOnlySpan<TB> b, int[] bShape, Span<TR> result, int[] outShape, TF f)
        where TF : struct, IBinaryFunction<TA, TB, TR>
    {
        int count = result.Length;
        if (count == 0) return;
        if (a.Length == count && b.Length == count)
        {
            for (int i = 0; i < count; i++) result[i] = f.Invoke(a[i], b[i]);
            return;
        }
        if (a.Length == count && b.Length == 1)
        {
            var scalar = b[0];
            for (int i = 0; i < count; i++) result[i] = f.Invoke(a[i], scalar);
            return;
        }
        if (a.Length == 1 && b.Length == count)
        {
            var scalar = a[0];
            for (int i = 0; i < count; i++) result[i] = f.Invoke(scalar, b[i]);
            return;
        }
        var dims = CoalescedDims(aShape, bShape, outShape);
        var (n, innerA, innerB) = dims[^1];
        int outer = dims.Count - 1;
        var index = new int[outer];
        int offsetA = 0, offsetB = 0;
        for (int o = 0; o < count; o += n)
        {
            var row = result.Slice(o, n);
            if (innerA == 1 && innerB == 1)
            {
                var ra = a.Slice(offsetA, n);
                var rb = b.Slice(offsetB, n);
                for (int j = 0; j < row.Length; j++) row[j] = f.Invoke(ra[j], rb[j]);
            }
            else if (innerB == 0)
            {
                var vb = b[offsetB];
                for (int j = 0; j < row.Length; j++) row[j] = f.Invoke(a[offsetA + j * innerA], vb);
            }
            else
            {
                var va = a[offsetA];
                for (int j = 0; j < row.Length; j++) row[j] = f.Invoke(va, b[offsetB + j * innerB]);
            }
            for (int k = outer - 1; k >= 0; k--)
            {
                var (size, strideA, strideB) = dims[k];
                offsetA += strideA;
                offsetB += strideB;
                if (++index[k] < size) break;
                offsetA -= strideA * size;
                offsetB -= strideB * size;
                index[k] = 0;
            }
        }
    }

    /// <summary>(size, stride in a, stride in b) per output dim, size-1 dims dropped and adjacent dims merged
    /// where both operands are contiguous (or both repeated) across them. Never empty.</summary>
    private static List<(int Size, int StrideA, int StrideB)> CoalescedDims(int[] aShape, int[] bShape, int[] outShape)
    {
        var stridesA = BroadcastStrides(aShape, outShape);
        var stridesB = BroadcastStrides(bShape, outShape);
        var dims = new List<(int Size, int StrideA, int StrideB)>();
        for (int d = 0; d < outShape.Length; d++)
        {
            int size = outShape[d];
            if (size == 1) continue;
            if (dims.Count > 0)
            {
                var last = dims[^1];
                if (last.StrideA == stridesA[d] * size && last.StrideB == stridesB[d] * size)
                {
                    dims[^1] = (last.Size * size, stridesA[d], stridesB[d]);
                    continue;
                }
            }
            dims.Add((size, stridesA[d], stridesB[d]));
        }
        if (dims.Count == 0) dims.Add((1, 0, 0));
        return dims;
    }

    /// <summary>Strides (in elements) of an input seen with the output's rank; 0 where the input repeats.</summary>
    public static int[] BroadcastStrides(int[] inShape, int[] outShape)
    {
        int rank = outShape.Length, offset = rank - inShape.Length;
        var strides = new int[rank];
        int s = 1;
        for (int d = rank - 1; d >= offset; d--)
        {
            int size = inShape[d - offset];
            strides[d] = size == 1 ? 0 : s;
            s *= size;
        }
        return strides;
    }

    /// <summary>Element count of a broadcast result, refusing sizes no tensor may have (an [N,1] by [1,M]
    /// broadcast can exceed both inputs by far).</summary>
    public static int OutputLength(int[] shape)
    {
        long count = ShapeMath.ElementCount(shape);
        if (count > Tensor.MaxElements) throw new InvalidInputException($"broadcast result of shape {ShapeMath.Format(shape)} is too large");
        return (int)count;
    }

    public static UnsupportedException UnsupportedType(DataType type) =>
        new($"element type {DataTypes.Name(type)} is not supported by this operator in the reference backend");

    private static void RequireSameType(Tensor a, Tensor b)
    {
        if (a.DataType != b.DataType)
        {
            throw new InvalidInputException($"inputs have different element types {DataTypes.Name(a.DataType)} and {DataTypes.Name(b.DataType)}");
        }
    }

    private readonly struct NumberAdapter<T, TF>(TF f) : IBinaryFunction<T, T, T>
        where T : INumber<T> where TF : struct, IBinaryNumberFunction
    {
        public T Invoke(T a, T b) => f.Invoke(a, b);
    }

    private readonly struct ComparisonAdapter<T, TF>(TF f) : IBinaryFunction<T, T, bool>
        where T : INumber<T> where TF : struct, IComparisonFunction
    {
        public bool Invoke(T a, T b) => f.Invoke(a, b);
    }

    private readonly struct IntegerAdapter<T, TF>(TF f) : IBinaryFunction<T, T, T>
        where T : IBinaryInteger<T> where TF : struct, IBinaryIntegerFunction
    {
        public T Invoke(T a, T b) => f.Invoke(a, b);
    }
}
