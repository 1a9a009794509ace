using System.Globalization;
using Tessera.Core;

namespace Tessera.Hardware;

/// <summary>Text assembler. One statement per line; ';' or '#' starts a comment.
/// <code>
/// .spec small | any | 0xHASH        configuration the program is built for
/// .dram BYTES                       DRAM the program uses (default: end of its last constant or tensor)
/// .set NAME EXPR                    a symbol
/// .input NAME ADDR int8|int32 DIMS  tensor map entry (DIMS like 64x64); NAME becomes a symbol = ADDR
/// .output NAME ADDR TYPE DIMS
/// .const NAME ADDR TYPE V V ...     constant data; NAME becomes a symbol = ADDR
/// MNEMONIC field=EXPR ...           an instruction; omitted fields are 0
/// </code>
/// Expressions are integers (decimal, 0x hex, negative), symbols, and + - * between them.</summary>
public static class Assembler
{
    public static NpuProgram Assemble(string source, string where = "<source>", Func<string, NpuSpec>? specResolver = null)
    {
        var program = new NpuProgram();
        var symbols = new Dictionary<string, long>(StringComparer.Ordinal);
        long? dram = null;
        var lines = source.Split('\n');
        for (int number = 1; number <= lines.Length; number++)
        {
            string line = StripComment(lines[number - 1]).Trim();
            if (line.Length == 0) continue;
            var location = $"{where}:{number}";
            var words = line.Split((char[])[' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            try
            {
                if (words[0].StartsWith('.'))
                {
                    Directive(words, program, symbols, ref dram, location, specResolver);
                }
                else
                {
                    program.Instructions.Add(ParseInstruction(words, symbols, location));
                }
            }
            catch (ModelFormatException)
            {
                throw;
            }
            catch (TesseraException e)
            {
                throw new ModelFormatException(e.Message, location, e.Hint);
            }
        }
        program.DramBytes = dram ?? program.Footprint;
        if (program.Footprint > program.DramBytes)
        {
            throw new ModelFormatException($".dram {program.DramBytes} is smaller than the constants and tensors need ({program.Footprint})", where);
        }
        return program;
    }

    private static string StripComment(string line)
    {
        int cut = line.IndexOfAny([';', '#']);
        return cut < 0 ? line : line[..cut];
    }

    private static void Directive(string[] words, NpuProgram program, Dictionary<string, long> symbols, ref long? dram, string location, Func<string, NpuSpec>? specResolver)
    {
        switch (words[0])
        {
            case ".spec":
                Expect(words, 2, location, ".spec small|any|0xHASH");
                program.SpecHash = words[1] switch
                {
                    "any" => 0,
                    var hex when hex.StartsWith("0x", StringComparison.Ordinal) && ulong.TryParse(hex[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hash) => hash,
                    var name => (specResolver ?? NpuSpecLoader.Load)(name).Hash,
                };
                break;
            case ".dram":
                Expect(words, 2, location, ".dram BYTES");
                dram = Evaluate(words[1], symbols, location);
                if (dram < 0 || dram > ProgramFile.MaximumDramBytes) throw new ModelFormatException($".dram {dram} is out of range", location, $"allowed 0..{ProgramFile.MaximumDramBytes}");
                break;
            case ".set":
                Expect(words, 3, location, ".set NAME EXPR");
                Define(symbols, words[1], Evaluate(string.Concat(words[2..]), symbols, location), location);
                break;
            case ".input":
            case ".output":
                {
                    Expect(words, 5, location, $"{words[0]} NAME ADDR int8|int32 DIMS");
                    long address = Evaluate(words[2], symbols, location);
                    var shape = words[4].Split('x').Select(d => checked((int)Evaluate(d, symbols, location))).ToArray();
                    var role = words[0] == ".input" ? TensorRole.Input : TensorRole.Output;
                    program.Tensors.Add(new TensorBinding(words[1], role, ParseType(words[3], location), address, shape));
                    Define(symbols, words[1], address, location);
                    break;
                }
            case ".const":
                {
                    if (words.Length < 5) throw new ModelFormatException("expected .const NAME ADDR TYPE VALUES...", location);
                    long address = Evaluate(words[2], symbols, location);
                    var type = ParseType(words[3], location);
                    var values = words[4..].Select(v => Evaluate(v, symbols, location)).ToArray();
                    var bytes = new byte[values.Length * TensorBinding.ElementSize(type)];
                    for (int i = 0; i < values.Length; i++)
                    {
                        long v = values[i];
                        if (type == NpuDataType.Int8)
                        {
                            if (v is < -128 or > 255) throw new ModelFormatException($"int8 constant {v} is out of range", location, "allowed -128..255");
                            bytes[i] = (byte)v;
                        }
                        else
                        {
                            if (v is < int.MinValue or > uint.MaxValue) throw new ModelFormatException($"int32 constant {v} is out of range", location);
                            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), (int)v);
                        }
                    }
                    program.Constants.Add(new ConstantBlock(words[1], address, type, bytes));
                    Define(symbols, words[1], address, location);
                    break;
                }
            default:
                throw new ModelFormatException($"unknown directive '{words[0]}'", location, "use .spec, .dram, .set, .input, .output or .const");
        }
    }

    private static Instruction ParseInstruction(string[] words, Dictionary<string, long> symbols, string location)
    {
        var format = InstructionSet.FindFormat(words[0].ToLowerInvariant())
            ?? throw new ModelFormatException($"unknown instruction '{words[0]}'", location, $"use one of {string.Join(", ", InstructionSet.Formats.Select(f => f.Mnemonic))}");
        var values = new long[format.Fields.Count];
        var seen = new HashSet<int>();
        foreach (var word in words[1..])
        {
            int equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new ModelFormatException($"expected field=value, got '{word}'", location);
            string name = word[..equals], text = word[(equals + 1)..];
            int index = format.IndexOf(name);
            if (index < 0) throw new ModelFormatException($"{format.Mnemonic} has no field '{name}'", location, $"fields: {string.Join(", ", format.Fields.Select(f => f.Name))}");
            if (!seen.Add(index)) throw new ModelFormatException($"field '{name}' given twice", location);
            var field = format.Fields[index];
            values[index] = field.Kind switch
            {
                FieldKind.QueueSet => ParseQueues(text, location),
                FieldKind.Enumeration => InstructionSet.TryParseEnum(field.Enumeration!, text, out long e) ? e
                    : throw new ModelFormatException($"'{text}' is not a valid {name}", location, $"allowed {InstructionCodec.Allowed(field)}"),
                _ => Evaluate(text, symbols, location),
            };
            if (!field.Accepts(values[index]))
            {
                throw new ModelFormatException($"{format.Mnemonic}: field '{name}' = {values[index]} is out of range", location, $"allowed {InstructionCodec.Allowed(field)}");
            }
        }
        var instruction = new Instruction(format.Opcode, values);
        foreach (var (field, i) in format.Fields.Select((f, i) => (f, i)))
        {
            if (!seen.Contains(i) && !field.Accepts(0)) throw new ModelFormatException($"{format.Mnemonic} needs field '{field.Name}'", location, $"allowed {InstructionCodec.Allowed(field)}");
        }
        try
        {
            InstructionCodec.Validate(instruction, -1);
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException(e.Message, location, e.Hint);
        }
        return instruction;
    }

    private static long ParseQueues(string text, string location)
    {
        long mask = 0;
        foreach (var name in text.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<QueueKind>(name, ignoreCase: true, out var queue) || !Enum.IsDefined(queue))
            {
                throw new ModelFormatException($"'{name}' is not a queue", location, "use load, compute, vector or store joined by '|'");
            }
            mask |= 1L << (int)queue;
        }
        return mask;
    }

