namespace Tessera.Augment.Text;

/// <summary>A deterministic corpus of short English text lines for OCR accuracy tests, made from this
/// project's own word lists and sentence patterns: the same seed always gives the same lines. Lines use
/// only ASCII letters, digits, spaces and . , : ; - ' ? ! $ % / ( ) so every recognizer dictionary covers them.</summary>
public static class TextCorpus
{
    private static readonly string[] Adjectives =
    [
        "quiet", "bright", "narrow", "early", "heavy", "yellow", "simple", "careful", "distant", "warm",
        "broken", "rapid", "gentle", "silver", "hollow", "plain", "modern", "tiny", "steady", "famous",
    ];

    private static readonly string[] Nouns =
    [
        "river", "garden", "engine", "window", "basket", "ladder", "village", "market", "letter", "station",
        "harbour", "kettle", "bridge", "lantern", "meadow", "pocket", "tunnel", "castle", "orchard", "compass",
    ];

    private static readonly string[] Verbs =
    [
        "crossed", "painted", "carried", "found", "opened", "watched", "mended", "passed", "counted", "followed",
        "reached", "lifted", "cleaned", "measured", "visited", "sorted",
    ];

    private static readonly string[] Names =
    [
        "Anna", "Boris", "Clara", "Dmitri", "Elena", "Felix", "Grace", "Hugo", "Irene", "Jonas",
        "Karin", "Lukas", "Maria", "Nils", "Olga", "Peter", "Rosa", "Simon", "Tanja", "Viktor",
    ];

    private static readonly string[] Places =
    [
        "the north gate", "platform four", "the old mill", "room twelve", "the east wing", "the harbour office",
        "the main square", "the second floor", "the town hall", "the bakery",
    ];

    private static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

    private static readonly string[] Units = ["boxes", "crates", "bottles", "tickets", "books", "chairs", "lamps", "bags"];

    private static readonly Func<Random, string>[] Patterns =
    [
        r => $"The {Pick(r, Adjectives)} {Pick(r, Nouns)} {Pick(r, Verbs)} the {Pick(r, Nouns)}.",
        r => $"{Pick(r, Names)} {Pick(r, Verbs)} a {Pick(r, Adjectives)} {Pick(r, Nouns)} on {Pick(r, Days)}.",
        r => $"Meet at {Pick(r, Places)} at {r.Next(1, 13)}:{r.Next(0, 60):00} {(r.Next(2) == 0 ? "am" : "pm")}",
        r => $"{Pick(r, Names)} paid ${r.Next(2, 999)}.{r.Next(0, 100):00} for {r.Next(2, 60)} {Pick(r, Units)}",
        r => $"Order {r.Next(1000, 99999)} ships on {Pick(r, Days)}, {r.Next(1, 29)}/{r.Next(1, 13)}/{r.Next(2019, 2031)}",
        r => $"Is the {Pick(r, Nouns)} near {Pick(r, Places)}?",
        r => $"Call {r.Next(200, 999)}-{r.Next(100, 999)}-{r.Next(1000, 9999)} before {r.Next(1, 12)} pm!",
        r => $"Only {r.Next(1, 100)}% of the {Pick(r, Units)} were {Pick(r, Adjectives)}; {Pick(r, Names)} knew it.",
        r => $"Room {r.Next(1, 500)} ({Pick(r, Adjectives)} {Pick(r, Nouns)}): {r.Next(2, 9)} beds",
        r => $"{Pick(r, Names)}'s {Pick(r, Nouns)} is {r.Next(2, 90)} km from the {Pick(r, Nouns)}.",
    ];

    /// <summary><paramref name="count"/> lines; each pattern is used in turn so every kind of line appears.</summary>
    public static IReadOnlyList<string> Lines(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var lines = new List<string>(count);
        for (int i = 0; i < count; i++) lines.Add(Patterns[i % Patterns.Length](random));
        return lines;
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];

}

/// <summary>A rendered corpus: lines from <see cref="TextCorpus"/> in every font of <see cref="FontCatalog"/>
/// in turn, at sizes 18..48 pixels, two in three black on white and the rest dark ink on a light colour.</summary>
public static class TextLineSet
{
    public static IEnumerable<RenderedTextLine> Generate(int count, int seed)
    {
        var random = new Random(seed ^ 0x5EED);
        var lines = TextCorpus.Lines(count, seed);
        for (int i = 0; i < lines.Count; i++)
        {
            var font = FontCatalog.All[i % FontCatalog.All.Count];
            float size = random.Next(18, 49);
            int padding = random.Next(4, 17);
            var style = i % 3 == 2
                ? new TextLineStyle(font, size, Dark(random), Light(random), padding)
                : TextLineStyle.BlackOnWhite(font, size, padding);
            yield return TextLineRenderer.Render(lines[i], style);
        }
    }

    // Dark ink (each channel below 90) on a light ground (each above 170) keeps the text readable in every draw.
    private static (byte, byte, byte) Dark(Random random) => ((byte)random.Next(0, 90), (byte)random.Next(0, 90), (byte)random.Next(0, 90));

    private static (byte, byte, byte) Light(Random random) => ((byte)random.Next(170, 256), (byte)random.Next(170, 256), (byte)random.Next(170, 256));
}
