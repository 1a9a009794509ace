using Tessera.Hardware;
using Tessera.Rtl;

namespace Tessera.Rtl.Tests;

public sealed class RequantizeTests
{
    [Fact]
    public void RequantizePipelineEqualsFixedPointBitForBit()
    {
        var spec = NpuSpecLoader.Load("tiny");
        var cases = RequantizeCosimulation.RandomCases(20000, new Random(5));
        var folder = Path.Combine(Path.GetTempPath(), $"tessera-rtl-requantize-{Guid.NewGuid():N}");
        try
        {
            var results = RequantizeCosimulation.Run(spec, cases, folder);
            int mismatches = 0;
            string first = "";
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                int expected = FixedPoint.Requantize(c.Accumulator, c.Multiplier, c.Shift, c.ZeroPoint, c.Minimum, c.Maximum);
                if (results[i] == expected) continue;
                if (mismatches++ == 0) first = $"{c}: RTL {results[i]}, FixedPoint {expected}";
            }
            Assert.True(mismatches == 0, $"{mismatches} of {cases.Count} differ; first {first}");
            // The cases must exercise more than the clamp: many results lie strictly inside the range.
            Assert.True(cases.Where((c, i) => results[i] > c.Minimum && results[i] < c.Maximum).Count() > 1000);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
