namespace Polydev.Server.Sandboxes;

/// <summary>
/// A process running inside a sandbox (<see cref="ISandboxEngine.ExecAsync"/>): its three streams and
/// its exit code. Read stdout and stderr both (or dispose): an engine buffers only so much of each.
/// Disposing cuts the streams; it does not wait for the process.
/// </summary>
public abstract class SandboxProcess : IAsyncDisposable
{
    /// <summary>Writable; bytes go to the process's stdin. <see cref="CloseStdinAsync"/> sends end-of-file.</summary>
    public abstract Stream Stdin { get; }

    /// <summary>Readable; ends when the process closes its stdout (normally: exits).</summary>
    public abstract Stream Stdout { get; }

    /// <summary>Readable; ends when the process closes its stderr.</summary>
    public abstract Stream Stderr { get; }

    /// <summary>Ends the process's stdin (end-of-file), keeping stdout and stderr open.</summary>
    public abstract ValueTask CloseStdinAsync();

    /// <summary>Completes when the process's output has ended (it exited, or the engine cut it): a liveness signal that costs no call.</summary>
    public abstract Task OutputCompletion { get; }

    /// <summary>
    /// Waits for the process to exit and returns its exit code (128 + signal when killed, e.g. 137
    /// for SIGKILL by the OOM killer). Throws <see cref="OperationCanceledException"/> when
    /// cancelled, <see cref="SandboxEngineException"/> when the engine loses it.
    /// </summary>
    public abstract Task<int> WaitForExitAsync(CancellationToken cancellationToken = default);

    public abstract ValueTask DisposeAsync();
}
