namespace Tessera.Cli.Tests;

/// <summary>Runs the CLI in-process with captured stdout and stderr. Console redirection is global, so
/// every test that uses it is in the one non-parallel collection below.</summary>
public static class CliHarness
{
    private static readonly Lock Gate = new();

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Run(params string[] args)
    {
        lock (Gate)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                int code = TesseraCli.Run(args);
                return new Result(code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }
}

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;
