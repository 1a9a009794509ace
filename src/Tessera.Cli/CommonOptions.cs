using System.CommandLine;

namespace Tessera.Cli;

internal static class CommonOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show more detail, including stack traces for errors",
        Recursive = true,
    };
}
