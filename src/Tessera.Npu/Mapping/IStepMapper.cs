using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>Maps one kind of integer step onto NPU layers whose semantics (LayerOracle) equal the step's
/// exactly, or says in one line why it cannot (the step then runs on the CPU). One class per step kind; every
/// non-abstract implementation in this assembly is picked up by <see cref="StepMappers"/>, so a new NPU layer
/// kind plugs in with one file.</summary>
public interface IStepMapper
{
    bool Accepts(IntegerStep step);

    /// <summary>Adds the step's layers to <paramref name="context"/> and returns null, or returns the reason it
    /// stays on the CPU (then nothing it added is kept).</summary>
    string? Map(IntegerStep step, MappingContext context);
}

/// <summary>A mapper for one step class.</summary>
public abstract class StepMapper<TStep> : IStepMapper where TStep : IntegerStep
{
    public virtual bool Accepts(IntegerStep step) => step is TStep;

    public string? Map(IntegerStep step, MappingContext context) => Map((TStep)step, context);

    protected abstract string? Map(TStep step, MappingContext context);
}

/// <summary>The registered mappers, found by reflection (sorted by name so the choice is deterministic).</summary>
public static class StepMappers
{
    private static readonly Lazy<IReadOnlyList<IStepMapper>> All = new(() => typeof(IStepMapper).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IStepMapper).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (IStepMapper)Activator.CreateInstance(t)!)
        .ToList());

    public static IReadOnlyList<IStepMapper> Default => All.Value;

    public static IStepMapper? For(IntegerStep step) => Default.FirstOrDefault(m => m.Accepts(step));
}
