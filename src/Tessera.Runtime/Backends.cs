using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Runtime;

/// <summary>Named execution backends. "reference" is built in; faster backends (the cpu backend in
/// Tessera.Kernels.Cpu) register a factory that returns their operators, usually the reference registry
/// with some operators replaced, so that any op without a fast kernel still runs on the reference one.
/// Runtime stays free of a dependency on the backends that register here.</summary>
public static class Backends
{
    public const string Reference = "reference";

    private static readonly Dictionary<string, Func<SessionOptions, OperatorRegistry>> Factories = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    /// <summary>Makes <paramref name="name"/> available to <see cref="SessionOptions.Backend"/>; registering a
    /// name again replaces its factory (idempotent start-up code).</summary>
    public static void Register(string name, Func<SessionOptions, OperatorRegistry> operators)
    {
        lock (Gate) Factories[name] = operators;
    }

    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate) return [Reference, .. Factories.Keys.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>The operators a session with <paramref name="options"/> executes with.</summary>
    public static OperatorRegistry Resolve(SessionOptions options)
    {
        if (options.Backend == Reference) return options.Operators ?? OperatorRegistry.Default;
        Func<SessionOptions, OperatorRegistry>? factory;
        lock (Gate) Factories.TryGetValue(options.Backend, out factory);
        if (factory is null)
        {
            throw new UnsupportedException($"backend '{options.Backend}' is not available", null, $"use --backend {string.Join(" or ", Names)}");
        }
        return factory(options);
    }
}

/// <summary>An operator that does work once per node at session creation (packing constant weights into
/// the layout its kernel reads), so that inference does not repeat it.</summary>
public interface IPreparedOperator
{
    void Prepare(Node node);
}
