using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Hardware.Tests;

public class AssemblerTests
{
    private const string Sample = """
        ; a sample with every directive
        .spec any
        .set TILE 64
        .input a 0 int8 8x8
        .const w 64 int8 1 -2 3 -128 127 0 5 6
        .const q 128 int32 -7 1073741824 2147483647
        .output y 256 int32 8x8
        .dram 4096
        load memory=act sram=0 dram=a x=TILE y=1 z=1 signal=compute
        load memory=weight sram=0 dram=w x=8 y=1 z=1 pad_value=-3 pad_left=2 signal=compute
        gemm wait=load signal=store|vector m0=8 m1=1 k=8 n=1 input_stride0=8 output=TILE*2-1 output_stride=1
        sync queue=vector wait=compute
        store wait=compute memory=accumulator sram=127 dram=y x=8 y=1 z=1
        end
        """;

    [Fact]
    public void Program_survives_assembly_binary_and_disassembly()
    {
        var program = Assembler.Assemble(Sample, "sample.s");
        Assert.Equal(6, program.Instructions.Count);
        Assert.Equal(127, program.Instructions[2]["output"]);
        var binary = ProgramFile.Write(program);
        var read = ProgramFile.Read(binary);
        Assert.Equal(binary, ProgramFile.Write(read));
        var again = Assembler.Assemble(Disassembler.Format(read), "listing.s");
        Assert.Equal(binary, ProgramFile.Write(again));
        Assert.Equal(-128, (sbyte)read.Constants[0].Bytes[3]);
        Assert.Equal(int.MaxValue, BitConverter.ToInt32(read.Constants[1].Bytes, 8));
    }

    [Theory]
    [InlineData("gemm m0=1 m1=1 k=1 n=1 colour=3", "test.s:1: gemm has no field 'colour'")]
    [InlineData("\n\nload memory=act x=0 y=1 z=1", "test.s:3: load: field 'x' = 0 is out of range; allowed 1..65535")]
    [InlineData("gemm m0=1 m1=1 k=1 n=1 wait=compute", "cannot wait on or signal its own queue")]
    [InlineData("jump 3", "unknown instruction 'jump'")]
    [InlineData("gemm m0=X m1=1 k=1 n=1", "'X' is not a number or a defined symbol")]
    [InlineData("vector function=divide m0=1 m1=1 cols=1", "'divide' is not a valid function")]
    [InlineData("gemm m1=1 k=1 n=1", "gemm needs field 'm0'")]
    [InlineData(".const w 0 int8 300", "int8 constant 300 is out of range")]
    [InlineData("sync queue=load wait=fetch", "'fetch' is not a queue")]
    public void Errors_name_the_line_and_the_problem(string source, string message)
    {
        var error = Assert.Throws<ModelFormatException>(() => Assembler.Assemble(source, "test.s"));
        Assert.Contains(message, error.UserMessage);
    }

    [Fact]
    public void Truncated_and_corrupt_program_files_are_reported()
    {
        var binary = ProgramFile.Write(Assembler.Assemble(Sample, "sample.s"));
        for (int length = 0; length < binary.Length; length += 7)
        {
            Assert.Throws<ModelFormatException>(() => ProgramFile.Read(binary.AsSpan(0, length)));
        }
        var forged = (byte[])binary.Clone();
        BitConverter.TryWriteBytes(forged.AsSpan(28), int.MaxValue);
        Assert.Contains("exceeds what the file can hold", Assert.Throws<ModelFormatException>(() => ProgramFile.Read(forged)).UserMessage);
        var random = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            var mutated = (byte[])binary.Clone();
            mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                ProgramFile.Read(mutated);
            }
            catch (ModelFormatException)
            {
            }
        }
    }
}
