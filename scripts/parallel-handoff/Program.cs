using System.Diagnostics;
using Tessera.Kernels.Cpu;

// Fork-join hand-off cost: wall time per loop of CpuParallel.For (persistent workers) and of the Parallel.For it
// replaced, same process, alternating, for loops of `chunks` chunks that each spin for (work / chunks) us. Between
// loops GAP_US (default 30) us of serial work (the small nodes between two parallel ones), and every 20th loop a 3 ms sleep (the gap
// between inferences). Usage: dotnet run -c Release [-- THREADS [GAP_US]]
int threads = args.Length > 0 ? int.Parse(args[0]) : 2;
double gap = args.Length > 1 ? double.Parse(args[1]) : 30;
long ticksPerUs = Stopwatch.Frequency / 1_000_000;
void Spin(double us)
{
    long end = Stopwatch.GetTimestamp() + (long)(us * ticksPerUs);
    while (Stopwatch.GetTimestamp() < end) { }
}
void OldFor(int count, Action<int> body) => Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
void NewFor(int count, Action<int> body) => CpuParallel.For(count, threads, body);
void Serial(int count, Action<int> body)
{
    for (int i = 0; i < count; i++) body(i);
}
var engines = new (string Name, Action<int, Action<int>> For)[] { ("serial", Serial), ("Parallel.For", OldFor), ("CpuParallel.For", NewFor) };
Console.WriteLine($"{threads} threads, {gap} us between loops, load {File.ReadAllText("/proc/loadavg").Trim()}");
foreach (var (chunks, work) in new[] { (2, 0.0), (2, 50.0), (6, 50.0), (2, 200.0), (6, 200.0) })
{
    var times = engines.Select(_ => new List<double>()).ToArray();
    var cpu = new double[engines.Length];
    for (int block = 0; block < 40; block++)
    {
        for (int e = 0; e < engines.Length; e++)
        {
            double cpuBefore = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
            for (int rep = 0; rep < 20; rep++)
            {
                long start = Stopwatch.GetTimestamp();
                engines[e].For(chunks, _ => Spin(work / chunks));
                times[e].Add((Stopwatch.GetTimestamp() - start) / (double)ticksPerUs);
                Spin(gap);
            }
            Thread.Sleep(3);
            cpu[e] += Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - cpuBefore;
        }
    }
    for (int e = 0; e < engines.Length; e++)
    {
        var t = times[e];
        t.Sort();
        Console.WriteLine($"{chunks} chunks, {work,3:F0} us work, {engines[e].Name,-16}: median {t[t.Count / 2],6:F1} us, p10 {t[t.Count / 10],6:F1}, p90 {t[t.Count * 9 / 10],6:F1}; process CPU {cpu[e] * 1000 / t.Count,6:F1} us per loop (with the gap)");
    }
}
