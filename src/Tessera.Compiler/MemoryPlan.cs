using Tessera.Compiler.Layers;
using Tessera.Compiler.Lowering;

namespace Tessera.Compiler;

/// <summary>DRAM addresses of a network's activation tensors. Each tensor lives from the layer that produces
/// it (graph inputs: from the start) to its last reader (network outputs: to the end); buffers are placed
/// first-fit by address among the tensors whose lifetimes overlap, so dead activations are reused. Reshapes
/// alias their input's buffer and extend its lifetime.</summary>
public sealed class MemoryPlan
{
    private readonly Dictionary<string, long> addresses = [];

    public long ArenaBytes { get; private set; }

    /// <summary>Sum of all tensor sizes: what the arena would need without reuse.</summary>
    public long UnsharedBytes { get; private set; }

    public long this[string tensor] => addresses[tensor];

    /// <param name="placements">Tensors written in place into a slice of a concatenation's output (part name ->
    /// concat output name and channel offset): they get no buffer of their own, their address is the slice's, and
    /// the concatenation's buffer lives from the first such part's producer.</param>
    /// <param name="earlyStarts">Tensors written before their producer's turn (an elementwise layer fused into the
    /// preceding convolution's epilogue): name -> the layer index their buffer must be live from.</param>
    /// <param name="alsoPlaced">Tensors that keep their own buffer and are also written into a concatenation's slice
    /// by their producer (part name -> concat output name): the concatenation's buffer lives from that producer.</param>
    /// <param name="onChip">Tensors that live only in the activation scratchpad (kept there by their producer for
    /// their readers, never stored or loaded): no buffer; their address (0) is never accessed.</param>
    public static MemoryPlan Build(Network network, IReadOnlyDictionary<string, (string Concat, int Offset)>? placements = null, IReadOnlyDictionary<string, int>? earlyStarts = null,
        IReadOnlyDictionary<string, string>? alsoPlaced = null, IReadOnlySet<string>? onChip = null)
    {
        placements ??= new Dictionary<string, (string, int)>();
        onChip ??= new HashSet<string>();
        var producedAt = new Dictionary<string, int>();
        for (int i = 0; i < network.Layers.Count; i++) producedAt[network.Layers[i].Output.Name] = i;
        var plan = new MemoryPlan();
        var root = new Dictionary<string, string>();
        var size = new Dictionary<string, long>();
        var start = new Dictionary<string, int>();
        var end = new Dictionary<string, int>();
        string Root(string name) => root.TryGetValue(name, out var r) ? r : name;
        foreach (var input in network.Inputs)
        {
            size[input.Name] = input.Length;
            (start[input.Name], end[input.Name]) = (-1, -1);
        }
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            foreach (var input in layer.Inputs.Where(t => !placements.ContainsKey(t.Name) && !onChip.Contains(Root(t.Name)))) end[Root(input.Name)] = Math.Max(end[Root(input.Name)], i);
            if (layer is ReshapeLayer reshape)
            {
                root[layer.Output.Name] = Root(reshape.Input.Name);
                continue;
            }
            if (placements.ContainsKey(layer.Output.Name)) continue;
            if (onChip.Contains(layer.Output.Name))
            {
                plan.addresses[layer.Output.Name] = 0;
                continue;
            }
            int first = placements.Where(p => p.Value.Concat == layer.Output.Name)
                .Select(p => earlyStarts?.TryGetValue(p.Key, out int written) == true ? Math.Min(written, producedAt[p.Key]) : producedAt[p.Key]).DefaultIfEmpty(i).Min();
            foreach (var (part, _) in (alsoPlaced ?? new Dictionary<string, string>()).Where(p => p.Value == layer.Output.Name))
            {
                first = Math.Min(first, earlyStarts?.TryGetValue(part, out int written) == true ? written : producedAt[part]);
            }
            size[layer.Output.Name] = layer.Output.Length;
            if (earlyStarts?.TryGetValue(layer.Output.Name, out int early) == true) first = Math.Min(first, early);
            (start[layer.Output.Name], end[layer.Output.Name]) = (first, i);
        }
        foreach (var output in network.Outputs) end[Root(output)] = int.MaxValue;
        var placed = new List<(long Address, long Size, int Start, int End)>();
        foreach (var name in size.Keys.OrderBy(n => start[n]).ThenByDescending(n => size[n]))
        {
            var overlapping = placed.Where(p => p.Start <= end[name] && start[name] <= p.End).OrderBy(p => p.Address).ToList();
            long address = 0;
            foreach (var p in overlapping)
            {
                if (address + size[name] <= p.Address) break;
                address = Math.Max(address, ProgramBuilder.Align(p.Address + p.Size));
            }
            placed.Add((address, size[name], start[name], end[name]));
            plan.addresses[name] = address;
            plan.ArenaBytes = Math.Max(plan.ArenaBytes, ProgramBuilder.Align(address + size[name]));
            plan.UnsharedBytes += ProgramBuilder.Align(size[name]);
        }
        foreach (var (alias, target) in root) plan.addresses[alias] = plan.addresses[Root(target)];
        foreach (var (part, (concat, offset)) in placements) plan.addresses[part] = plan.addresses[Root(concat)] + offset;
        return plan;
    }
}
