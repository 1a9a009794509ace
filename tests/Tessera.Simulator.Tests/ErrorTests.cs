using Tessera.Core;
using Tessera.Hardware;

namespace Tessera.Simulator.Tests;

/// <summary>Every class of program error is reported with the instruction index and its disassembly, before
/// any state is corrupted.</summary>
public class ErrorTests
{
    private static SimulationException Fails(string source, string config = "tiny")
    {
        var spec = TestData.Spec(config);
        var program = Assembler.Assemble(".spec any\n.dram 4096\n" + source, "error.s");
        return Assert.Throws<SimulationException>(() => NpuSimulator.Run(spec, program));
    }

    [Fact]
    public void Scratchpad_out_of_bounds_names_the_instruction()
    {
        var spec = TestData.Spec("tiny");
        var error = Fails($"load memory=act sram={spec.ActivationScratchpadBytes - 10} dram=0 x=16 y=1 z=1\nend");
        Assert.Equal(0, error.InstructionIndex);
        Assert.Contains("activation scratchpad", error.UserMessage);
        Assert.Contains($"outside its {spec.ActivationScratchpadBytes} bytes", error.UserMessage);
        Assert.Contains("instruction 0 `load", error.UserMessage);
    }

    [Fact]
    public void Accumulator_out_of_bounds_from_a_gemm()
    {
        var spec = TestData.Spec("tiny");
        var error = Fails($"gemm m0=4 m1=1 k=8 n=8 output={spec.AccumulatorEntries - 8} output_stride=8\nend");
        Assert.Contains("writes accumulator", error.UserMessage);
        Assert.Contains("instruction 0 `gemm", error.UserMessage);
    }

    [Fact]
    public void Dram_out_of_bounds_names_the_instruction()
    {
        var error = Fails("load memory=act sram=0 dram=0 x=8 y=1 z=1\nstore memory=act sram=0 dram=4090 x=8 y=1 z=1\nend");
        Assert.Equal(1, error.InstructionIndex);
        Assert.Contains("DRAM [4090, 4098) outside its 4096 bytes", error.UserMessage);
        Assert.Contains("`store", error.UserMessage);
    }

    [Fact]
    public void Reading_a_buffer_whose_producer_has_not_signalled_is_an_error()
    {
        var error = Fails("load memory=act sram=0 dram=0 x=64 y=1 z=1\ngemm m0=8 m1=1 k=8 n=8 input=0 input_stride0=8\nend");
        Assert.Equal(1, error.InstructionIndex);
        Assert.Contains("reads activation scratchpad [0, 64) written by instruction 0 `load", error.UserMessage);
        Assert.Contains("load queue, which has not signalled", error.UserMessage);
    }

    [Fact]
    public void Overwriting_a_buffer_another_queue_still_reads_is_an_error()
    {
        var error = Fails(
            "load memory=act sram=0 dram=0 x=64 y=1 z=1 signal=compute\n" +
            "gemm wait=load m0=8 m1=1 k=8 n=8 input=0 input_stride0=8\n" +
            "load memory=act sram=0 dram=64 x=64 y=1 z=1\nend");
        // The second load is ready first (nothing orders it after the gemm), so the race surfaces when the gemm
        // reads data the unsynchronised load replaced.
        Assert.Equal(1, error.InstructionIndex);
        Assert.Contains("written by instruction 2 `load", error.UserMessage);
        Assert.Contains("has not signalled", error.UserMessage);
    }

    [Fact]
    public void Write_after_read_without_a_token_is_an_error()
    {
        // The second load waits for an unrelated store, which delays it past the gemm; it still has no token
        // from the compute queue, so it would overwrite data the gemm may not have finished reading.
        var error = Fails(
            "load memory=act sram=0 dram=0 x=64 y=1 z=1 signal=compute\n" +
            "store memory=act sram=1000 dram=2000 x=1 y=1 z=1 signal=load\n" +
            "gemm wait=load m0=8 m1=1 k=8 n=8 input=0 input_stride0=8\n" +
            "load wait=store memory=act sram=0 dram=64 x=64 y=1 z=1\nend");
        Assert.Equal(3, error.InstructionIndex);
        Assert.Contains("writes activation scratchpad [0, 64) being read by instruction 2 `gemm", error.UserMessage);
    }

    [Fact]
    public void Token_deadlock_is_reported_with_the_blocked_instruction()
    {
        var error = Fails("load memory=act sram=0 dram=0 x=64 y=1 z=1\ngemm wait=load m0=8 m1=1 k=8 n=8 input=0 input_stride0=8\nend");
        Assert.Equal(1, error.InstructionIndex);
        Assert.Contains("token deadlock", error.UserMessage);
        Assert.Contains("from the load queue", error.UserMessage);
    }

    [Fact]
    public void Circular_wait_is_a_deadlock()
    {
        var error = Fails("gemm wait=vector signal=vector m0=1 m1=1 k=1 n=1\nvector wait=compute signal=compute function=copy m0=1 m1=1 cols=1\nend");
        Assert.Contains("token deadlock", error.UserMessage);
        Assert.Contains("also blocked: 1 `vector", error.UserMessage);
    }

    [Fact]
    public void A_gemm_larger_than_the_array_is_rejected()
    {
        var error = Fails("gemm m0=1 m1=1 k=9 n=8\nend");
        Assert.Contains("k=9 exceeds the 8 array rows", error.UserMessage);
    }

    [Fact]
    public void A_requantize_shift_out_of_range_is_rejected()
    {
        var error = Fails(".const q 0 int32 0 -128 127 1073741824 40\nload memory=accumulator sram=0 dram=q x=5 y=1 z=1 signal=vector\nvector wait=load function=requantize m0=1 m1=1 cols=1 a=8 d=0 p=0\nend");
        Assert.Contains("requantize shift 40", error.UserMessage);
    }

    [Fact]
    public void A_program_for_another_configuration_is_refused()
    {
        var program = Assembler.Assemble(".spec small\nend", "x.s", TestData.Spec);
        var error = Assert.Throws<InvalidInputException>(() => NpuSimulator.Run(TestData.Spec("tiny"), program));
        Assert.Contains("another NPU configuration", error.UserMessage);
    }

    [Fact]
    public void Inputs_of_the_wrong_size_are_refused()
    {
        var program = Assembler.Assemble(".spec any\n.input x 0 int8 4x4\nend", "x.s");
        var error = Assert.Throws<InvalidInputException>(() => NpuSimulator.Run(TestData.Spec("tiny"), program, new Dictionary<string, byte[]> { ["x"] = new byte[3] }));
        Assert.Contains("expected 16", error.UserMessage);
    }
}
