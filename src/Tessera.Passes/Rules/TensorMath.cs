using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Small tensor helpers the rewrite rules need for editing weights.</summary>
public static class TensorMath
{
    /// <summary>Permutes the axes: result dim i is input dim perm[i].</summary>
    public static Tensor Transpose(Tensor x, int[] perm) => Ops.Fused.ActivationMath.Transpose(x, perm);

    /// <summary>Composition of two Transposes: applying <paramref name="first"/> then <paramref name="second"/>.</summary>
    public static int[] Compose(int[] first, int[] second) => second.Select(s => first[s]).ToArray();

    public static int[] Inverse(int[] perm)
    {
        var inverse = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        return inverse;
    }

    public static bool IsIdentity(int[] perm) => perm.Select((p, i) => p == i).All(b => b);

    /// <summary>The values of a constant that scales or shifts channel <c>c</c> of a rank-<paramref name="rank"/>
    /// NC... tensor: a scalar, or a shape like [C,1,1] / [1,C,1,1]. Null when it broadcasts any other way.</summary>
    public static double[]? PerChannel(Tensor constant, int rank, int channels)
    {
        if (!DataTypes.IsFloat(constant.DataType) || constant.Rank > rank) return null;
        if (constant.Length == 1) return Enumerable.Repeat(constant.GetDouble(0), channels).ToArray();
        var padded = Enumerable.Repeat(1, rank - constant.Rank).Concat(constant.Shape).ToArray();
        if (rank < 2 || padded[0] != 1 || padded[1] != channels || padded.Skip(2).Any(d => d != 1)) return null;
        return constant.ToDoubleArray();
    }
}
