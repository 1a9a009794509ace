using Tessera.Core;
using static Tessera.Ops.Tests.NodeHarness;

namespace Tessera.Ops.Tests;

public sealed class TextTests
{
    private static Tensor S(int[] shape, params string[] values) => Tensor.Create(shape, values);

    [Fact]
    public void String_normalizer_drops_stopwords_and_changes_case()
    {
        var x = S([4], "Monday", "tuesday", "monday", "Wed");
        var insensitive = Run1("StringNormalizer", [x], 10, NodeAttribute.Strings("stopwords", ["monday"]), NodeAttribute.String("case_change_action", "UPPER"));
        Assert.Equal(["TUESDAY", "WED"], insensitive.As<string>());
        var sensitive = Run1("StringNormalizer", [x], 10, NodeAttribute.Strings("stopwords", ["monday"]), NodeAttribute.Int("is_case_sensitive", 1), NodeAttribute.String("case_change_action", "LOWER"));
        Assert.Equal(["monday", "tuesday", "wed"], sensitive.As<string>());
    }

    [Fact]
    public void String_normalizer_keeps_one_empty_string_when_all_are_dropped()
    {
        var y = Run1("StringNormalizer", [S([1, 2], "a", "A")], 10, NodeAttribute.Strings("stopwords", ["a"]));
        Assert.Equal([1, 1], y.Shape);
        Assert.Equal([""], y.As<string>());
    }

    [Fact]
    public void TfIdf_counts_unigrams_and_bigrams_with_skips()
    {
        var x = L([6], 1, 2, 1, 2, 3, 2);
        NodeAttribute[] attributes =
        [
            NodeAttribute.Int("min_gram_length", 1), NodeAttribute.Int("max_gram_length", 2), NodeAttribute.Int("max_skip_count", 0),
            NodeAttribute.String("mode", "TF"), NodeAttribute.Ints("ngram_counts", [0, 2]), NodeAttribute.Ints("ngram_indexes", [0, 1, 2]),
            NodeAttribute.Ints("pool_int64s", [1, 2, 1, 2]),
        ];
        Close([2, 3, 2], Run1("TfIdfVectorizer", [x], 9, attributes));
        // Skip 1 adds the pairs (x[i], x[i+2]) = (1,1), (2,2), (1,3), (2,2): none is (1,2), so counts stay.
        attributes[2] = NodeAttribute.Int("max_skip_count", 1);
        Close([2, 3, 2], Run1("TfIdfVectorizer", [x], 9, attributes));
        attributes[3] = NodeAttribute.String("mode", "TFIDF");
        var weighted = Run1("TfIdfVectorizer", [x], 9, [.. attributes, NodeAttribute.Floats("weights", [0.5f, 1, 2])]);
        Close([1, 3, 4], weighted);
        attributes[3] = NodeAttribute.String("mode", "IDF");
        Close([1, 1, 1], Run1("TfIdfVectorizer", [x], 9, attributes));
    }

    [Fact]
    public void TfIdf_skip_counts_pairs_further_apart_and_rows_are_independent()
    {
        var x = L([2, 3], 1, 5, 2, 2, 2, 2);
        var y = Run1("TfIdfVectorizer", [x], 9,
            NodeAttribute.Int("min_gram_length", 2), NodeAttribute.Int("max_gram_length", 2), NodeAttribute.Int("max_skip_count", 1),
            NodeAttribute.String("mode", "TF"), NodeAttribute.Ints("ngram_counts", [0, 0]), NodeAttribute.Ints("ngram_indexes", [0]),
            NodeAttribute.Ints("pool_int64s", [1, 2]));
        Assert.Equal([2, 1], y.Shape);
        Close([1, 0], y);
    }
}
