using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Tessera.Kernels.Cpu;

/// <summary>Intra-op parallelism with a fixed degree: the session's thread count, so a benchmark at N
/// threads uses N cores, as ONNX Runtime's IntraOpNumThreads does. Work inside a <see cref="SerialScope"/>
/// (a node too small to repay handing chunks to other threads) runs on the calling thread.</summary>
/// <remarks>A <see cref="For(int, int, Action{int})"/> at N threads runs on the calling thread plus N - 1 of a process-wide set of
/// long-lived worker threads (created on first use, never more than the largest N - 1 asked for): the caller
/// posts N - 1 tickets for the loop, then every participant, the caller included, takes the next index from one
/// atomic counter until none is left, and the caller returns once every index taken has finished. A worker
/// with no ticket spins for <see cref="SpinMicroseconds"/> and then blocks, so between inferences the workers use no CPU. Since the caller itself takes
/// indices, a loop finishes even when no worker is free or awake (two sessions at once, a loaded machine); a
/// <see cref="For(int, int, Action{int})"/> called from inside a body runs serially on that thread. Measured hand-off (docs/cpu-backend.md):
/// under a microsecond to a spinning worker, where Parallel.For took 5-15 us.</remarks>
public static class CpuParallel
{
    /// <summary>Nodes whose inputs hold fewer elements than this run on the calling thread: waking a blocked
    /// worker costs tens of microseconds (far more when the cores are shared), more than such a node saves.</summary>
    public const int SerialBelowElements = 1 << 18;

    /// <summary>How long an idle worker (and a caller waiting for the last index) spins before it blocks, in
    /// microseconds, while the cores look shared (<see cref="HandOffIsCheap"/> false): <see cref="DefaultSpinMicroseconds"/>,
    /// or the environment variable TESSERA_CPU_SPIN_US, which also turns the quiet-machine mode off (a fixed spin).</summary>
    public static int SpinMicroseconds { get; } = FixedSpin ?? DefaultSpinMicroseconds;

    private static int? FixedSpin => int.TryParse(Environment.GetEnvironmentVariable("TESSERA_CPU_SPIN_US"), out int spin) && spin >= 0 ? spin : null;

    private static readonly bool s_adaptive = FixedSpin is null;

    /// <summary>How long an idle worker spins before it blocks while <see cref="HandOffIsCheap"/>: long enough to span the
    /// serial stretches between the parallel loops of one inference, so the worker stays on its own core and takes the
    /// next loop within a microsecond (ONNX Runtime's workers likewise spin through a run).</summary>
    public const int QuietSpinMicroseconds = 2000;

    /// <summary>A spinning thread that sees this long pass between two of its own clock reads, or a worker that takes a
    /// ticket this late while spinning, was held off its core by another thread: the cores are shared.</summary>
    private const int PreemptedMicroseconds = 200;

    /// <summary>A worker woken from a blocked wait this late means the same (a wake-up on an idle core takes far less).</summary>
    private const int LateWakeMicroseconds = 2000;

    /// <summary>How long after the last sign of shared cores the machine counts as quiet again.</summary>
    private const int SharedHoldMilliseconds = 2000;

    private static readonly long s_quietSpinTicks = Stopwatch.Frequency * QuietSpinMicroseconds / 1_000_000;
    private static readonly long s_preemptedTicks = Stopwatch.Frequency * PreemptedMicroseconds / 1_000_000;
    private static readonly long s_lateWakeTicks = Stopwatch.Frequency * LateWakeMicroseconds / 1_000_000;
    private static readonly long s_sharedHoldTicks = Stopwatch.Frequency * SharedHoldMilliseconds / 1000;
    private static long s_sharedSeen = long.MinValue / 2;

    /// <summary>Whether a hand-off to a worker currently costs about a microsecond: no thread of these loops has been held
    /// off its core in the last <see cref="SharedHoldMilliseconds"/> ms (workers then spin
    /// <see cref="QuietSpinMicroseconds"/>). On a loaded machine a
    /// spinning worker only takes CPU from the caller (measured: 1.5-1.9x slower SqueezeNet at 2 threads under load 21 with a
    /// 5 ms spin), so there the short spin stays. Always false with TESSERA_CPU_SPIN_US set.</summary>
    public static bool HandOffIsCheap => s_adaptive && Stopwatch.GetTimestamp() - Volatile.Read(ref s_sharedSeen) > s_sharedHoldTicks;

