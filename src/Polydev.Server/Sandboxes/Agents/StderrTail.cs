using System.Text;

namespace Polydev.Server.Sandboxes.Agents;

/// <summary>
/// Drains an agent's stderr from the start (an engine buffers only so much) and keeps its first 2 KiB: the agent
/// writes only short fixed diagnostics there, never job content.
/// </summary>
internal sealed class StderrTail
{
    private const int Limit = 2048;

    private readonly StringBuilder _text = new();
    private readonly Task _drain;

    public StderrTail(Stream stderr) => _drain = DrainAsync(stderr);

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString().Trim();
            }
        }
    }

    /// <summary>Waits a little for stderr to be read to its end (after the process exited).</summary>
    public Task DrainedAsync(TimeSpan timeout) => _drain.WaitAsync(timeout).ContinueWith(_ => { }, TaskScheduler.Default);

    private async Task DrainAsync(Stream stream)
    {
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                lock (_text)
                {
                    if (_text.Length < Limit)
                    {
                        _text.Append(Encoding.UTF8.GetString(buffer, 0, Math.Min(read, Limit - _text.Length)));
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SandboxEngineException)
        {
            // Cut with the sandbox; what was read stays.
        }
    }
}
