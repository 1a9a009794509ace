using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Type-agnostic element copies for data-movement kernels. One typed instance per CLR element
/// type, so the inner loops run over T[] without per-element conversion or virtual calls (a virtual call
/// happens once per row).</summary>
internal abstract class ElementMover
{
    private static readonly Dictionary<Type, ElementMover> Movers = new()
    {
        [typeof(float)] = new Mover<float>(),
        [typeof(double)] = new Mover<double>(),
        [typeof(Half)] = new Mover<Half>(),
        [typeof(BFloat16)] = new Mover<BFloat16>(),
        [typeof(sbyte)] = new Mover<sbyte>(),
        [typeof(byte)] = new Mover<byte>(),
        [typeof(short)] = new Mover<short>(),
        [typeof(ushort)] = new Mover<ushort>(),
        [typeof(int)] = new Mover<int>(),
        [typeof(uint)] = new Mover<uint>(),
        [typeof(long)] = new Mover<long>(),
        [typeof(ulong)] = new Mover<ulong>(),
        [typeof(bool)] = new Mover<bool>(),
        [typeof(string)] = new Mover<string>(),
    };

    public static ElementMover For(Array array) =>
        Movers.TryGetValue(array.GetType().GetElementType()!, out var m)
            ? m
            : throw new UnsupportedException($"arrays of {array.GetType().GetElementType()} cannot be moved");

    /// <summary>dst[dstStart + j] = src[srcStart + j * stride] for j in [0, count).</summary>
    public abstract void CopyStrided(Array src, int srcStart, int stride, Array dst, int dstStart, int count);

    /// <summary>dst[dstStart + j] = src[srcBase + index[j]] where index[j] is not negative; negative entries are skipped.</summary>
    public abstract void CopyIndexed(Array src, int srcBase, int[] index, Array dst, int dstStart);

    /// <summary>dst[j] = src[map[j]] for every j (map entries must be valid).</summary>
    public abstract void Gather(Array src, int[] map, Array dst);

    /// <summary>Fills dst with element <paramref name="sourceIndex"/> of <paramref name="source"/>.</summary>
    public abstract void Fill(Array dst, Array source, int sourceIndex);

    private sealed class Mover<T> : ElementMover
    {
        public override void CopyStrided(Array src, int srcStart, int stride, Array dst, int dstStart, int count)
        {
            if (stride == 1)
            {
                Array.Copy(src, srcStart, dst, dstStart, count);
                return;
            }
            var s = (T[])src;
            var d = (T[])dst;
            for (int j = 0; j < count; j++) d[dstStart + j] = s[srcStart + j * stride];
        }

        public override void CopyIndexed(Array src, int srcBase, int[] index, Array dst, int dstStart)
        {
            var s = (T[])src;
            var d = (T[])dst;
            for (int j = 0; j < index.Length; j++)
            {
                int k = index[j];
                if (k >= 0) d[dstStart + j] = s[srcBase + k];
            }
        }

        public override void Gather(Array src, int[] map, Array dst)
        {
            var s = (T[])src;
            var d = (T[])dst;
            for (int j = 0; j < map.Length; j++) d[j] = s[map[j]];
        }

        public override void Fill(Array dst, Array source, int sourceIndex) => Array.Fill((T[])dst, ((T[])source)[sourceIndex]);
    }
}
