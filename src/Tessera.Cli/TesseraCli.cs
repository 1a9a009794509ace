using System.CommandLine;

namespace Tessera.Cli;

/// <summary>The `tessera` command tree. Tests call <see cref="Run"/> in-process.</summary>
public static class TesseraCli
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Tessera: import, optimize, quantize and run neural networks on CPU and a simulated NPU.");
        root.Options.Add(CommonOptions.Verbose);
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(OptimizeCommand.Create());
        root.Subcommands.Add(ConformanceCommand.Create());
        root.Subcommands.Add(AppCommands.Create());
        foreach (var command in NpuCommands.Create()) root.Subcommands.Add(command);
        root.Subcommands.Add(RtlCommands.Create());
        root.Subcommands.Add(AugmentCommand.Create());
        root.Subcommands.Add(IntegerCommand.Create());
        root.Subcommands.Add(NpuModelCommands.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(Compare.CompareCommand.Create());
        foreach (var command in QuantizeCommands.Create()) root.Subcommands.Add(command);
        root.Subcommands.Add(RobustnessCommand.Create());
        return root;
    }

    public static int Run(string[] args) => CliRunner.Run(Create(), args);
}
