using System.CommandLine;
using Spectre.Console;
using Tessera.Core;

namespace Tessera.Cli;

/// <summary>Runs the command line with the project's error policy: a user-actionable error prints one
/// line on stderr and exits with code 2; --verbose adds the stack trace.</summary>
internal static class CliRunner
{
    public const int UserError = 2;

    public static int Run(RootCommand root, string[] args)
    {
        bool verbose = args.Contains("--verbose") || args.Contains("-v");
        // Bind Spectre to the current Console.Out (tests redirect it), and keep tables piped to a file or
        // another program from wrapping at the 80 columns Spectre assumes there.
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
        try
        {
            var parse = root.Parse(args);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e, verbose);
        }
    }

    public static int Report(Exception e, bool verbose)
    {
        var message = e switch
        {
            TesseraException t => t.UserMessage,
            FileNotFoundException f => $"{f.FileName ?? "file"}: not found; check the path",
            DirectoryNotFoundException d => $"{d.Message}; check the path",
            UnauthorizedAccessException u => $"{u.Message}; check permissions",
            IOException io => $"{io.Message}",
            _ => null,
        };
        if (message is null)
        {
            Console.Error.WriteLine($"tessera: internal error: {e.GetType().Name}: {e.Message} (please report this; --verbose shows the stack trace)");
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
        Console.Error.WriteLine($"tessera: error: {message}");
        if (verbose) Console.Error.WriteLine(e);
        return UserError;
    }
}
