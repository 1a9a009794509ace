namespace Tessera.Kernels.Cpu;

/// <summary>Intra-op parallelism with a fixed degree: the session's thread count, so a benchmark at N
/// threads uses N cores, as ONNX Runtime's IntraOpNumThreads does.</summary>
public static class CpuParallel
{
    public static int Resolve(int threads) => threads > 0 ? threads : Environment.ProcessorCount;

    public static void For(int count, int threads, Action<int> body)
    {
        if (count <= 0) return;
        if (threads <= 1 || count == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }
}
