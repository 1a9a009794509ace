namespace Tessera.Apps.Tests;

/// <summary>How many of the ground truth's words the OCR output holds, matched as multisets (a word read
/// twice counts once per occurrence in the truth). Exact means character for character, punctuation and
/// case included; loose strips punctuation and case first.</summary>
public sealed record WordRecall(int Exact, int Loose, int Total)
{
    public double ExactFraction => Total == 0 ? 1 : (double)Exact / Total;

    public double LooseFraction => Total == 0 ? 1 : (double)Loose / Total;

    public static IReadOnlyList<string> Words(string text) =>
        text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);

    public static WordRecall Measure(string truth, string read)
    {
        var truthWords = Words(truth);
        var readWords = Words(read);
        static string Strip(string word) => new(word.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        return new WordRecall(Matches(truthWords, readWords), Matches(truthWords.Select(Strip).ToList(), readWords.Select(Strip).ToList()), truthWords.Count);
    }

    private static int Matches(IReadOnlyList<string> truth, IReadOnlyList<string> read)
    {
        var available = read.GroupBy(w => w, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        int matched = 0;
        foreach (var word in truth)
        {
            if (!available.TryGetValue(word, out int count) || count == 0) continue;
            available[word] = count - 1;
            matched++;
        }
        return matched;
    }
}
