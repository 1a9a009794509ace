namespace Tessera.Core;

/// <summary>One operator application. Missing optional inputs and unused optional outputs are null.</summary>
public sealed class Node
{
    private readonly List<Value?> _inputs;
    private readonly List<Value?> _outputs;

    public Node(string opType, IEnumerable<Value?> inputs, IEnumerable<Value?> outputs, string domain = "", string name = "")
    {
        OpType = opType;
        Domain = NormalizeDomain(domain);
        Name = name;
        _inputs = inputs.ToList();
        _outputs = outputs.ToList();
        foreach (var o in _outputs)
        {
            if (o is not null) o.Producer = this;
        }
    }

    public string OpType { get; set; }

    /// <summary>Operator set domain; "" is the default ONNX domain ("ai.onnx" is normalized to "").</summary>
    public string Domain { get; set; }

    public string Name { get; set; }

    public IReadOnlyList<Value?> Inputs => _inputs;

    public IReadOnlyList<Value?> Outputs => _outputs;

    public Dictionary<string, NodeAttribute> Attributes { get; } = new(StringComparer.Ordinal);

    /// <summary>Name for messages: the node name, or its first output when unnamed.</summary>
    public string DisplayName => !string.IsNullOrEmpty(Name)
        ? $"{OpType} '{Name}'"
        : $"{OpType} -> '{_outputs.FirstOrDefault(o => o is not null)?.Name}'";

    public static string NormalizeDomain(string domain) => domain == "ai.onnx" ? string.Empty : domain;

    public Value? Input(int i) => i < _inputs.Count ? _inputs[i] : null;

    public Value? Output(int i) => i < _outputs.Count ? _outputs[i] : null;

    public void SetInput(int i, Value? value)
    {
        while (_inputs.Count <= i) _inputs.Add(null);
        _inputs[i] = value;
    }

    public void SetOutput(int i, Value? value)
    {
        while (_outputs.Count <= i) _outputs.Add(null);
        if (_outputs[i] is { } old && old.Producer == this) old.Producer = null;
        _outputs[i] = value;
        if (value is not null) value.Producer = this;
    }

    public void AddInput(Value? value) => _inputs.Add(value);

    public void SetAttribute(NodeAttribute attribute) => Attributes[attribute.Name] = attribute;

    public bool HasAttribute(string name) => Attributes.ContainsKey(name);

    public NodeAttribute? Attribute(string name) => Attributes.GetValueOrDefault(name);

    /// <summary>All subgraphs held in attributes (If branches, Loop/Scan bodies).</summary>
    public IEnumerable<Graph> Subgraphs()
    {
        foreach (var a in Attributes.Values)
        {
            if (a.Value is Graph g) yield return g;
            else if (a.Value is Graph[] gs) foreach (var sg in gs) yield return sg;
        }
    }

    public override string ToString() => DisplayName;
}
