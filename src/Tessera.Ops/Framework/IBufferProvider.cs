namespace Tessera.Ops;

/// <summary>Where a fast kernel gets the arrays of its outputs: a session's arena hands back arrays freed by
/// values that are dead, so the steady state allocates nothing. Supplied by the executing backend; the
/// reference kernels do not use it.</summary>
public interface IBufferProvider
{
    /// <summary>A float array of exactly <paramref name="length"/> elements whose contents are unspecified
    /// (the kernel must write every element).</summary>
    float[] RentFloats(int length);

    /// <summary>True when the node being executed may write its output into input <paramref name="input"/>'s
    /// array: no other live value or other input of the node shares it and this node is its last reader.</summary>
    bool CanOverwriteInput(KernelContext context, int input);
}
