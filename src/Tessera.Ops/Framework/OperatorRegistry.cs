using System.Reflection;
using Tessera.Core;

namespace Tessera.Ops;

/// <summary>All operators with a reference kernel, keyed by (domain, op type).</summary>
public sealed class OperatorRegistry
{
    private readonly Dictionary<(string Domain, string OpType), Operator> _operators = new();

    public static OperatorRegistry Default { get; } = FromAssembly(typeof(OperatorRegistry).Assembly);

    public static OperatorRegistry FromAssembly(Assembly assembly)
    {
        var registry = new OperatorRegistry();
        foreach (var type in assembly.GetTypes())
        {
            if (type.IsAbstract || !typeof(Operator).IsAssignableFrom(type)) continue;
            var attributes = type.GetCustomAttributes<OpAttribute>().ToList();
            if (attributes.Count == 0) continue;
            var instance = (Operator)Activator.CreateInstance(type)!;
            foreach (var a in attributes) registry.Register(a.Domain, a.OpType, instance);
        }
        return registry;
    }

    public void Register(string domain, string opType, Operator op)
    {
        var key = (Node.NormalizeDomain(domain), opType);
        if (!_operators.TryAdd(key, op))
        {
            throw new InvalidOperationException($"operator {opType} in domain '{domain}' is registered twice");
        }
    }

    public bool TryGet(string domain, string opType, out Operator op) =>
        _operators.TryGetValue((Node.NormalizeDomain(domain), opType), out op!);

    public Operator Get(Node node) =>
        TryGet(node.Domain, node.OpType, out var op)
            ? op
            : throw new UnsupportedException(
                $"operator {(node.Domain.Length > 0 ? node.Domain + "." : string.Empty)}{node.OpType} is not implemented",
                node.DisplayName,
                "see docs/adding-an-op.md to add it");

    public IEnumerable<(string Domain, string OpType)> Keys => _operators.Keys;
}
