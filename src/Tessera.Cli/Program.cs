using System.CommandLine;
using Tessera.Cli;

var root = new RootCommand("Tessera: import, optimize, quantize and run neural networks on CPU and a simulated NPU.");
root.Options.Add(CommonOptions.Verbose);
root.Subcommands.Add(ConformanceCommand.Create());
root.Subcommands.Add(OptimizeCommand.Create());
return CliRunner.Run(root, args);
