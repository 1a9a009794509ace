using System.Globalization;
using System.Text;
using Tessera.Simulator;

namespace Tessera.Compiler;

/// <summary>One layer's figures on the simulator. Cycles, DRAM bytes and energy come from simulating the
/// layer's own program (the network program separates layers with barriers, so this matches its share of the
/// whole run up to the overlap at the boundaries); MACs are the layer's arithmetic MACs, including depthwise
/// MACs done on the vector unit, so utilization is MACs / (cycles x array MACs).
/// <see cref="ProgramCycles"/> is the layer's share of the whole program's cycles: from the cycle the layers
/// before it had all finished to the cycle its own last instruction finished (the last layer also takes the
/// final results' latency), so the shares add up to the program's cycles and a layer whose work overlaps its
/// predecessor's (weights prefetched during the previous layer) is charged only for what it adds;
/// <see cref="ProgramUtilization"/> is MACs / (share x array MACs).</summary>
public sealed record LayerReport(string Name, string Kind, string Shape, long Macs, long Cycles, double MacUtilization, long DramBytes, double EnergyPicojoules, long EstimatedCycles, string Decision,
    long ProgramCycles = 0, double ProgramUtilization = 0);

/// <summary>A network's run: per-layer figures and the totals of the whole program.</summary>
public sealed record NetworkReport(string Configuration, IReadOnlyList<LayerReport> Layers, SimulationReport Total, long Macs, double ArrayMacs)
{
    public double LatencyMicroseconds => Total.LatencyMicroseconds;

    public double InferencesPerSecond => 1e6 / Total.LatencyMicroseconds;

    public double EnergyMicrojoules => Total.Energy.Total * 1e-6;

    public double MacUtilization => (double)Macs / (Total.TotalCycles * ArrayMacs);

    /// <summary>Effective int8 operations (2 per MAC) per joule, in tera: TOPS/W.</summary>
    public double TopsPerWatt => 2.0 * Macs / (Total.Energy.Total * 1e-12) / 1e12;

    public long DramBytes => Total.DramBytesRead + Total.DramBytesWritten;

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine("| layer | kind | output | MACs | cycles alone | MAC util. alone | share of program cycles | MAC util. in program | DRAM bytes | energy (nJ) | tiling |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var l in Layers)
        {
            text.AppendLine(c, $"| {l.Name} | {l.Kind} | {l.Shape} | {l.Macs} | {l.Cycles} | {l.MacUtilization * 100:F1} % | {l.ProgramCycles} | {l.ProgramUtilization * 100:F1} % | {l.DramBytes} | {l.EnergyPicojoules / 1000:F1} | {l.Decision} |");
        }
        text.AppendLine();
        text.AppendLine(c, $"Total on '{Configuration}': {Total.TotalCycles} cycles = {LatencyMicroseconds:F1} us at {Total.ClockMegahertz} MHz, {InferencesPerSecond:F1} inferences/s, " +
            $"{Macs} MACs, MAC utilization {MacUtilization * 100:F1} %, DRAM {DramBytes} bytes, energy {EnergyMicrojoules:F2} uJ/inference, {TopsPerWatt:F2} effective TOPS/W.");
        return text.ToString();
    }
}

/// <summary>Runs a compiled network on the bit-exact simulator. Library entry point until `tessera compile`
/// and `tessera run` arrive with the integer graph.</summary>
public static class NpuExecution
{
    public static (Dictionary<string, sbyte[]> Outputs, NetworkReport Report) Run(CompiledNetwork compiled, IReadOnlyDictionary<string, sbyte[]> inputs, bool layerReports = true)
    {
        var bytes = inputs.ToDictionary(p => p.Key, p => (byte[])(Array)p.Value);
        var result = NpuSimulator.Run(compiled.Spec, compiled.Program, bytes, new SimulationOptions { Trace = layerReports });
        var outputs = result.Outputs.ToDictionary(p => p.Key, p => (sbyte[])(Array)p.Value);
        var layers = new List<LayerReport>();
        if (layerReports)
        {
            var shares = ProgramShares(compiled, result);
            foreach (var (plan, share) in compiled.Layers.Zip(shares))
            {
                var layer = plan.Layer;
                long cycles = 0, dram = 0;
                double energy = 0;
                if (plan.InstructionCount > 0)
                {
                    var alone = NetworkCompiler.Compile(compiled.Spec, layer);
                    var report = NpuSimulator.Run(compiled.Spec, alone.Program).Report;
                    (cycles, dram, energy) = (report.TotalCycles, report.DramBytesRead + report.DramBytesWritten, report.Energy.Total);
                }
                double utilization = cycles == 0 ? 0 : (double)layer.Macs / (cycles * (double)compiled.Spec.MacCount);
                double inProgram = share == 0 ? 0 : (double)layer.Macs / (share * (double)compiled.Spec.MacCount);
                layers.Add(new LayerReport(layer.Name, layer.Kind, layer.Output.ShapeText, layer.Macs, cycles, utilization, dram, energy, plan.EstimatedCycles, plan.Decision, share, inProgram));
            }
        }
        long macs = compiled.Network.Layers.Sum(l => l.Macs);
        return (outputs, new NetworkReport(compiled.Spec.Name, layers, result.Report, macs, compiled.Spec.MacCount));
    }

    /// <summary>Each layer's share of the program's cycles (see <see cref="LayerReport.ProgramCycles"/>): the
    /// running maximum of the layers' last finishing cycles, differenced; the shares sum to the total.</summary>
    private static long[] ProgramShares(CompiledNetwork compiled, SimulationResult result)
    {
        var finish = new long[compiled.Program.Instructions.Count];
        foreach (var e in result.Trace) finish[e.InstructionIndex] = Math.Max(finish[e.InstructionIndex], e.End);
        var shares = new long[compiled.Layers.Count];
        long done = 0;
        int last = -1;
        for (int i = 0; i < compiled.Layers.Count; i++)
        {
            var plan = compiled.Layers[i];
            if (plan.InstructionCount == 0) continue;
            long end = done;
            for (int j = plan.FirstInstruction; j < plan.FirstInstruction + plan.InstructionCount; j++) end = Math.Max(end, finish[j]);
            shares[i] = end - done;
            done = end;
            last = i;
        }
        if (last >= 0) shares[last] += Math.Max(0, result.Report.TotalCycles - done);
        return shares;
    }
}
