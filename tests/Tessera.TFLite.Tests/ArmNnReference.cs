using System.Diagnostics;
using System.Text.Json;
using Tessera.Core;
using Tessera.Testing;

namespace Tessera.TFLite.Tests;

/// <summary>Arm NN 20.08 (Debian python3-pyarmnn, CpuRef backend) as the independent reference for .tflite
/// files: scripts/armnn_reference.py runs every model and input of a batch in one process (one IRuntime) and
/// writes .npy outputs.</summary>
internal static class ArmNnReference
{
    private const string Python = "/usr/bin/python3";

    public static Tensor[] Run(string model, IReadOnlyList<Tensor> inputs) => RunAll([(model, inputs)])[0];

    /// <summary>Runs each (model, inputs) job in one Arm NN process; result [job][input].</summary>
    public static Tensor[][] RunAll(IReadOnlyList<(string Model, IReadOnlyList<Tensor> Inputs)> jobs)
    {
        var folder = Directory.CreateTempSubdirectory("tessera-armnn-").FullName;
        try
        {
            var manifest = new List<Dictionary<string, object>>();
            for (int j = 0; j < jobs.Count; j++)
            {
                var inputPaths = new List<string>();
                for (int i = 0; i < jobs[j].Inputs.Count; i++)
                {
                    var path = Path.Combine(folder, $"job{j}_input{i}.npy");
                    NpyFile.Write(path, jobs[j].Inputs[i]);
                    inputPaths.Add(path);
                }
                manifest.Add(new() { ["model"] = jobs[j].Model, ["inputs"] = inputPaths, ["output"] = Path.Combine(folder, $"out{j}") });
            }
            var manifestPath = Path.Combine(folder, "jobs.json");
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest));
            var script = Path.Combine(RepositoryRoot(), "scripts", "armnn_reference.py");
            var start = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { script, "--jobs", manifestPath }) start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"Arm NN reference failed (exit {process.ExitCode}); install it with 'apt-get install python3-pyarmnn'. {stderr.Result}");
            }
            return jobs.Select((job, j) => Enumerable.Range(0, job.Inputs.Count)
                .Select(i => NpyFile.Read(Path.Combine(folder, $"out{j}", $"{i}.npy"))).ToArray()).ToArray();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string RepositoryRoot() => Path.GetFullPath(Path.Combine(TestAssets.Folder, "..", ".."));
}
