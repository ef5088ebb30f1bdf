using System.Runtime.ExceptionServices;

namespace Cadre.Serving;

/// <summary>
/// Builds what the engine keeps for its lifetime (a base, a pool entry, a router) so that none of its tensors lands in
/// a caller's dispose scope. TorchSharp's dispose scopes are per thread, and an engine call runs its first steps on the
/// caller's thread (or on a pool thread where some code left a scope open across an await): closing that scope would
/// dispose the engine's weights under it. The build runs on a thread of its own, which has no scope; the owner
/// disposes the result explicitly. A thread costs well under a millisecond beside loading weights.
/// </summary>
internal static class OutsideCallerScope
{
    public static T Build<T>(Func<T> make)
    {
        T? result = default;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try { result = make(); }
            catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); }
        }) { IsBackground = true, Name = "cadre-engine-load" };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result!;
    }
}
