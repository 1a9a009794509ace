using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Runtime;

/// <summary>A session's activation memory: float arrays handed to fast kernels for their outputs and taken
/// back when the last value holding one dies (the executor releases each value after its last reader), so
/// a second inference of the same shapes reuses the first one's arrays and allocates nothing but its graph
/// outputs. Arrays are kept by exact length because a tensor owns an array of exactly its element count.
/// Values may share an array (Reshape views it, Identity passes it on), so each array counts the live
/// values that hold it and goes back only when that count drops to zero.</summary>
internal sealed class BufferArena : IBufferProvider
{
    private readonly Dictionary<int, Stack<float[]>> _free = new();
    private readonly Dictionary<float[], int> _holders = new(ReferenceEqualityComparer.Instance);
    private readonly List<float[]> _rentedByNode = new();
    private IReadOnlyList<DataValue?> _nodeInputs = [];
    private List<Value> _releasedAfterNode = [];
    // Graph outputs handed to callers, which they may give back with Recycle (weak: an output the caller keeps is
    // not kept alive by the arena).
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<float[], object> _handedOut = new();

    /// <summary>Bytes of every array the arena has created: the peak of simultaneously live activations
    /// (plus the graph outputs handed to callers, which leave the arena).</summary>
    public long CreatedBytes { get; private set; }

    public float[] RentFloats(int length)
    {
        float[] array;
        if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
        {
            array = stack.Pop();
        }
        else
        {
            array = new float[length];
            CreatedBytes += (long)length * sizeof(float);
        }
        _holders[array] = 0;
        _rentedByNode.Add(array);
        return array;
    }

    public bool CanOverwriteInput(KernelContext context, int input)
    {
        if (input >= _nodeInputs.Count || _nodeInputs[input] is not Tensor { Data: float[] data }) return false;
        if (!_holders.TryGetValue(data, out int count) || count != 1) return false;
        var value = context.Node.Inputs[input];
        if (value is null || !_releasedAfterNode.Contains(value)) return false;
        for (int i = 0; i < _nodeInputs.Count; i++)
        {
            if (i != input && _nodeInputs[i] is Tensor other && ReferenceEquals(other.Data, data)) return false;
        }
        return true;
    }

    /// <summary>Called before a node runs with its inputs and the values that die after it.</summary>
    public void BeginNode(IReadOnlyList<DataValue?> inputs, List<Value> releasedAfter)
    {
        _nodeInputs = inputs;
        _releasedAfterNode = releasedAfter;
        _rentedByNode.Clear();
    }

    /// <summary>Counts the node's outputs as holders; arrays the node rented but did not output go back.</summary>
    public void EndNode(IReadOnlyList<DataValue?> outputs)
    {
        for (int i = 0; i < outputs.Count; i++)
        {
            var output = outputs[i];
            if (output is Tensor { Data: float[] data } && _holders.TryGetValue(data, out int count)) _holders[data] = count + 1;
        }
        foreach (var array in _rentedByNode)
        {
            if (_holders.TryGetValue(array, out int count) && count == 0) GiveBack(array);
        }
        _rentedByNode.Clear();
        _nodeInputs = [];
    }

    /// <summary>A value holding <paramref name="data"/> died.</summary>
    public void Release(DataValue? data)
    {
        if (data is not Tensor { Data: float[] array } || !_holders.TryGetValue(array, out int count)) return;
        if (count <= 1) GiveBack(array);
        else _holders[array] = count - 1;
    }

    /// <summary>Ends an inference: arrays held by <paramref name="results"/> leave the arena (the caller owns
    /// them now); the rest of <paramref name="remaining"/> (values nobody read) come back.</summary>
    public void EndRun(DataValue?[] results, Dictionary<Value, DataValue?> remaining)
    {
        foreach (var result in results)
        {
            if (result is Tensor { Data: float[] array } && _holders.Remove(array)) _handedOut.AddOrUpdate(array, this);
        }
        foreach (var (_, value) in remaining)
        {
            if (value is Tensor { Data: float[] array } && _holders.ContainsKey(array)) GiveBack(array);
        }
        StartRun();
    }

    /// <summary>Starts an inference: whatever an inference that failed half-way still counted is dropped.</summary>
    public void StartRun()
    {
        // Anything still counted belongs to an inference that failed half-way: let the collector have it.
        _holders.Clear();
        _rentedByNode.Clear();
        _nodeInputs = [];
    }

    /// <summary>A graph output of an earlier run that its caller will not read again: its array is reused like a
    /// dead value's. Only arrays this arena handed out, each once; anything else (an input passed through, a
    /// constant, an output given back twice) is left alone.</summary>
    public void Recycle(DataValue? value)
    {
        if (value is Tensor { Data: float[] array } && _handedOut.Remove(array)) GiveBack(array);
    }

    private void GiveBack(float[] array)
    {
        _holders.Remove(array);
        if (!_free.TryGetValue(array.Length, out var stack)) _free[array.Length] = stack = new Stack<float[]>();
        stack.Push(array);
    }
}
