using System.Diagnostics;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Runtime;

namespace Tessera.Cli.Compare;

/// <summary>One engine `tessera compare` times: a Tessera session or ONNX Runtime, fed the same inputs.</summary>
internal sealed class TimedEngine(string name, Action run) : IDisposable
{
    public string Name { get; } = name;

    public IDisposable? Owned { get; init; }

    public void Run() => run();

    public void Dispose() => Owned?.Dispose();
}

/// <summary>The measuring half of `tessera compare`: interleaved timing of several engines and the int8
/// against float agreement.</summary>
internal static class CompareMeasurement
{
    /// <summary>Runs every engine <paramref name="warmup"/> times untimed, then <paramref name="iterations"/>
    /// timed rounds in which the engines take turns, so a burst of load from other processes hits them
    /// alike. <paramref name="progress"/> gets (runs done, runs in all).</summary>
    public static IReadOnlyList<LatencyFigures> Time(IReadOnlyList<TimedEngine> engines, int warmup, int iterations, Action<int, int>? progress = null)
    {
        int total = engines.Count * (warmup + iterations), done = 0;
        for (int i = 0; i < warmup; i++)
        {
            foreach (var engine in engines)
            {
                engine.Run();
                progress?.Invoke(++done, total);
            }
        }
        var times = engines.Select(_ => new List<double>(iterations)).ToArray();
        for (int i = 0; i < iterations; i++)
        {
            for (int e = 0; e < engines.Count; e++)
            {
                long start = Stopwatch.GetTimestamp();
                engines[e].Run();
                times[e].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                progress?.Invoke(++done, total);
            }
        }
        return engines.Select((e, i) => LatencyFigures.FromTimes(e.Name, times[i])).ToList();
    }

    /// <summary>The quantized model on the integer executor against the float session, output by output (those
    /// both models have). Inputs the quantized model fixed as constants (Silero's sr) are left out of its feeds.</summary>
    public static IReadOnlyList<OutputAgreement> Agreement(InferenceSession floatSession, Model quantized, string quantizedName, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var declared = quantized.Graph.Inputs.Where(v => v.Constant is null).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var missing = declared.Where(n => !inputs.ContainsKey(n)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidInputException($"the quantized model needs input(s) {string.Join(", ", missing)} that the float model does not have", quantizedName,
                "give the model `tessera quantize` made from this float model");
        }
        var program = IntegerLowering.Lower(quantized);
        var integer = program.RunOutputs(inputs.Where(p => declared.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        var reference = floatSession.Run(inputs.ToDictionary(p => p.Key, p => (DataValue)p.Value));
        var result = new List<OutputAgreement>();
        foreach (var (name, value) in reference)
        {
            if (value is not Tensor expected || !integer.TryGetValue(name, out var actual)) continue;
            var a = expected.ToFloatArray();
            var b = actual.ToFloatArray();
            if (a.Length != b.Length)
            {
                throw new InvalidInputException($"output '{name}' has {a.Length} values in the float model and {b.Length} in the quantized one", quantizedName,
                    "give the model `tessera quantize` made from this float model");
            }
            result.Add(Compare(name, a, b));
        }
        if (result.Count == 0)
        {
            throw new InvalidInputException("the quantized model shares no output name with the float model", quantizedName, "give the model `tessera quantize` made from this float model");
        }
        return result;
    }

    public static OutputAgreement Compare(string name, float[] expected, float[] actual)
    {
        double dot = 0, ee = 0, aa = 0, largest = 0, magnitude = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            dot += (double)expected[i] * actual[i];
            ee += (double)expected[i] * expected[i];
            aa += (double)actual[i] * actual[i];
            largest = Math.Max(largest, Math.Abs((double)expected[i] - actual[i]));
            magnitude = Math.Max(magnitude, Math.Abs((double)expected[i]));
        }
        // Two all-zero vectors agree exactly; one all-zero vector against a non-zero one does not at all.
        double cosine = ee == 0 && aa == 0 ? 1 : ee == 0 || aa == 0 ? 0 : dot / Math.Sqrt(ee * aa);
        return new OutputAgreement(name, cosine, largest, magnitude);
    }
}
