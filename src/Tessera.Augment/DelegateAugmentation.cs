namespace Tessera.Augment;

/// <summary>An augmentation given as a function; the catalogs build their operations from these.</summary>
public sealed class DelegateAugmentation<T>(string name, Func<T, Random, IDictionary<string, object>, T> apply) : IAugmentation<T>
{
    public string Name { get; } = name;

    public T Apply(T input, Random random, IDictionary<string, object> applied) => apply(input, random, applied);
}
