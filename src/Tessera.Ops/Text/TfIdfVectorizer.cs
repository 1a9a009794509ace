using Tessera.Core;

namespace Tessera.Ops.Text;

/// <summary>TfIdfVectorizer: counts the pool's n-grams (min_gram_length..max_gram_length, items
/// max_skip_count+1 apart at most) in each row of an int or string input [C] or [N, C], then reports
/// TF (counts), IDF (weight where present) or TFIDF (count × weight) at ngram_indexes. The pool lists
/// the 1-grams, then the 2-grams, ..., starting at the offsets in ngram_counts. Unigrams are counted
/// once regardless of the skip distance.</summary>
[Op("TfIdfVectorizer")]
public sealed class TfIdfVectorizer : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int minGram = (int)context.GetInt("min_gram_length"), maxGram = (int)context.GetInt("max_gram_length");
        int maxSkip = (int)context.GetInt("max_skip_count");
        string mode = context.GetString("mode", "TF");
        if (mode is not ("TF" or "IDF" or "TFIDF")) throw context.Invalid($"mode '{mode}'");
        var counts = context.GetInts("ngram_counts") ?? throw context.MissingAttribute("ngram_counts");
        var indexes = context.GetInts("ngram_indexes") ?? throw context.MissingAttribute("ngram_indexes");
        var weights = context.GetFloats("weights");
        if (minGram < 1 || maxGram < minGram || maxSkip < 0) throw context.Invalid("gram lengths or skip count are out of range");

        string[] pool = context.GetStrings("pool_strings") is { } ps ? ps
            : context.GetInts("pool_int64s") is { } pi ? pi.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : throw context.MissingAttribute("pool_int64s");
        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        int position = 0;
        for (int level = 0; level < counts.Length; level++)
        {
            int start = (int)counts[level];
            int end = level + 1 < counts.Length ? (int)counts[level + 1] : pool.Length;
            int n = level + 1;
            for (int p = start; p + n <= end; p += n)
            {
                lookup[Key(pool.AsSpan(p, n))] = position++;
            }
        }
        if (position != indexes.Length) throw context.Invalid($"pool holds {position} n-grams but ngram_indexes has {indexes.Length}");
        int outSize = indexes.Length == 0 ? 0 : (int)indexes.Max() + 1;

        string[] items = x.DataType == DataType.String ? x.As<string>()
            : DataTypes.IsInteger(x.DataType) ? x.ToInt64Array().Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : throw context.Unsupported($"TfIdfVectorizer on {DataTypes.Name(x.DataType)}");
        int rows = x.Rank == 2 ? x.Shape[0] : 1;
        int columns = x.Rank == 0 ? 1 : x.Shape[^1];
        var result = new float[rows * outSize];
        for (int r = 0; r < rows; r++)
        {
            var row = items.AsSpan(r * columns, columns);
            var frequency = new double[outSize];
            for (int n = minGram; n <= maxGram; n++)
            {
                for (int skip = 0; skip <= (n == 1 ? 0 : maxSkip); skip++)
                {
                    int span = (n - 1) * (skip + 1);
                    for (int start = 0; start + span < columns; start++)
                    {
                        var gram = new string[n];
                        for (int k = 0; k < n; k++) gram[k] = row[start + k * (skip + 1)];
                        if (lookup.TryGetValue(Key(gram), out var id)) frequency[indexes[id]]++;
                    }
                }
            }
            for (int id = 0; id < indexes.Length; id++)
            {
                int o = (int)indexes[id];
                double w = weights is null ? 1 : weights[id];
                double f = frequency[o];
                result[r * outSize + o] = (float)(mode switch { "TF" => f, "IDF" => f > 0 ? w : 0, _ => f * w });
            }
        }
        int[] shape = x.Rank == 2 ? [rows, outSize] : [outSize];
        context.SetOutput(0, Tensor.Create(shape, result));
    }

    private static string Key(ReadOnlySpan<string> gram) => string.Join('\u001f', gram.ToArray());

    public override void InferTypes(InferenceContext context)
    {
        var indexes = context.GetInts("ngram_indexes");
        Dim size = indexes is { Length: > 0 } ? Dim.Known(indexes.Max() + 1) : Dim.Unknown;
        var x = context.InputTensorType(0)?.Shape;
        context.SetOutput(0, DataType.Float32, x is { Rank: 2 } ? new TensorShape([x[0], size]) : new TensorShape([size]));
    }
}