    /// <summary>Records a sign that the cores are shared (see <see cref="HandOffIsCheap"/>).</summary>
    internal static void NoteShared() => Volatile.Write(ref s_sharedSeen, Stopwatch.GetTimestamp());

    private static long SpinTicks => HandOffIsCheap ? s_quietSpinTicks : s_spinTicks;

    /// <summary>50 us: longer spins (300 us, 2 ms) measured no better on the shared 2-core machine, 2 ms clearly worse.</summary>
    public const int DefaultSpinMicroseconds = 50;

    /// <summary>Most loops of one body type in existence (pooled or posted); see <see cref="Loop{TBody}.Rent"/>.</summary>
    private const int MaxLoopsPerBody = 8;

    /// <summary>Most worker threads the process creates (threads beyond 65 per loop are not used).</summary>
    private const int MaxWorkers = 64;

    [ThreadStatic]
    private static bool t_serial;

    private static readonly ConcurrentQueue<LoopBase> s_tickets = new();
    private static readonly SemaphoreSlim s_posted = new(0, int.MaxValue);
    private static readonly object s_grow = new();
    private static volatile int s_workers;
    private static readonly long s_spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    public static int Resolve(int threads) => threads > 0 ? threads : Environment.ProcessorCount;

    /// <summary>Worker threads created so far (process-wide).</summary>
    public static int WorkerCount => s_workers;

    /// <summary>Runs <paramref name="body"/>(i) for every i in [0, count) exactly once, on at most
    /// <paramref name="threads"/> threads (the caller one of them). An exception from a body stops the
    /// indices not yet taken and is rethrown to the caller as it is (stack trace kept; several at once in an
    /// <see cref="AggregateException"/>), as at one thread.</summary>
    public static void For(int count, int threads, Action<int> body) => For(count, threads, new ActionBody(body));

