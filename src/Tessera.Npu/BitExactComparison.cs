using System.Globalization;
using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Npu;

/// <summary>The result of comparing a hybrid run with the integer reference executor: how many NPU-produced
/// values were compared and the first difference (null when every value and graph output is identical).</summary>
public sealed record BitExactResult(int Compared, string? Mismatch)
{
    public bool Identical => Mismatch is null;
}

/// <summary>Compares a hybrid run with the integer reference executor on the same inputs: every int8 value an
/// NPU segment produced, element by element, and every graph output in the model's declared type. The one check
/// the NPU tests and <c>tessera conformance --backend npu</c> make.</summary>
public static class BitExactComparison
{
    /// <summary>Runs <paramref name="partition"/> with its NPU segments on the simulator and the whole program on
    /// the integer executor, then compares them.</summary>
    public static (HybridResult Hybrid, BitExactResult Result) Run(ModelPartition partition, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var hybrid = HybridRunner.Run(partition, inputs, layerReports: false);
        return (hybrid, Compare(partition, hybrid, partition.Program.Run(inputs)));
    }

    public static BitExactResult Compare(ModelPartition partition, HybridResult hybrid, IntegerState reference)
    {
        int compared = 0;
        foreach (var value in partition.Segments.SelectMany(s => s.Outputs))
        {
            var expected = reference.Get(value.Name);
            var actual = hybrid.State.Get(value.Name);
            if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
            {
                return new(compared, $"NPU value '{value.Name}' has shape {ShapeMath.Format(actual.Shape)}, the integer executor {ShapeMath.Format(expected.Shape)}");
            }
            var e = expected.As<sbyte>();
            var a = actual.As<sbyte>();
            int differing = 0, first = -1;
            for (int i = 0; i < e.Length; i++)
            {
                if (e[i] == a[i]) continue;
                differing++;
                if (first < 0) first = i;
            }
            if (first >= 0)
            {
                return new(compared, string.Create(CultureInfo.InvariantCulture,
                    $"NPU value '{value.Name}' differs from the integer executor in {differing} of {e.Length} elements (first at element {first}: {a[first]} vs {e[first]})"));
            }
            compared++;
        }
        foreach (var name in partition.Program.Outputs)
        {
            var expected = reference.Original(name);
            var actual = hybrid.Outputs[name];
            if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
            {
                return new(compared, $"output '{name}' has shape {ShapeMath.Format(actual.Shape)}, the integer executor {ShapeMath.Format(expected.Shape)}");
            }
            var e = expected.ToDoubleArray();
            var a = actual.ToDoubleArray();
            for (int i = 0; i < e.Length; i++)
            {
                if (e[i].Equals(a[i])) continue;
                return new(compared, string.Create(CultureInfo.InvariantCulture, $"output '{name}' differs from the integer executor at element {i}: {a[i]} vs {e[i]}"));
            }
        }
        return new(compared, null);
    }
}
