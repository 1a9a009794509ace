using System.Runtime.InteropServices;

namespace Tessera.Cli;

/// <summary>CPU time this process has consumed (all threads), in milliseconds, from the kernel's
/// per-process clock at nanosecond resolution. On a shared machine wall time includes the time other
/// processes held the cores; CPU time counts only the work done, so at one thread (where both engines
/// run on the calling thread) it compares the engines even under load. NaN where the clock is missing.</summary>
internal static class ProcessorClock
{
    private const int ProcessCpuTimeClock = 2; // CLOCK_PROCESS_CPUTIME_ID on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    public static double NowMilliseconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        try
        {
            return ClockGetTime(ProcessCpuTimeClock, out var t) == 0 ? t.Seconds * 1e3 + t.Nanoseconds / 1e6 : double.NaN;
        }
        catch (DllNotFoundException)
        {
            return double.NaN;
        }
    }
}
