using System.Globalization;
using System.Text;

namespace Tessera.Hardware;

/// <summary>Generates docs/isa.md from the declaration in <see cref="InstructionSet"/>; a test fails when the
/// committed file differs (regenerate with <c>tessera isa-doc -o docs/isa.md</c>).</summary>
public static class IsaDocument
{
    public static string Generate()
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("# Tessera NPU instruction set");
        text.AppendLine();
        text.AppendLine("<!-- Generated from src/Tessera.Hardware/Isa/InstructionSet.cs by `tessera isa-doc`; do not edit. -->");
        text.AppendLine();
        text.AppendLine(invariant, $"Every instruction is {InstructionSet.InstructionBytes} bytes ({InstructionSet.InstructionBytes * 8} bits), little-endian. Bits 0-{InstructionSet.OpcodeBits - 1} hold the opcode; the fields follow in the order listed, each starting at the bit after the previous one. Unused high bits must be zero. Instructions are dispatched in program order to four queues (load, compute, vector, store) that run in parallel; `wait` and `signal` are sets of queues: an instruction first takes one token from each queue in `wait` (waiting until that queue has sent one) and, when it completes, sends one token to each queue in `signal`. Any queue may signal any other, so a vector-only program needs no compute-queue no-ops.");
        text.AppendLine();
        text.AppendLine("Assembly syntax: `mnemonic field=value ...`; omitted fields are 0; queue sets are written `load|vector`; enumerations by name. Directives: `.spec`, `.dram`, `.set`, `.input`, `.output`, `.const` (see `Assembler`).");
        text.AppendLine();
        text.AppendLine("| opcode | mnemonic | queue | bits used |");
        text.AppendLine("| --- | --- | --- | --- |");
        foreach (var format in InstructionSet.Formats)
        {
            var queue = format.Queue?.ToString().ToLowerInvariant() ?? (format.Opcode == Opcode.Sync ? "field `queue`" : "-");
            text.AppendLine(invariant, $"| {(int)format.Opcode} | `{format.Mnemonic}` | {queue} | {format.UsedBits} |");
        }
        foreach (var format in InstructionSet.Formats)
        {
            text.AppendLine();
            text.AppendLine(invariant, $"## `{format.Mnemonic}` (opcode {(int)format.Opcode})");
            text.AppendLine();
            text.AppendLine(format.Description);
            text.AppendLine();
            text.AppendLine("| bits | field | kind | allowed | meaning |");
            text.AppendLine("| --- | --- | --- | --- | --- |");
            text.AppendLine(invariant, $"| 0-{InstructionSet.OpcodeBits - 1} | opcode | unsigned | {(int)format.Opcode} | instruction kind |");
            int bit = InstructionSet.OpcodeBits;
            foreach (var field in format.Fields)
            {
                var kind = field.Kind.ToString().ToLowerInvariant();
                text.AppendLine(invariant, $"| {bit}-{bit + field.Bits - 1} | `{field.Name}` | {kind} | {InstructionCodec.Allowed(field).Replace("|", "\\|", StringComparison.Ordinal)} | {field.Description} |");
                bit += field.Bits;
            }
        }
        text.AppendLine();
        text.AppendLine("## Vector functions");
        text.AppendLine();
        text.AppendLine("Parameters are int32 words in the accumulator at address `p`, in the order listed. Requantization and the rescaling of `add`/`multiply` follow TFLite/gemmlowp exactly (`FixedPoint`: SaturatingRoundingDoublingHighMul then RoundingDivideByPOT).");
        text.AppendLine();
        text.AppendLine("| function | code | a | b | d | parameters | meaning |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var f in InstructionSet.VectorFunctions)
        {
            text.AppendLine(invariant, $"| `{f.Name}` | {(int)f.Function} | {f.A.ToString().ToLowerInvariant()} | {f.B} | {f.Destination.ToString().ToLowerInvariant()} | {f.Parameters} | {f.Meaning} |");
        }
        return text.ToString().ReplaceLineEndings("\n");
    }
}
