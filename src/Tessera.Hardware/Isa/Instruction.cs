namespace Tessera.Hardware;

/// <summary>One decoded instruction: its opcode and one value per field of its format, in declaration
/// order. Values are plain integers (enum fields hold the enum's number, queue sets a bit mask).</summary>
public sealed class Instruction : IEquatable<Instruction>
{
    private readonly long[] values;

    public Instruction(Opcode opcode, long[] values)
    {
        Opcode = opcode;
        Format = InstructionSet.Format(opcode);
        if (values.Length != Format.Fields.Count) throw new ArgumentException($"{Format.Mnemonic} has {Format.Fields.Count} fields, got {values.Length}", nameof(values));
        this.values = values;
    }

    public Opcode Opcode { get; }

    public InstructionFormat Format { get; }

    public IReadOnlyList<long> Values => values;

    public long this[string field]
    {
        get
        {
            int index = Format.IndexOf(field);
            return index < 0 ? 0 : values[index];
        }
    }

    public int Get(string field) => checked((int)this[field]);

    /// <summary>The queue this instruction runs on; null for END.</summary>
    public QueueKind? Queue => Format.Queue ?? (Opcode == Opcode.Sync ? (QueueKind)this["queue"] : null);

    public int WaitMask => (int)this["wait"];

    public int SignalMask => (int)this["signal"];

    /// <summary>Builds an instruction from field names; omitted fields are zero, unknown names an error.</summary>
    public static Instruction Create(Opcode opcode, params (string Field, long Value)[] fields)
    {
        var format = InstructionSet.Format(opcode);
        var values = new long[format.Fields.Count];
        foreach (var (field, value) in fields)
        {
            int index = format.IndexOf(field);
            if (index < 0) throw new ArgumentException($"{format.Mnemonic} has no field '{field}'", nameof(fields));
            values[index] = value;
        }
        return new Instruction(opcode, values);
    }

    public bool Equals(Instruction? other) => other is not null && other.Opcode == Opcode && other.values.AsSpan().SequenceEqual(values);

    public override bool Equals(object? obj) => Equals(obj as Instruction);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Opcode);
        foreach (var v in values) hash.Add(v);
        return hash.ToHashCode();
    }

    public override string ToString() => Disassembler.Format(this);
}
