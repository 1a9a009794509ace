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

    /// <summary>Asserts <see cref="BitExactComparison.Compare"/> finds no difference; returns the number of
    /// NPU-produced values compared.</summary>
    public static int AssertIdentical(ModelPartition partition, HybridResult hybrid, IntegerState reference)
    {
        var result = BitExactComparison.Compare(partition, hybrid, reference);
        Assert.True(result.Identical, result.Mismatch);
        return result.Compared;
    }
}
