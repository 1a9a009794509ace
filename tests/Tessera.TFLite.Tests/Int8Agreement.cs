namespace Tessera.TFLite.Tests;

/// <summary>Element-wise agreement of int8 outputs with a reference: exact and within-one-step counts, the largest
/// difference, and (for classifiers) how many runs have the same top-1 class.</summary>
internal sealed class Int8Agreement
{
    public long Elements { get; private set; }

    public long Exact { get; private set; }

    public long WithinOne { get; private set; }

    public int Worst { get; private set; }

    public int SameTop { get; private set; }

    public int Runs { get; private set; }

    public void Add(sbyte[] ours, sbyte[] theirs, bool countTop = true)
    {
        Assert.Equal(theirs.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
        {
            int difference = Math.Abs(ours[i] - theirs[i]);
            Elements++;
            if (difference == 0) Exact++;
            if (difference <= 1) WithinOne++;
            Worst = Math.Max(Worst, difference);
        }
        if (!countTop) return;
        Runs++;
        if (ArgMax(ours) == ArgMax(theirs)) SameTop++;
    }

    public string Summary(bool classifier) =>
        $"{Elements} elements, exact {100.0 * Exact / Elements:F2}%, within 1 step {100.0 * WithinOne / Elements:F2}%, max difference {Worst}" +
        (classifier ? $", same top-1 {SameTop}/{Runs}" : string.Empty);

    private static int ArgMax(sbyte[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
