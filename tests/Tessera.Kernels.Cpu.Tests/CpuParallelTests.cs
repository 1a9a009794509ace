using Tessera.Kernels.Cpu;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary><see cref="CpuParallel.For(int, int, Action{int})"/> on its persistent workers: every index exactly once at any thread
/// count, errors reach the caller, a loop inside a body runs serially, and two callers at once each get all
/// their indices.</summary>
public sealed class CpuParallelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(1000, 2)]
    [InlineData(7, 4)]
    [InlineData(10_000, 3)]
    [InlineData(5, 100)]
    [InlineData(0, 2)]
    public void Runs_every_index_exactly_once(int count, int threads)
    {
        for (int round = 0; round < 20; round++)
        {
            var runs = new int[count];
            CpuParallel.For(count, threads, i => Interlocked.Increment(ref runs[i]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    }

    [Fact]
    public void Uses_other_threads_at_two_threads_and_only_the_caller_at_one()
    {
        int caller = Environment.CurrentManagedThreadId;
        var seen = new HashSet<int>();
        CpuParallel.For(64, 1, _ =>
        {
            lock (seen) seen.Add(Environment.CurrentManagedThreadId);
        });
        Assert.Equal([caller], seen);
        // Each body blocks until a second thread has entered one: only true if the workers take part. The body is its
        // own struct type, so its loops come from a pool no other test drains (a body type whose loops are all still
        // posted to lagging workers runs serially).
        using var both = new CountdownEvent(2);
        CpuParallel.For(2, 2, new Rendezvous(both, Throw: false));
        Assert.True(CpuParallel.WorkerCount >= 1);
    }

    [Fact]
    public void A_sign_of_shared_cores_ends_the_quiet_mode_and_loops_still_run_every_index()
    {
        // Right after a thread of the loops was seen held off its core, a hand-off no longer counts as cheap (workers spin
        // briefly, kernels keep the large serial thresholds) for SharedHoldMilliseconds.
        CpuParallel.NoteShared();
        Assert.False(CpuParallel.HandOffIsCheap);
        var runs = new int[1000];
        for (int round = 0; round < 5; round++)
        {
            Array.Clear(runs);
            CpuParallel.For(runs.Length, 2, i => Interlocked.Increment(ref runs[i]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void An_exception_in_a_body_reaches_the_caller_and_the_loop_still_ends(int threads)
    {
        int ran = 0;
        var error = Assert.Throws<InvalidOperationException>(() => CpuParallel.For(100, threads, i =>
        {
            Interlocked.Increment(ref ran);
            if (i == 37) throw new InvalidOperationException("index 37");
        }));
        Assert.Equal("index 37", error.Message);
        // At one thread the indices after the failing one are not started; at more, the other threads may run
        // some while index 37 is failing, and skip any they take after it.
        if (threads == 1) Assert.Equal(38, ran);
        else Assert.InRange(ran, 1, 100);
        // The workers are still usable afterwards.
        var runs = new int[50];
        CpuParallel.For(50, threads, i => Interlocked.Increment(ref runs[i]));
        Assert.All(runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public void Errors_from_several_bodies_at_once_arrive_together()
    {
        // Both indices are running before either throws, so both errors are caught.
        using var both = new CountdownEvent(2);
        var error = Assert.Throws<AggregateException>(() => CpuParallel.For(2, 2, new Rendezvous(both, Throw: true)));
        Assert.Equal(["index 0", "index 1"], error.InnerExceptions.Select(e => e.Message).Order());
    }

    [Fact]
    public void A_loop_inside_a_body_runs_serially_on_that_thread()
    {
        var runs = new int[16 * 32];
        int nestedOnOtherThreads = 0;
        CpuParallel.For(16, 2, outer =>
        {
            int thread = Environment.CurrentManagedThreadId;
            CpuParallel.For(32, 2, inner =>
            {
                if (Environment.CurrentManagedThreadId != thread) Interlocked.Increment(ref nestedOnOtherThreads);
                Interlocked.Increment(ref runs[outer * 32 + inner]);
            });
        });
        Assert.Equal(0, nestedOnOtherThreads);
        Assert.All(runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public void A_serial_scope_keeps_the_loop_on_the_calling_thread()
    {
        int caller = Environment.CurrentManagedThreadId, elsewhere = 0;
        using (CpuParallel.Serial(true))
        {
            CpuParallel.For(100, 2, _ =>
            {
                if (Environment.CurrentManagedThreadId != caller) Interlocked.Increment(ref elsewhere);
            });
        }
        Assert.Equal(0, elsewhere);
    }

    [Fact]
    public void Two_sessions_calling_at_once_each_run_all_their_indices()
    {
        const int rounds = 300, count = 97;
        var sums = new long[2];
        var threads = new Thread[2];
        Exception? failure = null;
        for (int t = 0; t < 2; t++)
        {
            int session = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    for (int r = 0; r < rounds; r++)
                    {
                        var runs = new int[count];
                        CpuParallel.For(count, 2, i =>
                        {
                            Interlocked.Increment(ref runs[i]);
                            Thread.SpinWait(50);
                        });
                        foreach (int v in runs)
                        {
                            if (v != 1) throw new InvalidOperationException($"session {session} round {r}: an index ran {v} times");
                        }
                        sums[session] += runs.Length;
                    }
                }
                catch (Exception e)
                {
                    failure = e;
                }
            });
            threads[t].Start();
        }
        foreach (var thread in threads) Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "a caller never finished");
        Assert.Null(failure);
        Assert.Equal([(long)rounds * count, (long)rounds * count], sums);
    }

    /// <summary>A body whose indices each wait (up to 30 s) until both have started; then, with <paramref name="Throw"/>,
    /// each throws an <see cref="ArgumentException"/> naming its index.</summary>
    private readonly record struct Rendezvous(CountdownEvent Both, bool Throw) : CpuParallel.IParallelBody
    {
        public void Run(int index)
        {
            Both.Signal();
            bool met = Both.Wait(TimeSpan.FromSeconds(30));
            if (Throw) throw new ArgumentException($"index {index}");
            Assert.True(met, "the second index never ran beside the first");
        }
    }
}

/// <summary>Loops posted while every worker is busy elsewhere (a loaded machine: the workers take their tickets many
/// loops late): once a body type has its most loops outstanding, further loops run on the caller and allocate nothing,
/// with every index still run once. In the allocation collection, so no other test's loops use the workers meanwhile.</summary>
[Collection("allocation")]
public sealed class CpuParallelLagTests
{
    [Fact]
    public void Loops_posted_to_busy_workers_run_on_the_caller_without_allocating()
    {
        int workers = Math.Max(CpuParallel.WorkerCount, 1);
        using var release = new ManualResetEventSlim(false);
        int started = 0;
        var blocker = new Thread(() => CpuParallel.For(workers + 1, workers + 1, _ =>
        {
            Interlocked.Increment(ref started);
            release.Wait();
        }));
        blocker.Start();
        try
        {
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref started) == workers + 1, TimeSpan.FromSeconds(30)), "the workers never all took the blocking loop");
            var sums = new long[1];
            var body = new Summing(sums);
            for (int k = 0; k < 12; k++) CpuParallel.For(100, 2, body);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < 20; k++) CpuParallel.For(100, 2, body);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
            Assert.Equal(32L * 4950, sums[0]);
        }
        finally
        {
            release.Set();
            Assert.True(blocker.Join(TimeSpan.FromMinutes(1)), "the blocking loop never finished");
        }
    }

    private readonly record struct Summing(long[] Sums) : CpuParallel.IParallelBody
    {
        public void Run(int index) => Interlocked.Add(ref Sums[0], index);
    }
}
