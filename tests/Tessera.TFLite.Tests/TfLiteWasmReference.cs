using System.Diagnostics;
using System.Text.Json;
using Tessera.Core;
using Tessera.Models;
using Tessera.Testing;

namespace Tessera.TFLite.Tests;

/// <summary>TensorFlow Lite itself, compiled to WebAssembly (npm @tensorflow/tfjs-tflite, single-threaded build),
/// run under Node by scripts/tflite_reference.js: a test-only reference for .tflite files, never used to run a
/// user's model. scripts/setup.sh fetches the package (pinned by version, sha512 and sha256) into the model cache;
/// the driver checks the interpreter files' sha256 before loading them. The web build applies TFLite's default
/// XNNPACK delegate with its 8-bit paths on, which the web API cannot turn off; unless a job asks for XNNPACK, the
/// driver clears the delegate's 8-bit flags in the loaded module, so every int8 operator runs on TFLite's builtin
/// kernels. <see cref="Kernels"/> says what ran.</summary>
internal static class TfLiteWasmReference
{
    public const string Version = "0.0.1-alpha.10";

    /// <summary>Where the interpreter files live: $TESSERA_TFLITE_WASM, else the cache's tflite-wasm/&lt;version&gt;.</summary>
    public static string Folder =>
        Environment.GetEnvironmentVariable("TESSERA_TFLITE_WASM") is { Length: > 0 } folder
            ? folder
            : Path.Combine(ModelStore.DefaultCacheRoot(), "tflite-wasm", Version);

    public static string? Node { get; } = FindNode();

    /// <summary>Why the reference cannot run here, or null when it can.</summary>
    public static string? Unavailable =>
        Node is null ? "node is not installed (scripts/setup.sh installs npm, which brings Node)"
        : !File.Exists(Path.Combine(Folder, "tflite_web_api_cc.wasm")) || !File.Exists(Path.Combine(Folder, "tflite_web_api_cc.js"))
            ? $"TFLite's WebAssembly interpreter is not in {Folder} (scripts/setup.sh fetches @tensorflow/tfjs-tflite@{Version})"
            : null;

    /// <summary>The kernels one model ran on: TFLite node types, and the XNNPACK operators of delegated partitions.</summary>
    public sealed record Kernels(string[] Nodes, string[] Delegated);

    /// <summary>One model on some inputs: with XNNPACK or on TFLite's builtin kernels, reading the model's output or,
    /// when <paramref name="OutputTensor"/> is set, that tensor of subgraph 0 (an intermediate value).</summary>
    public sealed record Job(string Model, IReadOnlyList<Tensor> Inputs, bool Xnnpack = false, int? OutputTensor = null);

    /// <summary>Runs every job in one Node process; outputs [job][input] and each job's kernels.</summary>
    public static (Tensor[][] Outputs, Kernels[] Kernels) RunAll(IReadOnlyList<Job> jobs)
    {
        if (Unavailable is { } reason) throw new InvalidOperationException(reason);
        var folder = Directory.CreateTempSubdirectory("tessera-tflite-").FullName;
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
                var entry = new Dictionary<string, object> { ["model"] = jobs[j].Model, ["inputs"] = inputPaths, ["output"] = Path.Combine(folder, $"out{j}"), ["xnnpack"] = jobs[j].Xnnpack };
                if (jobs[j].OutputTensor is { } tensor) entry["outputTensor"] = tensor;
                manifest.Add(entry);
            }
            var manifestPath = Path.Combine(folder, "jobs.json");
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest));
            var script = Path.Combine(RepositoryRoot(), "scripts", "tflite_reference.js");
            var start = new ProcessStartInfo(Node!) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { script, "--jobs", manifestPath }) start.ArgumentList.Add(argument);
            start.Environment["TESSERA_TFLITE_WASM"] = Folder;
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"TFLite reference failed (exit {process.ExitCode}): {stderr.Result}");
            var outputs = jobs.Select((job, j) => Enumerable.Range(0, job.Inputs.Count)
                .Select(i => NpyFile.Read(Path.Combine(folder, $"out{j}", $"{i}.npy"))).ToArray()).ToArray();
            var kernels = jobs.Select((_, j) =>
            {
                using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, $"out{j}", "kernels.json")));
                string[] Names(string property) => document.RootElement.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToArray();
                return new Kernels(Names("nodes"), Names("delegated"));
            }).ToArray();
            return (outputs, kernels);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string? FindNode()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
        {
            var candidate = Path.Combine(directory, "node");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string RepositoryRoot() => Path.GetFullPath(Path.Combine(TestAssets.Folder, "..", ".."));
}

/// <summary>A theory that is skipped, saying why, where Node or TFLite's WebAssembly interpreter is missing.</summary>
public sealed class TfLiteWasmTheoryAttribute : TheoryAttribute
{
    public TfLiteWasmTheoryAttribute()
    {
        if (TfLiteWasmReference.Unavailable is { } reason) Skip = reason;
    }
}
