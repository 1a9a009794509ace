using Tessera.Core;

namespace Tessera.Ops;

/// <summary>Typed access to a node's attributes with defaults and clear errors.</summary>
public abstract class AttributeReader(Node node)
{
    public Node Node { get; } = node;

    public string OpType => Node.OpType;

    public bool Has(string name) => Node.Attributes.ContainsKey(name);

    public long GetInt(string name, long defaultValue) =>
        Node.Attribute(name)?.Value switch
        {
            null => defaultValue,
            long l => l,
            var other => throw BadAttribute(name, "an int", other),
        };

    public long GetInt(string name) => Node.Attribute(name)?.Value switch
    {
        long l => l,
        null => throw MissingAttribute(name),
        var other => throw BadAttribute(name, "an int", other),
    };

    public float GetFloat(string name, float defaultValue) =>
        Node.Attribute(name)?.Value switch
        {
            null => defaultValue,
            float f => f,
            long l => l,
            var other => throw BadAttribute(name, "a float", other),
        };

    public string GetString(string name, string defaultValue) =>
        Node.Attribute(name)?.Value switch
        {
            null => defaultValue,
            string s => s,
            var other => throw BadAttribute(name, "a string", other),
        };

    public long[]? GetInts(string name) => Node.Attribute(name)?.Value switch
    {
        null => null,
        long[] l => l,
        long l => [l],
        var other => throw BadAttribute(name, "a list of ints", other),
    };

    public float[]? GetFloats(string name) => Node.Attribute(name)?.Value switch
    {
        null => null,
        float[] f => f,
        float f => [f],
        var other => throw BadAttribute(name, "a list of floats", other),
    };

    public string[]? GetStrings(string name) => Node.Attribute(name)?.Value switch
    {
        null => null,
        string[] s => s,
        string s => [s],
        var other => throw BadAttribute(name, "a list of strings", other),
    };

    public Tensor? GetTensor(string name) => Node.Attribute(name)?.Value switch
    {
        null => null,
        Tensor t => t,
        var other => throw BadAttribute(name, "a tensor", other),
    };

    public Graph GetGraph(string name) => Node.Attribute(name)?.Value switch
    {
        Graph g => g,
        null => throw MissingAttribute(name),
        var other => throw BadAttribute(name, "a graph", other),
    };

    public Exception MissingAttribute(string name) =>
        new ModelFormatException($"required attribute '{name}' is missing", Node.DisplayName);

    private ModelFormatException BadAttribute(string name, string expected, object actual) =>
        new($"attribute '{name}' should be {expected} but is {actual.GetType().Name}", Node.DisplayName);

    public UnsupportedException Unsupported(string what) =>
        new($"{what} is not supported by the reference backend", Node.DisplayName);
}
