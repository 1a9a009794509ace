using Tessera.Core;

namespace Tessera.Apps.Ocr;

/// <summary>Recognized text and its confidence: the mean of the winning class probabilities over the
/// characters kept (zero when nothing was read).</summary>
public sealed record RecognizedText(string Text, double Score);

/// <summary>Greedy CTC decoding: take the most probable class at each time step, merge runs of the same
/// class, and drop the blank. Class 0 is the blank, classes 1..N are the dictionary's lines, and PaddleOCR
/// appends a space as the last class when the model was trained with spaces.</summary>
public sealed class CtcDecoder
{
    public CtcDecoder(IReadOnlyList<string> characters) => Characters = characters;

    /// <summary>The characters of classes 1, 2, ... (class 0 is the blank).</summary>
    public IReadOnlyList<string> Characters { get; }

    public int ClassCount => Characters.Count + 1;

    /// <summary>Reads PaddleOCR's dictionary (one character a line; a line may itself be a space, so lines
    /// are not trimmed) and appends the space class when <paramref name="appendSpace"/> is set.</summary>
    public static CtcDecoder FromDictionary(string path, bool appendSpace = true)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"dictionary '{path}' does not exist", path, "fetch it with: tessera models fetch ppocr-keys");
        var lines = File.ReadAllLines(path).ToList();
        if (appendSpace) lines.Add(" ");
        return new CtcDecoder(lines);
    }

    /// <summary>Decodes <paramref name="steps"/> rows of <see cref="ClassCount"/> probabilities each.</summary>
    public RecognizedText Decode(ReadOnlySpan<float> probabilities, int steps)
    {
        if (probabilities.Length != steps * ClassCount)
        {
            throw new ModelFormatException($"the recognizer gave {probabilities.Length} values for {steps} steps, expected {ClassCount} classes a step",
                "ppocr-rec", "use the dictionary that belongs to the recognizer");
        }
        var text = new System.Text.StringBuilder();
        double confidence = 0;
        int kept = 0, previous = -1;
        for (int t = 0; t < steps; t++)
        {
            var row = probabilities.Slice(t * ClassCount, ClassCount);
            int best = 0;
            for (int c = 1; c < row.Length; c++)
            {
                if (row[c] > row[best]) best = c;
            }
            if (best != 0 && best != previous)
            {
                text.Append(Characters[best - 1]);
                confidence += row[best];
                kept++;
            }
            previous = best;
        }
        return new RecognizedText(text.ToString(), kept == 0 ? 0 : confidence / kept);
    }
}
