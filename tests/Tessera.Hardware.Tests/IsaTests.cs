using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Hardware.Tests;

public class IsaTests
{
    /// <summary>A random instruction whose every field is inside its declared range.</summary>
    internal static Instruction RandomInstruction(Random random)
    {
        var format = InstructionSet.Formats[random.Next(InstructionSet.Formats.Count)];
        var values = new long[format.Fields.Count];
        for (int i = 0; i < values.Length; i++)
        {
            var field = format.Fields[i];
            values[i] = field.Kind switch
            {
                FieldKind.Enumeration => Convert.ToInt64(Enum.GetValues(field.Enumeration!).GetValue(random.Next(Enum.GetValues(field.Enumeration!).Length)), System.Globalization.CultureInfo.InvariantCulture),
                _ => random.Next(4) == 0 ? field.Highest : random.NextInt64(field.Lowest, field.Highest + 1),
            };
        }
        var instruction = new Instruction(format.Opcode, values);
        if (instruction.Queue is { } queue)
        {
            int own = 1 << (int)queue;
            foreach (var name in new[] { "wait", "signal" })
            {
                int index = format.IndexOf(name);
                values[index] &= ~own;
            }
        }
        return new Instruction(format.Opcode, values);
    }

    [Property(MaxTest = 3000)]
    public bool Random_valid_instruction_survives_encode_and_decode(int seed)
    {
        var instruction = RandomInstruction(new Random(seed));
        return InstructionCodec.Decode(InstructionCodec.Encode(instruction)).Equals(instruction);
    }

    [Property(MaxTest = 3000)]
    public bool Random_valid_instruction_survives_disassembly_and_assembly(int seed)
    {
        var instruction = RandomInstruction(new Random(seed));
        var program = Assembler.Assemble(Disassembler.Format(instruction), "round-trip.s");
        return program.Instructions.Single().Equals(instruction);
    }

    [Property(MaxTest = 5000)]
    public Property Random_bytes_decode_or_fail_cleanly(byte[] bytes)
    {
        var word = new byte[InstructionSet.InstructionBytes];
        bytes.AsSpan(0, Math.Min(bytes.Length, word.Length)).CopyTo(word);
        // Keep the opcode valid half of the time so field validation is exercised, not only the opcode check.
        if (bytes.Length > 0 && bytes[0] % 2 == 0) word[0] = (byte)((word[0] & ~0x3F) | (bytes[0] % InstructionSet.Formats.Count));
        try
        {
            var instruction = InstructionCodec.Decode(word, 7);
            return InstructionCodec.Encode(instruction).AsSpan().SequenceEqual(word).ToProperty();
        }
        catch (ModelFormatException e)
        {
            return e.UserMessage.Contains("instruction 7", StringComparison.Ordinal).ToProperty();
        }
    }

    [Fact]
    public void Unknown_opcode_and_dirty_unused_bits_are_reported()
    {
        var word = new byte[32];
        word[0] = 63;
        Assert.Contains("unknown opcode 63", Assert.Throws<ModelFormatException>(() => InstructionCodec.Decode(word, 3)).UserMessage);
        word[0] = (byte)Opcode.End;
        word[31] = 1;
        Assert.Contains("non-zero unused bits", Assert.Throws<ModelFormatException>(() => InstructionCodec.Decode(word)).UserMessage);
    }

    [Fact]
    public void Every_format_fits_in_one_instruction_word()
    {
        Assert.All(InstructionSet.Formats, f => Assert.True(f.UsedBits <= InstructionSet.InstructionBytes * 8, $"{f.Mnemonic} uses {f.UsedBits} bits"));
    }

    [Fact]
    public void Committed_isa_document_matches_the_declaration()
    {
        var path = Path.Combine(Path.GetDirectoryName(NpuSpecLoader.ConfigFolder)!, "..", "docs", "isa.md");
        Assert.True(File.Exists(path), $"{path} is missing; run 'tessera isa-doc -o docs/isa.md'");
        Assert.True(File.ReadAllText(path).ReplaceLineEndings("\n") == IsaDocument.Generate(), "docs/isa.md is stale; run 'tessera isa-doc -o docs/isa.md'");
    }
}
