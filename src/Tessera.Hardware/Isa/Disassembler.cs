using System.Globalization;
using System.Text;

namespace Tessera.Hardware;

/// <summary>Turns instructions and programs back into the assembler's text; <c>Assembler.Assemble</c> of the
/// output gives the same program (fields equal to zero are omitted since zero is every field's default).</summary>
public static class Disassembler
{
    public static string Format(Instruction instruction)
    {
        var text = new StringBuilder(instruction.Format.Mnemonic);
        for (int i = 0; i < instruction.Format.Fields.Count; i++)
        {
            var field = instruction.Format.Fields[i];
            long value = instruction.Values[i];
            if (value == 0 && !(field.Kind == FieldKind.Enumeration && instruction.Opcode == Opcode.Sync)) continue;
            text.Append(' ').Append(field.Name).Append('=').Append(FormatValue(field, value));
        }
        return text.ToString();
    }

    public static string FormatValue(FieldDeclaration field, long value) => field.Kind switch
    {
        FieldKind.Enumeration => InstructionSet.EnumName(field.Enumeration!, value),
        FieldKind.QueueSet => QueueSet((int)value),
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    public static string QueueSet(int mask)
    {
        var names = Enum.GetValues<QueueKind>().Where(q => (mask & (1 << (int)q)) != 0).Select(q => q.ToString().ToLowerInvariant()).ToList();
        for (int bit = 4; bit < 32; bit++)
        {
            if ((mask & (1 << bit)) != 0) names.Add(bit.ToString(CultureInfo.InvariantCulture));
        }
        return string.Join('|', names);
    }

    public static string Format(NpuProgram program)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"; Tessera NPU program: {program.Instructions.Count} instructions, {program.Constants.Count} constants, {program.Tensors.Count} tensors");
        text.AppendLine(program.SpecHash == 0 ? ".spec any" : string.Create(invariant, $".spec 0x{program.SpecHash:x16}"));
        text.AppendLine(invariant, $".dram {program.DramBytes}");
        foreach (var tensor in program.Tensors)
        {
            var directive = tensor.Role == TensorRole.Input ? ".input" : ".output";
            text.AppendLine(invariant, $"{directive} {tensor.Name} {tensor.DramAddress} {TypeName(tensor.Type)} {string.Join('x', tensor.Shape)}");
        }
        foreach (var constant in program.Constants)
        {
            text.Append(invariant, $".const {constant.Name} {constant.DramAddress} {TypeName(constant.Type)}");
            if (constant.Type == NpuDataType.Int32)
            {
                for (int i = 0; i + 4 <= constant.Bytes.Length; i += 4) text.Append(' ').Append(BitConverter.ToInt32(constant.Bytes, i).ToString(invariant));
            }
            else
            {
                foreach (var b in constant.Bytes) text.Append(' ').Append(((sbyte)b).ToString(invariant));
            }
            text.AppendLine();
        }
        for (int i = 0; i < program.Instructions.Count; i++)
        {
            text.AppendLine(Format(program.Instructions[i]));
        }
        return text.ToString();
    }

    public static string TypeName(NpuDataType type) => type == NpuDataType.Int32 ? "int32" : "int8";
}