    /// <summary><see cref="For(int, int, Action{int})"/> with the body as a value: a struct implementing
    /// <see cref="IParallelBody"/> holds what a lambda would capture, so a loop allocates nothing (a lambda that
    /// captures locals costs a closure and a delegate per call). The loop's bookkeeping is pooled per body type.</summary>
    public static void For<TBody>(int count, int threads, TBody body)
        where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        if (threads <= 1 || count == 1 || t_serial)
        {
            for (int i = 0; i < count; i++) body.Run(i);
            return;
        }
        int helpers = Math.Min(Math.Min(threads, count) - 1, MaxWorkers);
        EnsureWorkers(helpers);
        var loop = Loop<TBody>.Rent(count, body, helpers);
        if (loop is null)
        {
            // Every loop of this body type is still held by a ticket no worker has taken yet: the workers lag (a
            // loaded machine), so handing them more would not help; run on this thread and allocate nothing.
            for (int i = 0; i < count; i++) body.Run(i);
            return;
        }
        loop.Posted = Stopwatch.GetTimestamp();
        for (int h = 0; h < helpers; h++) s_tickets.Enqueue(loop);
        s_posted.Release(helpers);
        t_serial = true;
        try
        {
            loop.Work();
        }
        finally
        {
            t_serial = false;
        }
        loop.WaitFinished();
        var errors = loop.Errors;
        loop.Release();
        if (errors is not null)
        {
            if (errors.Count == 1) ExceptionDispatchInfo.Throw(errors[0]);
            throw new AggregateException(errors);
        }
    }

    /// <summary>A loop body as a value (see <see cref="For{TBody}"/>).</summary>
    public interface IParallelBody
    {
        void Run(int index);
    }

    private readonly struct ActionBody(Action<int> body) : IParallelBody
    {
        public void Run(int index) => body(index);
    }

    /// <summary>Runs every <see cref="For(int, int, Action{int})"/> on this thread until disposed (when <paramref name="serial"/>).</summary>
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

    private static void EnsureWorkers(int wanted)
    {
        if (s_workers >= wanted) return;
        lock (s_grow)
        {
            while (s_workers < wanted)
            {
                var thread = new Thread(WorkerMain, 256 * 1024) { IsBackground = true, Name = $"Tessera CPU worker {s_workers + 1}" };
                thread.Start();
                s_workers++;
            }
        }
    }

    private static void WorkerMain()
    {
        t_serial = true;
        while (true)
        {
            bool blocked = false;
            if (!s_posted.Wait(0))
            {
                long now = Stopwatch.GetTimestamp(), until = now + SpinTicks;
                bool taken = false;
                while (now < until)
                {
                    if (s_posted.CurrentCount > 0 && s_posted.Wait(0))
                    {
                        taken = true;
                        break;
                    }
                    Pause();
                    long next = Stopwatch.GetTimestamp();
                    if (next - now > s_preemptedTicks) NoteShared();
                    now = next;
                }
                if (!taken)
                {
                    s_posted.Wait();
                    blocked = true;
                }
            }
            if (s_tickets.TryDequeue(out var loop))
            {
                long late = Stopwatch.GetTimestamp() - loop.Posted;
                if (late > (blocked ? s_lateWakeTicks : s_preemptedTicks)) NoteShared();
                loop.Work();
                loop.Release();
            }
        }
    }

    /// <summary>One step of a spin. No Thread.Yield: with it, on the shared 2-core machine (load 17-21) a worker gave its
    /// core away and missed the next loop (2 threads sped a loop up in 1 of 20 same-run cells, against 5 of 20 without).</summary>
    private static void Pause() => Thread.SpinWait(20);

    /// <summary>One <see cref="For(int, int, Action{int})"/>: the next index to take, how many have finished, the first errors. Reused: the
    /// caller and each posted ticket hold a reference, and the last to let go puts the loop back in its pool, so a
    /// worker that takes a ticket late (after the caller returned) still sees the loop it was posted for.</summary>
    private abstract class LoopBase
    {
        private int _next;
        private int _finished;
        private int _count;
        private int _references;
        private volatile bool _failed;
        private readonly ManualResetEventSlim _done = new(false, 1);
        private List<Exception>? _errors;

        public List<Exception>? Errors => _errors;

        /// <summary>When the caller posted the loop's tickets (Stopwatch ticks).</summary>
        public long Posted { get; set; }

        protected void Start(int count, int helpers)
        {
            _count = count;
            _next = 0;
            _finished = 0;
            _failed = false;
            _errors = null;
            _done.Reset();
            Volatile.Write(ref _references, helpers + 1);
        }

        protected abstract void RunIndex(int index);

        protected abstract void Recycle();

        public void Work()
        {
            int count = _count;
            int ran = 0;
            while (true)
            {
                int i = Interlocked.Increment(ref _next) - 1;
                if (i >= count) break;
                ran++;
                if (_failed) continue;
                try
                {
                    RunIndex(i);
                }
                catch (Exception e)
                {
                    lock (this) (_errors ??= []).Add(e);
                    _failed = true;
                }
            }
            if (ran > 0 && Interlocked.Add(ref _finished, ran) == count) _done.Set();
        }

        public void WaitFinished()
        {
            int count = _count;
            if (Volatile.Read(ref _finished) == count) return;
            long now = Stopwatch.GetTimestamp(), until = now + SpinTicks;
            while (now < until)
            {
                if (Volatile.Read(ref _finished) == count) return;
                Pause();
                long next = Stopwatch.GetTimestamp();
                if (next - now > s_preemptedTicks) NoteShared();
                now = next;
            }
            _done.Wait();
        }

        /// <summary>The caller, or a worker done with its ticket, lets go of the loop.</summary>
        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0) Recycle();
        }
    }

    private sealed class Loop<TBody> : LoopBase
        where TBody : struct, IParallelBody
    {
        private static readonly ConcurrentQueue<Loop<TBody>> s_pool = new();
        private static int s_created;
        private TBody _body;

        /// <summary>A pooled loop, a new one while fewer than <see cref="MaxLoopsPerBody"/> exist, else null (the
        /// caller runs serially): on a loaded machine a worker can take its tickets many loops late, and each loop
        /// waiting for it would otherwise be a new allocation.</summary>
        public static Loop<TBody>? Rent(int count, TBody body, int helpers)
        {
            if (!s_pool.TryDequeue(out var loop))
            {
                if (Interlocked.Increment(ref s_created) > MaxLoopsPerBody)
                {
                    Interlocked.Decrement(ref s_created);
                    return null;
                }
                loop = new Loop<TBody>();
            }
            loop._body = body;
            loop.Start(count, helpers);
            return loop;
        }

        protected override void RunIndex(int index) => _body.Run(index);

        protected override void Recycle()
        {
            _body = default; // drop the body's references (activation arrays) while pooled
            s_pool.Enqueue(this);
        }
    }
}
