using Tessera.Hardware;
using Tessera.Rtl;

namespace Tessera.Rtl.Tests;

public sealed class SynthesisTests
{
    /// <summary>Register bits the weight-stationary array must have: two stationary weight banks, the weight skew
    /// (a shared chain of COLUMNS-1 stages of row-select and bank bits, and column c's weight byte delayed c
    /// cycles), the input skew (row r delays its activation r cycles), activations passed right, partial sums
    /// passed down, the output de-skew (column c delays COLUMNS-1-c cycles), and the bank bit that travels with
    /// the activations: every copy of it at the same distance from the input holds the same value and Yosys
    /// merges them, leaving one bit per delay 1 .. ROWS + COLUMNS - 2. Hierarchical synthesis keeps every other
    /// register, so Yosys must count exactly these.</summary>
    private static long ArrayRegisterBits(int rows, int columns)
    {
        long weights = 2 * 8L * rows * columns;
        long weightSkew = (rows + 1L) * (columns - 1) + 8L * columns * (columns - 1) / 2;
        long skew = 8L * rows * (rows - 1) / 2;
        long passRight = 8L * rows * (columns - 1);
        long passDown = 32L * (rows - 1) * columns;
        long deskew = 32L * columns * (columns - 1) / 2;
        long bankBit = rows + columns - 2;
        return weights + weightSkew + skew + passRight + passDown + deskew + bankBit;
    }

    [Fact]
    public void HierarchicalSynthesisOfTheTinyArrayCountsEveryRegisterAndMultiplier()
    {
        var spec = NpuSpecLoader.Load("tiny");
        var folder = Path.Combine(Path.GetTempPath(), $"tessera-rtl-synth-{Guid.NewGuid():N}");
        try
        {
            RtlGenerator.Write(spec, folder);
            var result = Synthesis.RunModule(spec, folder, Synthesis.ArrayModule, SynthesisMethod.Hierarchical);
            Assert.Equal(spec.MacCount, result.Multipliers);
            Assert.Equal(ArrayRegisterBits(spec.ArrayRows, spec.ArrayColumns), result.FlipFlops);
            // Each element's 8 x 8 multiplier and 32-bit adder take hundreds of gates: far more than the flip-flops.
            Assert.InRange(result.Cells, result.FlipFlops + 300L * spec.MacCount, result.FlipFlops + 2000L * spec.MacCount);
            Assert.True(result.Transistors > 4 * result.Cells, $"{result.Transistors} transistors for {result.Cells} cells");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void DesignHierarchyTotalsAreReadInsteadOfTheFirstModule()
    {
        const string statistics = """
            === leaf ===
               Number of cells:                 10
                 $_AND_                         10

            === top ===
               Number of cells:                 5
                 $_DFF_P_                       5
                 leaf                           4

            === design hierarchy ===

               top                              1
                 leaf                           4

               Number of cells:                45
                 $_AND_                        40
                 $_DFF_P_                       5
            """;
        var totals = Synthesis.Totals(statistics);
        Assert.Equal([("$_AND_", 40L), ("$_DFF_P_", 5L)], Synthesis.CellTypeCounts(totals).ToArray());
        Assert.Throws<Core.TesseraException>(() => Synthesis.Totals("=== a ===\n=== b ===\n"));
    }

    [Fact]
    public void RerunningTheDocsTableReplacesItBetweenTheMarkers()
    {
        var first = new SynthesisResult("tiny", Synthesis.ArrayModule, 64, 64, SynthesisMethod.Hierarchical, 54368, 3872, 64, 444416, 13);
        var second = first with { Cells = 1234567 };
        string page = "# RTL\n\nintro\n\n## Synthesis\n";
        string once = SynthesisReport.ReplaceBetweenMarkers(page, SynthesisReport.Markdown([first], "test machine"));
        Assert.Contains("| 54 368 |", once, StringComparison.Ordinal);
        string twice = SynthesisReport.ReplaceBetweenMarkers(once + "\n## After\ntext\n", SynthesisReport.Markdown([second], "test machine"));
        Assert.DoesNotContain("54 368", twice, StringComparison.Ordinal);
        Assert.Contains("| 1 234 567 |", twice, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(twice, "rtl-synth-table:begin"));
        Assert.EndsWith("## After\ntext\n", twice, StringComparison.Ordinal);
        Assert.StartsWith(page.TrimEnd('\n'), twice, StringComparison.Ordinal);
    }
}
