using System.Runtime.CompilerServices;
using Tessera.Hardware;

namespace Tessera.Simulator;

/// <summary>Detects reads of data whose producer has not signalled the reader (and writes over data another
/// queue may still be reading) with vector clocks: each queue counts its instructions, a token carries the
/// sender's clock, and an access by queue q to a range last written (or read) by instruction s of queue p is
/// safe only if q's clock already includes p's s-th instruction, i.e. a chain of tokens orders them. Records
/// every queue knows about are dropped, so the cost stays proportional to the data in flight.</summary>
public sealed class HazardTracker
{
    private const int Queues = 4;
    private readonly long[][] clocks = Enumerable.Range(0, Queues).Select(_ => new long[Queues]).ToArray();
    // One list per (memory, read or write): a read only has to be checked against writes.
    private readonly List<Record>[] lists = Enumerable.Range(0, 8).Select(_ => new List<Record>()).ToArray();
    private int commitsSincePrune;
    private readonly bool[] finished = new bool[Queues];

    private readonly record struct Record(Access Access, int Queue, long Sequence, int InstructionIndex);

    public long[] Clock(int queue) => clocks[queue];

    /// <summary>A queue with no instructions left will never access memory again, so records need not be
    /// kept for it; without this, one idle queue would keep every record alive.</summary>
    public void Finish(int queue) => finished[queue] = true;

    /// <summary>Snapshot sent with a token.</summary>
    public long[] Snapshot(int queue) => (long[])clocks[queue].Clone();

    public void Receive(int queue, long[] snapshot)
    {
        var clock = clocks[queue];
        for (int i = 0; i < Queues; i++) clock[i] = Math.Max(clock[i], snapshot[i]);
    }

    /// <summary>Checks the accesses of the next instruction of <paramref name="queue"/>; returns a problem
    /// description or null. Call <see cref="Commit"/> after the instruction executed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string? Check(int queue, IReadOnlyList<Access> accesses, Func<int, string> describe)
    {
        var clock = clocks[queue];
        for (int i = 0; i < accesses.Count; i++)
        {
            var access = accesses[i];
            if (Conflict(lists[(int)access.Store * 2 + 1], queue, clock, access) is { } write) return Describe(access, write, describe);
            if (access.Write && Conflict(lists[(int)access.Store * 2], queue, clock, access) is { } read) return Describe(access, read, describe);
        }
        return null;
    }

    private static Record? Conflict(List<Record> list, int queue, long[] clock, Access access)
    {
        foreach (var record in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list))
        {
            if (record.Queue == queue || record.Access.Start >= access.End || access.Start >= record.Access.End) continue;
            if (clock[record.Queue] < record.Sequence) return record;
        }
        return null;
    }

    private static string Describe(Access access, Record record, Func<int, string> describe)
    {
        string verb = access.Write ? "writes" : "reads";
        string theirs = record.Access.Write ? "written" : "being read";
        string producer = ((QueueKind)record.Queue).ToString().ToLowerInvariant();
        return $"{verb} {MachineState.Name(access.Store)} [{access.Start}, {access.End}) {theirs} by instruction {record.InstructionIndex} `{describe(record.InstructionIndex)}` on the {producer} queue, which has not signalled this queue";
    }

    public void Commit(int queue, IReadOnlyList<Access> accesses, int instructionIndex)
    {
        long sequence = ++clocks[queue][queue];
        foreach (var access in accesses)
        {
            // A newer access by the same queue that covers an older one of the same kind supersedes it:
            // anyone synchronised with the newer one is synchronised with the older.
            var list = lists[(int)access.Store * 2 + (access.Write ? 1 : 0)];
            int kept = 0;
            for (int i = 0; i < list.Count; i++)
            {
                var r = list[i];
                if (r.Queue == queue && r.Access.Start >= access.Start && r.Access.End <= access.End) continue;
                list[kept++] = r;
            }
            list.RemoveRange(kept, list.Count - kept);
            list.Add(new Record(access, queue, sequence, instructionIndex));
        }
        if (++commitsSincePrune >= 32)
        {
            commitsSincePrune = 0;
            Prune();
        }
    }

    private void Prune()
    {
        foreach (var list in lists) list.RemoveAll(r =>
        {
            for (int q = 0; q < Queues; q++)
            {
                if (q != r.Queue && !finished[q] && clocks[q][r.Queue] < r.Sequence) return false;
            }
            return true;
        });
    }
}
