using Tessera.Core;
using Tessera.Integer;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>Compares a hybrid run with the integer reference executor: every graph output and every int8 value
/// an NPU segment produced must be identical element by element.</summary>
internal static class BitExactness
{
    /// <summary>The one check every whole-model test makes: prints the partition's explanation, runs the model
    /// with its NPU segments on the simulator, asserts it identical to <paramref name="program"/> run by the
    /// integer executor on the same inputs, and prints the run's summary. Returns the run and the number of
    /// NPU-produced values compared.</summary>
    public static (HybridResult Hybrid, int Compared) RunIdentical(ModelPartition partition, IntegerProgram program, IReadOnlyDictionary<string, Tensor> inputs, ITestOutputHelper output, string label = "")
    {
        output.WriteLine(partition.Explain());
        var hybrid = HybridRunner.Run(partition, inputs, layerReports: false);
        int compared = AssertIdentical(partition, hybrid, program.Run(inputs));
        output.WriteLine($"{label}{(label.Length > 0 ? ": " : "")}{compared} NPU-produced values identical; {hybrid.Report.Summary()}");
        return (hybrid, compared);
    }

    /// <summary>Returns the number of NPU-produced values compared.</summary>
    public static int AssertIdentical(ModelPartition partition, HybridResult hybrid, IntegerState reference)
    {
        int compared = 0;
        foreach (var value in partition.Segments.SelectMany(s => s.Outputs))
        {
            var expected = reference.Get(value.Name);
            var actual = hybrid.State.Get(value.Name);
            Assert.Equal(expected.Shape, actual.Shape);
            var e = expected.As<sbyte>();
            var a = actual.As<sbyte>();
            int first = Enumerable.Range(0, e.Length).FirstOrDefault(i => e[i] != a[i], -1);
            Assert.True(first < 0, $"NPU value '{value.Name}' differs from the integer executor at element {first}: {a[Math.Max(first, 0)]} vs {e[Math.Max(first, 0)]}");
            compared++;
        }
        foreach (var name in partition.Program.Outputs)
        {
            var expected = reference.Original(name);
            var actual = hybrid.Outputs[name];
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.ToDoubleArray(), actual.ToDoubleArray());
        }
        return compared;
    }
}