    private static NpuDataType ParseType(string text, string location) => text switch
    {
        "int8" => NpuDataType.Int8,
        "int32" => NpuDataType.Int32,
        _ => throw new ModelFormatException($"unknown type '{text}'", location, "use int8 or int32"),
    };

    private static void Expect(string[] words, int count, string location, string usage)
    {
        if (words.Length != count) throw new ModelFormatException($"expected {usage}", location);
    }

    private static void Define(Dictionary<string, long> symbols, string name, long value, string location)
    {
        if (!char.IsLetter(name[0]) && name[0] != '_') throw new ModelFormatException($"'{name}' is not a valid symbol name", location, "start it with a letter");
        if (!symbols.TryAdd(name, value)) throw new ModelFormatException($"symbol '{name}' is defined twice", location);
    }

    /// <summary>Evaluates sums and differences of products of integers and symbols.</summary>
    public static long Evaluate(string text, IReadOnlyDictionary<string, long> symbols, string location)
    {
        long total = 0;
        int sign = 1, start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || ((text[i] == '+' || text[i] == '-') && i > start))
            {
                total += sign * Product(text[start..i], symbols, location);
                if (i < text.Length) sign = text[i] == '-' ? -1 : 1;
                start = i + 1;
            }
            else if (text[i] == '-' && i == start)
            {
                sign = -sign;
                start = i + 1;
            }
        }
        return total;
    }

    private static long Product(string text, IReadOnlyDictionary<string, long> symbols, string location)
    {
        long product = 1;
        foreach (var factor in text.Split('*'))
        {
            product *= factor switch
            {
                _ when factor.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && long.TryParse(factor[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex) => hex,
                _ when long.TryParse(factor, NumberStyles.None, CultureInfo.InvariantCulture, out var number) => number,
                _ when symbols.TryGetValue(factor, out var value) => value,
                _ => throw new ModelFormatException($"'{factor}' is not a number or a defined symbol", location, "define it with .set before use"),
            };
        }
        return product;
    }
}
