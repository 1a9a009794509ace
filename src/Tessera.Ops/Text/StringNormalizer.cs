using Tessera.Core;

namespace Tessera.Ops.Text;

/// <summary>StringNormalizer: drops stopwords (compared exactly, or ignoring case when
/// is_case_sensitive = 0, the default), then applies case_change_action (NONE, LOWER, UPPER) with
/// invariant-culture casing. Input is [C] or [1, C]; when every string is dropped the output holds one
/// empty string ([1] or [1, 1]).</summary>
[Op("StringNormalizer")]
public sealed class StringNormalizer : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.DataType != DataType.String) throw context.Invalid($"input must be strings, got {DataTypes.Name(x.DataType)}");
        if (!(x.Rank == 1 || (x.Rank == 2 && x.Shape[0] == 1))) throw context.Invalid($"input must be [C] or [1, C], got {ShapeMath.Format(x.Shape)}");
        string action = context.GetString("case_change_action", "NONE");
        if (action is not ("NONE" or "LOWER" or "UPPER")) throw context.Invalid($"case_change_action '{action}'");
        bool caseSensitive = context.GetInt("is_case_sensitive", 0) != 0;
        var comparer = caseSensitive ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;
        var stopwords = new HashSet<string>(context.GetStrings("stopwords") ?? [], comparer);
        var kept = x.As<string>().Where(s => !stopwords.Contains(s)).Select(s => action switch
        {
            "LOWER" => s.ToLowerInvariant(),
            "UPPER" => s.ToUpperInvariant(),
            _ => s,
        }).ToArray();
        if (kept.Length == 0) kept = [string.Empty];
        int[] shape = x.Rank == 1 ? [kept.Length] : [1, kept.Length];
        context.SetOutput(0, Tensor.Create(shape, kept));
    }

    public override void InferTypes(InferenceContext context)
    {
        int rank = context.InputTensorType(0)?.Shape?.Rank ?? 1;
        context.SetOutput(0, DataType.String, rank == 2 ? new TensorShape([1, Dim.Unknown]) : new TensorShape([Dim.Unknown]));
    }
}
