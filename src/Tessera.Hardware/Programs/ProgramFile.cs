using System.Buffers.Binary;
using System.Text;
using Tessera.Core;

namespace Tessera.Hardware;

/// <summary>The binary program format (little-endian):
/// header "TNPU", u16 version, u16 reserved, u64 spec hash, u64 DRAM bytes, u32 instruction count,
/// u32 constant count, u32 tensor count; then 32-byte instructions; then constants (u16 name length, name,
/// u8 type, u64 DRAM address, u32 byte length, bytes); then tensors (u16 name length, name, u8 role, u8 type,
/// u64 DRAM address, u8 rank, i32 dims). Reading validates every count and extent against the file length
/// and the DRAM size, so a truncated or hostile file is an error, never an over-allocation.</summary>
public static class ProgramFile
{
    public static ReadOnlySpan<byte> Magic => "TNPU"u8;

    public const ushort Version = 1;

    /// <summary>Programs may not claim more DRAM than this (4 GiB), whatever their header says.</summary>
    public const long MaximumDramBytes = 1L << 32;

    public static byte[] Write(NpuProgram program)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write((ushort)0);
        writer.Write(program.SpecHash);
        writer.Write(program.DramBytes);
        writer.Write(program.Instructions.Count);
        writer.Write(program.Constants.Count);
        writer.Write(program.Tensors.Count);
        Span<byte> word = stackalloc byte[InstructionSet.InstructionBytes];
        foreach (var instruction in program.Instructions)
        {
            InstructionCodec.Encode(instruction, word);
            writer.Write(word);
        }
        foreach (var constant in program.Constants)
        {
            WriteName(writer, constant.Name);
            writer.Write((byte)constant.Type);
            writer.Write(constant.DramAddress);
            writer.Write(constant.Bytes.Length);
            writer.Write(constant.Bytes);
        }
        foreach (var tensor in program.Tensors)
        {
            WriteName(writer, tensor.Name);
            writer.Write((byte)tensor.Role);
            writer.Write((byte)tensor.Type);
            writer.Write(tensor.DramAddress);
            writer.Write((byte)tensor.Shape.Length);
            foreach (var d in tensor.Shape) writer.Write(d);
        }
        writer.Flush();
        return stream.ToArray();
    }

    public static NpuProgram Read(string path) => Read(File.ReadAllBytes(path), path);

    public static NpuProgram Read(ReadOnlySpan<byte> data, string where = "program")
    {
        var reader = new SpanReader(data, where);
        if (!reader.Bytes(4).SequenceEqual(Magic)) throw new ModelFormatException("not a Tessera NPU program (bad magic)", where, "assemble it with 'tessera asm'");
        ushort version = reader.U16();
        if (version != Version) throw new ModelFormatException($"program version {version} is not supported (this build reads {Version})", where);
        reader.U16();
        var program = new NpuProgram { SpecHash = reader.U64() };
        long dram = (long)reader.U64();
        if (dram < 0 || dram > MaximumDramBytes) throw new ModelFormatException($"DRAM size {dram} exceeds {MaximumDramBytes}", where);
        program.DramBytes = dram;
        int instructions = reader.Count(InstructionSet.InstructionBytes);
        int constants = reader.Count(15);
        int tensors = reader.Count(13);
        for (int i = 0; i < instructions; i++)
        {
            program.Instructions.Add(InstructionCodec.Decode(reader.Bytes(InstructionSet.InstructionBytes), i));
        }
        for (int i = 0; i < constants; i++)
        {
            string name = reader.Name();
            var type = reader.Type();
            long address = (long)reader.U64();
            int length = reader.Count(1);
            var constant = new ConstantBlock(name, address, type, reader.Bytes(length).ToArray());
            if (address < 0 || constant.End > dram) throw new ModelFormatException($"constant '{name}' [{address}, {constant.End}) lies outside the program's {dram} bytes of DRAM", where);
            program.Constants.Add(constant);
        }
        for (int i = 0; i < tensors; i++)
        {
            string name = reader.Name();
            byte role = reader.U8();
            if (role > 1) throw new ModelFormatException($"tensor '{name}' has unknown role {role}", where);
            var type = reader.Type();
            long address = (long)reader.U64();
            int rank = reader.U8();
            var shape = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                shape[d] = reader.I32();
                if (shape[d] < 0) throw new ModelFormatException($"tensor '{name}' has negative dimension {shape[d]}", where);
            }
            var tensor = new TensorBinding(name, (TensorRole)role, type, address, shape);
            if (address < 0 || tensor.ElementCount > dram || tensor.End > dram)
            {
                throw new ModelFormatException($"tensor '{name}' lies outside the program's {dram} bytes of DRAM", where);
            }
            program.Tensors.Add(tensor);
        }
        if (!reader.AtEnd) throw new ModelFormatException("unexpected bytes after the tensor map", where, "the file is corrupt");
        return program;
    }

    private static void WriteName(BinaryWriter writer, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        writer.Write(checked((ushort)bytes.Length));
        writer.Write(bytes);
    }

    private ref struct SpanReader(ReadOnlySpan<byte> data, string where)
    {
        private readonly ReadOnlySpan<byte> data = data;
        private int position;

        public readonly bool AtEnd => position == data.Length;

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || data.Length - position < count)
            {
                throw new ModelFormatException($"truncated at byte {position} (needs {count} more, {data.Length - position} left)", where, "the file is incomplete");
            }
            var slice = data.Slice(position, count);
            position += count;
            return slice;
        }

        public byte U8() => Bytes(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

        public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));

        /// <summary>A count whose items need at least <paramref name="minimumItemBytes"/> each: bounded by
        /// what is left of the file so a forged count cannot trigger a huge allocation.</summary>
        public int Count(int minimumItemBytes)
        {
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));
            if (count > (uint)((data.Length - position) / minimumItemBytes))
            {
                throw new ModelFormatException($"count {count} at byte {position - 4} exceeds what the file can hold", where, "the file is corrupt or truncated");
            }
            return (int)count;
        }

        public NpuDataType Type()
        {
            byte type = U8();
            if (type > 1) throw new ModelFormatException($"unknown element type {type} at byte {position - 1}", where);
            return (NpuDataType)type;
        }

        public string Name()
        {
            int length = U16();
            try
            {
                return new UTF8Encoding(false, true).GetString(Bytes(length));
            }
            catch (DecoderFallbackException)
            {
                throw new ModelFormatException($"name at byte {position - length} is not valid UTF-8", where);
            }
        }
    }
}
