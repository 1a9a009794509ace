using Tessera.Augment.Spec;

namespace Tessera.Augment;

/// <summary>One augmentation of a value of type T (an image or an audio clip). Implementations draw every
/// random choice from the <see cref="Random"/> passed in, so a seed fixes the result, and record the values
/// they chose in <paramref name="applied"/> (the manifest shows them).</summary>
public interface IAugmentation<T>
{
    string Name { get; }

    T Apply(T input, Random random, IDictionary<string, object> applied);
}

/// <summary>What one step did to one output: the operation and the parameter values it sampled.</summary>
public sealed record AppliedOperation(string Operation, IReadOnlyDictionary<string, object> Parameters);

public sealed record AugmentationResult<T>(T Output, IReadOnlyList<AppliedOperation> Applied);

/// <summary>A step of a pipeline: an augmentation that runs with a probability.</summary>
public sealed record PipelineStep<T>(IAugmentation<T> Augmentation, double Probability);

/// <summary>Steps applied in order, each with its probability. The only source of randomness is the
/// <see cref="Random"/> given to <see cref="Apply"/>: the same seed gives the same bytes.</summary>
public sealed class AugmentationPipeline<T>(IReadOnlyList<PipelineStep<T>> steps)
{
    public IReadOnlyList<PipelineStep<T>> Steps { get; } = steps;

    public AugmentationResult<T> Apply(T input, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var applied = new List<AppliedOperation>();
        var current = input;
        foreach (var step in Steps)
        {
            // The coin is always drawn, so a step's probability does not shift later steps' random streams.
            bool run = random.NextDouble() < step.Probability;
            if (!run) continue;
            var parameters = new Dictionary<string, object>();
            current = step.Augmentation.Apply(current, random, parameters);
            applied.Add(new AppliedOperation(step.Augmentation.Name, parameters));
        }
        return new AugmentationResult<T>(current, applied);
    }
}

/// <summary>An operation the spec language knows: name, one-line summary, parameters, and its factory.</summary>
public sealed record OperationInfo<T>(string Name, string Summary, IReadOnlyList<ParameterInfo> Parameters, Func<OperationParameters, IAugmentation<T>> Create);

/// <summary>The operations of one media kind; turns a spec string into a pipeline.</summary>
public sealed class OperationCatalog<T>(string kind, IReadOnlyList<OperationInfo<T>> operations)
{
    public string Kind { get; } = kind;

    public IReadOnlyList<OperationInfo<T>> Operations { get; } = operations;

    public AugmentationPipeline<T> Parse(string spec)
    {
        var steps = new List<PipelineStep<T>>();
        foreach (var operation in AugmentSpec.Parse(spec))
        {
            var info = Operations.FirstOrDefault(o => o.Name == operation.Name.ToLowerInvariant())
                ?? throw AugmentSpec.Error(spec, operation.Column - 1, $"unknown {Kind} operation '{operation.Name}'",
                    $"{Kind} operations are {string.Join(", ", Operations.Select(o => o.Name))}");
            var parameters = new OperationParameters(spec, operation, info.Parameters);
            steps.Add(new PipelineStep<T>(info.Create(parameters), parameters.Probability));
        }
        return new AugmentationPipeline<T>(steps);
    }
}
