using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Runs a pipeline of passes repeatedly until a whole round changes nothing (a fixed point),
/// writing the graph after every pass that changed it when a dump folder is set.</summary>
public sealed class PassManager(IReadOnlyList<IGraphPass> passes)
{
    /// <summary>A bound on rounds over the whole pipeline; each round normally shrinks the graph.</summary>
    public const int MaxRounds = 10;

    public IReadOnlyList<IGraphPass> Passes { get; } = passes;

    public OptimizationStatistics Run(Model model, OptimizationOptions options)
    {
        var statistics = new OptimizationStatistics();
        var dumper = options.DumpFolder is { } folder ? new GraphDumper(folder) : null;
        dumper?.Write(model, "input");
        for (int round = 0; round < MaxRounds; round++)
        {
            int changes = 0;
            foreach (var pass in Passes)
            {
                int inlinedBefore = statistics.RuleCounts.GetValueOrDefault(nameof(InlineConstantIf));
                int made = pass.Run(model, options, statistics);
                // An inlined branch brings values typed only as its subgraph declared them (often no shape); the
                // passes after it (fusion, shape queries such as Silero's If on the Shape of its output) need the
                // inferred types.
                if (statistics.RuleCounts.GetValueOrDefault(nameof(InlineConstantIf)) > inlinedBefore) ShapeSource.Infer(model, options.InputShapes, options.Registry);
                if (made > 0)
                {
                    options.Log?.Invoke($"round {round + 1}: {pass.Name} made {made} changes");
                    dumper?.Write(model, pass.Name);
                }
                changes += made;
            }
            if (changes == 0) break;
        }
        return statistics;
    }
}

/// <summary>Writes numbered snapshots of a model as text (<see cref="GraphText"/>) and as .onnx (for Netron).</summary>
public sealed class GraphDumper(string folder)
{
    private int _index;

    public string Folder { get; } = folder;

    public void Write(Model model, string stage)
    {
        var stem = Path.Combine(Folder, $"{_index++:D2}-{stage}");
        AtomicFile.WriteAllText(stem + ".txt", GraphText.Format(model));
        Onnx.OnnxExporter.Save(model, stem + ".onnx");
    }
}
