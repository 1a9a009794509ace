using Tessera.Hardware;

namespace Tessera.Compiler.Lowering;

/// <summary>The double-buffered band pipeline of the vector-unit layers: per band, loads fill input slot
/// band % 2, the vector unit writes output slot band % 2, one store drains it. Each action gets the tokens its
/// first instruction waits for and its last instruction signals. Token rules: load -> vector (input ready),
/// vector -> load (input slot free, for band + 2), vector -> store (output ready), store -> vector (output
/// slot free); the last store signals the load queue (the layer barrier). Without a vector stage (pure data
/// movement) loads signal the store and stores free the slot for the load two bands later.</summary>
internal static class Streaming
{
    public delegate void Stage(int band, int wait, int signal);

    /// <remarks>Without loads (the input already in the scratchpad) the first vector instruction waits for one
    /// load-queue token the caller sends after the barrier, and the vector unit frees no input slot.</remarks>
    /// <remarks>Without a store stage (the vector unit writes the output where the next layer reads it, in the
    /// scratchpad) the vector unit's last instruction signals the load queue (the barrier).</remarks>
    public static void Emit(ProgramBuilder builder, int bands, Stage? load, Stage? vector, Stage? store)
    {
        if (store is null)
        {
            if (vector is null) throw new InvalidOperationException("a band pipeline without stores needs a vector stage");
            for (int band = 0; band < bands; band++)
            {
                bool freeLater = band + 2 < bands, last = band == bands - 1;
                if (load is null)
                {
                    vector(band, Q.If(band == 0, Q.Load), Q.If(last, Q.Load));
                    continue;
                }
                load(band, Q.If(band >= 2, Q.Vector), Q.Vector);
                vector(band, Q.Load, Q.If(freeLater || last, Q.Load));
            }
            builder.EndLayer(QueueKind.Vector);
            return;
        }
        for (int band = 0; band < bands; band++)
        {
            bool reuse = band >= 2, freeLater = band + 2 < bands, last = band == bands - 1;
            if (load is null)
            {
                if (vector is null) throw new InvalidOperationException("a band pipeline without loads needs a vector stage");
                vector(band, Q.If(band == 0, Q.Load) | Q.If(reuse, Q.Store), Q.Store);
                store(band, Q.Vector, Q.If(freeLater, Q.Vector) | Q.If(last, Q.Load));
                continue;
            }
            if (vector is null)
            {
                load(band, Q.If(reuse, Q.Store), Q.Store);
                store(band, Q.Load, Q.If(freeLater || last, Q.Load));
                continue;
            }
            load(band, Q.If(reuse, Q.Vector), Q.Vector);
            vector(band, Q.Load | Q.If(reuse, Q.Store), Q.Store | Q.If(freeLater, Q.Load));
            store(band, Q.Vector, Q.If(freeLater, Q.Vector) | Q.If(last, Q.Load));
        }
        builder.EndLayer();
    }

    /// <summary>Splits an action's wait onto its first instruction and signal onto its last.</summary>
    public static (int Wait, int Signal) Tokens(int index, int count, int wait, int signal) => (index == 0 ? wait : 0, index == count - 1 ? signal : 0);
}
