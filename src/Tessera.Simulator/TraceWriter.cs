using System.Globalization;
using System.Text;
using Tessera.Hardware;

namespace Tessera.Simulator;

/// <summary>Writes a Chrome/Perfetto trace (JSON array format) with one track per unit; timestamps are
/// microseconds at the spec clock, so the timeline reads in real time units.</summary>
public static class TraceWriter
{
    public static string Write(IReadOnlyList<TraceEvent> events, NpuSpec spec)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder("[\n");
        text.Append(invariant, $"{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{{\"name\":\"NPU {spec.Name}\"}}}}");
        foreach (var unit in Enum.GetValues<Unit>())
        {
            text.Append(invariant, $",\n{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{(int)unit},\"args\":{{\"name\":\"{unit}\"}}}}");
        }
        double microsecondsPerCycle = 1.0 / spec.ClockMegahertz;
        foreach (var e in events)
        {
            text.Append(invariant,
                $",\n{{\"name\":\"{e.Name}\",\"ph\":\"X\",\"pid\":1,\"tid\":{(int)e.Unit},\"ts\":{(e.Start * microsecondsPerCycle).ToString("R", invariant)},\"dur\":{((e.End - e.Start) * microsecondsPerCycle).ToString("R", invariant)},\"args\":{{\"instruction\":{e.InstructionIndex},\"cycles\":{e.End - e.Start}}}}}");
        }
        text.Append("\n]\n");
        return text.ToString();
    }
}
