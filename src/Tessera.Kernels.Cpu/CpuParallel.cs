namespace Tessera.Kernels.Cpu;

/// <summary>Intra-op parallelism with a fixed degree: the session's thread count, so a benchmark at N
/// threads uses N cores, as ONNX Runtime's IntraOpNumThreads does. Work inside a <see cref="SerialScope"/>
/// (a node too small to repay handing chunks to other threads) runs on the calling thread.</summary>
public static class CpuParallel
{
    /// <summary>Nodes whose inputs hold fewer elements than this run on the calling thread: a fork-join
    /// costs tens of microseconds (far more when the cores are shared), more than such a node saves.</summary>
    public const int SerialBelowElements = 1 << 18;

    [ThreadStatic]
    private static bool t_serial;

    public static int Resolve(int threads) => threads > 0 ? threads : Environment.ProcessorCount;

    public static void For(int count, int threads, Action<int> body)
    {
        if (count <= 0) return;
        if (threads <= 1 || count == 1 || t_serial)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    /// <summary>Runs every <see cref="For"/> on this thread until disposed (when <paramref name="serial"/>).</summary>
    public static SerialScope Serial(bool serial) => new(serial);

    public readonly struct SerialScope : IDisposable
    {
        private readonly bool _previous;

        internal SerialScope(bool serial)
        {
            _previous = t_serial;
            t_serial = _previous || serial;
        }

        public void Dispose() => t_serial = _previous;
    }
}
