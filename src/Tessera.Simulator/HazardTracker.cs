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
    private readonly List<Record> records = [];

    private readonly record struct Record(Access Access, int Queue, long Sequence, int InstructionIndex);

    public long[] Clock(int queue) => clocks[queue];

    /// <summary>Snapshot sent with a token.</summary>
    public long[] Snapshot(int queue) => (long[])clocks[queue].Clone();

    public void Receive(int queue, long[] snapshot)
    {
        var clock = clocks[queue];
        for (int i = 0; i < Queues; i++) clock[i] = Math.Max(clock[i], snapshot[i]);
    }

    /// <summary>Checks the accesses of the next instruction of <paramref name="queue"/>; returns a problem
    /// description or null. Call <see cref="Commit"/> after the instruction executed.</summary>
    public string? Check(int queue, IReadOnlyList<Access> accesses, Func<int, string> describe)
    {
        var clock = clocks[queue];
        foreach (var access in accesses)
        {
            foreach (var record in records)
            {
                if (record.Queue == queue || record.Access.Store != access.Store) continue;
                if (!record.Access.Write && !access.Write) continue;
                if (record.Access.Start >= access.End || access.Start >= record.Access.End) continue;
                if (clock[record.Queue] >= record.Sequence) continue;
                string verb = access.Write ? "writes" : "reads";
                string theirs = record.Access.Write ? "written" : "being read";
                string producer = ((QueueKind)record.Queue).ToString().ToLowerInvariant();
                return $"{verb} {MachineState.Name(access.Store)} [{access.Start}, {access.End}) {theirs} by instruction {record.InstructionIndex} `{describe(record.InstructionIndex)}` on the {producer} queue, which has not signalled this queue";
            }
        }
        return null;
    }

    public void Commit(int queue, IReadOnlyList<Access> accesses, int instructionIndex)
    {
        long sequence = ++clocks[queue][queue];
        foreach (var access in accesses)
        {
            // A newer access by the same queue that covers an older one of the same kind supersedes it:
            // anyone synchronised with the newer one is synchronised with the older.
            records.RemoveAll(r => r.Queue == queue && r.Access.Store == access.Store && r.Access.Write == access.Write
                && r.Access.Start >= access.Start && r.Access.End <= access.End);
            records.Add(new Record(access, queue, sequence, instructionIndex));
        }
        if (records.Count > 64) Prune();
    }

    private void Prune()
    {
        records.RemoveAll(r =>
        {
            for (int q = 0; q < Queues; q++)
            {
                if (q != r.Queue && clocks[q][r.Queue] < r.Sequence) return false;
            }
            return true;
        });
    }
}
