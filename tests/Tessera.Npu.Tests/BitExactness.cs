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

    /// <summary>The PP-OCR whole-model check: partitions <paramref name="model"/> for <paramref name="configuration"/>,
    /// runs it bit-identical to the integer executor with more than <paramref name="minCompared"/> NPU-produced values
    /// compared, asserts every integer step with MACs left on the CPU stays there only for a size limit of the
    /// configuration (a <c>compiler:</c> reason; what the quantizer left in float, rec's scaled Q x K^T, is counted on
    /// the CPU side of the fraction) and that at least 95 % of the MACs run on the NPU. Returns the partition.</summary>
    public static ModelPartition RunOcr(QuantizedModel model, string configuration, Dictionary<string, Tensor> inputs, ITestOutputHelper output, bool exposeAll, int minCompared)
    {
        var partition = model.Partition(configuration, inputs, exposeAll);
        var (_, compared) = RunIdentical(partition, model.Program, inputs, output, $"{model.Name} {ShapeMath.Format(inputs["x"].Shape)} on {configuration}");
        Assert.True(compared > minCompared, $"{compared} NPU-produced values compared, expected more than {minCompared}");
        Assert.All(partition.Fallbacks.Where(f => f.Macs > 0 && !f.Step.IsFloat), f => Assert.StartsWith("compiler:", f.Reason));
        Assert.True(partition.NpuMacFraction >= 0.95, $"NPU MAC fraction {partition.NpuMacFraction:P2}");
        return partition;
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
