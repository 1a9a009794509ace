using System.CommandLine;
using Spectre.Console;
using Tessera.Augment;

namespace Tessera.Cli;

/// <summary>`tessera augment IN -o DIR --ops SPEC --count N [--seed S]`: seeded variants of images and WAV files.</summary>
internal static class AugmentCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "An image (png, jpg, bmp), a 16-bit wav file, or a folder of them" };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Folder for the variants and manifest.json", Required = true };
        var ops = new Option<string>("--ops")
        {
            Description = "Operations, e.g. \"flip:p=0.5, rotate:degrees=15, jpeg:quality=40..90\" or \"gain:db=-6..6, noise:snr=10:color=pink\" (docs/augmentation.md)",
            Required = true,
        };
        var count = new Option<int>("--count", "-n") { Description = "Variants per input", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed; the same seed gives the same bytes", DefaultValueFactory = _ => 0 };
        var command = new Command("augment", "Write seeded augmented variants of images or audio, with a manifest of what was applied") { input, output, ops, count, seed };
        command.SetAction(parse =>
        {
            var job = new AugmentJob(parse.GetValue(input)!, parse.GetValue(output)!.FullName, parse.GetValue(ops)!, parse.GetValue(count), parse.GetValue(seed));
            AugmentJob.Manifest? manifest = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("augment");
                    manifest = job.Run((done, total) =>
                    {
                        task.MaxValue = total;
                        task.Value = done;
                    });
                });
            int inputs = manifest!.Outputs.Select(o => o.Input).Distinct().Count();
            Console.WriteLine($"{inputs} input(s) x {job.Count} = {manifest.Outputs.Count} files -> {job.OutputFolder} ({AugmentJob.ManifestName})");
            return 0;
        });
        return command;
    }
}
