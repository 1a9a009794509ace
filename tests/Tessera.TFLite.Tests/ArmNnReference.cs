using System.Diagnostics;
using Tessera.Core;
using Tessera.Testing;

namespace Tessera.TFLite.Tests;

/// <summary>Arm NN 20.08 (Debian python3-pyarmnn, CpuRef backend) as the independent reference for .tflite
/// files: scripts/armnn_reference.py runs a batch of inputs in one process (one IRuntime) and writes .npy outputs.</summary>
internal static class ArmNnReference
{
    private const string Python = "/usr/bin/python3";

    public static Tensor[] Run(string model, IReadOnlyList<Tensor> inputs)
    {
        var folder = Directory.CreateTempSubdirectory("tessera-armnn-").FullName;
        try
        {
            var inputPaths = new List<string>();
            for (int i = 0; i < inputs.Count; i++)
            {
                var path = System.IO.Path.Combine(folder, $"input{i}.npy");
                NpyFile.Write(path, inputs[i]);
                inputPaths.Add(path);
            }
            var outputFolder = System.IO.Path.Combine(folder, "out");
            var script = System.IO.Path.Combine(RepositoryRoot(), "scripts", "armnn_reference.py");
            var start = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { script, model }.Concat(inputPaths).Append(outputFolder)) start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"Arm NN reference failed (exit {process.ExitCode}); install it with 'apt-get install python3-pyarmnn'. {stderr.Result}");
            }
            return Enumerable.Range(0, inputs.Count).Select(i => NpyFile.Read(System.IO.Path.Combine(outputFolder, $"{i}.npy"))).ToArray();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string RepositoryRoot() => System.IO.Path.GetFullPath(System.IO.Path.Combine(TestAssets.Folder, "..", ".."));
}
