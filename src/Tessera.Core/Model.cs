namespace Tessera.Core;

/// <summary>A whole model: the main graph plus the operator sets it was written against and metadata.</summary>
public sealed class Model
{
    public Model(Graph graph) => Graph = graph;

    public Graph Graph { get; set; }

    /// <summary>Opset version per domain ("" = default ONNX domain).</summary>
    public Dictionary<string, long> Opsets { get; } = new(StringComparer.Ordinal);

    public long IrVersion { get; set; } = 8;

    public string ProducerName { get; set; } = string.Empty;

    public string ProducerVersion { get; set; } = string.Empty;

    public string Domain { get; set; } = string.Empty;

    public long ModelVersion { get; set; }

    public string? DocString { get; set; }

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Where the model was loaded from, for messages; null for models built in memory.</summary>
    public string? SourcePath { get; set; }

    public long OpsetOf(string domain) => Opsets.TryGetValue(Node.NormalizeDomain(domain), out var v) ? v : 0;

    /// <summary>Every node of the main graph and of all nested subgraphs.</summary>
    public IEnumerable<Node> AllNodes() => Walk(Graph);

    private static IEnumerable<Node> Walk(Graph g)
    {
        foreach (var n in g.Nodes)
        {
            yield return n;
            foreach (var sg in n.Subgraphs()) foreach (var inner in Walk(sg)) yield return inner;
        }
    }
}
