using System.Buffers.Binary;
using Tessera.Core;

namespace Tessera.Hardware;

/// <summary>Packs instructions into fixed 32-byte words, fields least-significant bit first after the
/// opcode, and unpacks them with full validation: an unknown opcode, a field out of range, a token sent
/// to the instruction's own queue or non-zero unused bits is an error, never a wrong instruction.</summary>
public static class InstructionCodec
{
    public static void Encode(Instruction instruction, Span<byte> destination)
    {
        if (destination.Length < InstructionSet.InstructionBytes) throw new ArgumentException("destination is shorter than one instruction", nameof(destination));
        Validate(instruction, -1);
        Span<ulong> words = stackalloc ulong[4];
        words.Clear();
        int bit = 0;
        Put(words, ref bit, InstructionSet.OpcodeBits, (ulong)instruction.Opcode);
        var format = instruction.Format;
        for (int i = 0; i < format.Fields.Count; i++)
        {
            var field = format.Fields[i];
            ulong mask = field.Bits == 64 ? ulong.MaxValue : (1UL << field.Bits) - 1;
            Put(words, ref bit, field.Bits, (ulong)instruction.Values[i] & mask);
        }
        for (int w = 0; w < 4; w++) BinaryPrimitives.WriteUInt64LittleEndian(destination[(w * 8)..], words[w]);
    }

    public static byte[] Encode(Instruction instruction)
    {
        var bytes = new byte[InstructionSet.InstructionBytes];
        Encode(instruction, bytes);
        return bytes;
    }

    /// <summary>Decodes one instruction; <paramref name="index"/> only labels error messages.</summary>
    public static Instruction Decode(ReadOnlySpan<byte> source, int index = 0)
    {
        if (source.Length < InstructionSet.InstructionBytes)
        {
            throw new ModelFormatException($"instruction {index} is truncated ({source.Length} of {InstructionSet.InstructionBytes} bytes)", "program");
        }
        Span<ulong> words = stackalloc ulong[4];
        for (int w = 0; w < 4; w++) words[w] = BinaryPrimitives.ReadUInt64LittleEndian(source[(w * 8)..]);
        int bit = 0;
        long opcodeValue = (long)Take(words, ref bit, InstructionSet.OpcodeBits);
        if (opcodeValue >= InstructionSet.Formats.Count)
        {
            throw new ModelFormatException($"instruction {index} has unknown opcode {opcodeValue}", "program", "the file is corrupt or was written by a newer Tessera");
        }
        var format = InstructionSet.Format((Opcode)opcodeValue);
        var values = new long[format.Fields.Count];
        for (int i = 0; i < values.Length; i++)
        {
            var field = format.Fields[i];
            ulong raw = Take(words, ref bit, field.Bits);
            values[i] = field.Kind == FieldKind.Signed ? SignExtend(raw, field.Bits) : (long)raw;
        }
        while (bit < 256)
        {
            int chunk = Math.Min(64 - (bit % 64), 256 - bit);
            if (Take(words, ref bit, chunk) != 0)
            {
                throw new ModelFormatException($"instruction {index} ({format.Mnemonic}) has non-zero unused bits", "program", "the file is corrupt");
            }
        }
        var instruction = new Instruction(format.Opcode, values);
        Validate(instruction, index);
        return instruction;
    }

    /// <summary>Checks every field against its declaration and the token rules.</summary>
    public static void Validate(Instruction instruction, int index)
    {
        var format = instruction.Format;
        string label = index >= 0 ? $"instruction {index} ({format.Mnemonic})" : format.Mnemonic;
        for (int i = 0; i < format.Fields.Count; i++)
        {
            var field = format.Fields[i];
            long value = instruction.Values[i];
            if (!field.Accepts(value))
            {
                throw new ModelFormatException($"{label}: field '{field.Name}' = {value} is out of range", "program", $"allowed {Allowed(field)}");
            }
        }
        if (instruction.Queue is { } queue)
        {
            int own = 1 << (int)queue;
            if (((instruction.WaitMask | instruction.SignalMask) & own) != 0)
            {
                throw new ModelFormatException($"{label}: a {queue.ToString().ToLowerInvariant()}-queue instruction cannot wait on or signal its own queue", "program", "queues order their own instructions already");
            }
        }
    }

    public static string Allowed(FieldDeclaration field) => field.Kind switch
    {
        FieldKind.Enumeration => string.Join(", ", Enum.GetValues(field.Enumeration!).Cast<object>().Select(v => InstructionSet.EnumName(field.Enumeration!, Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)))),
        FieldKind.QueueSet => "a set of load, compute, vector, store joined by '|'",
        _ => $"{field.Lowest}..{field.Highest}",
    };

    private static long SignExtend(ulong raw, int bits) => (long)(raw << (64 - bits)) >> (64 - bits);

    private static void Put(Span<ulong> words, ref int bit, int count, ulong value)
    {
        for (int done = 0; done < count;)
        {
            int word = bit / 64, offset = bit % 64;
            int chunk = Math.Min(count - done, 64 - offset);
            ulong part = (value >> done) & (chunk == 64 ? ulong.MaxValue : (1UL << chunk) - 1);
            words[word] |= part << offset;
            done += chunk;
            bit += chunk;
        }
    }

    private static ulong Take(ReadOnlySpan<ulong> words, ref int bit, int count)
    {
        ulong value = 0;
        for (int done = 0; done < count;)
        {
            int word = bit / 64, offset = bit % 64;
            int chunk = Math.Min(count - done, 64 - offset);
            ulong part = (words[word] >> offset) & (chunk == 64 ? ulong.MaxValue : (1UL << chunk) - 1);
            value |= part << done;
            done += chunk;
            bit += chunk;
        }
        return value;
    }
}
