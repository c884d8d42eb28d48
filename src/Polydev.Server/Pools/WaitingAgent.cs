using System.Text;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// A warm sandbox's agent, started with <c>polydev-agent serve</c> when the sandbox warmed: it has printed its
/// one-job public key (held only in its memory) and waits on stdin for the sealed job. Handing it a job is a write
/// on an open stream, with no process to start. Its stderr is drained from the start (an engine buffers only so
/// much) and kept short: the agent writes only fixed messages there, never job content.
/// </summary>
public sealed class WaitingAgent : IAsyncDisposable
{
    private const int StderrLimit = 2048;

    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrDrain;

    public WaitingAgent(SandboxProcess process)
    {
        Process = process;
        _stderrDrain = DrainAsync(process.Stderr);
    }

    public SandboxProcess Process { get; }

    /// <summary>True once the agent's output ended: it exited or the engine lost it, so the sandbox is useless.</summary>
    public bool HasEnded => Process.OutputCompletion.IsCompleted;

    /// <summary>What the agent wrote to stderr, up to 2 KiB.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString().Trim();
            }
        }
    }

    /// <summary>Waits a little for stderr to be read to its end (after the process exited).</summary>
    public Task StderrDrained(TimeSpan timeout) => _stderrDrain.WaitAsync(timeout).ContinueWith(_ => { }, TaskScheduler.Default);

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private async Task DrainAsync(Stream stream)
    {
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                lock (_stderr)
                {
                    if (_stderr.Length < StderrLimit)
                    {
                        _stderr.Append(Encoding.UTF8.GetString(buffer, 0, Math.Min(read, StderrLimit - _stderr.Length)));
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Cut with the sandbox; what was read stays.
        }
    }
}
