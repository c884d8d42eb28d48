using System.Threading.Channels;
using Polydev.Agent.Protocol;

namespace Polydev.Agent;

/// <summary>
/// The agent's end of the channel to the server (docs/agent-protocol.md): sends the hello and then a heartbeat every
/// interval until the exit frame, receives the one sealed job, watches for the server's cancel while the job runs,
/// and carries the job's output-stream frames out unchanged. Nothing it writes to stderr quotes a frame's content.
/// </summary>
internal sealed class AgentChannel : IAsyncDisposable
{
    private readonly AgentFrameReader _reader;
    private readonly AgentFrameWriter _writer;
    private readonly TimeSpan _heartbeatInterval;
    private readonly CancellationTokenSource _cancelRequested = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Channel<byte[]> _signals = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private Task _heartbeats = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;
    private bool _exited;

    public AgentChannel(Stream input, Stream output, TimeSpan heartbeatInterval)
    {
        _reader = new AgentFrameReader(input, "server");
        _writer = new AgentFrameWriter(output);
        _heartbeatInterval = heartbeatInterval;
    }

    /// <summary>Cancelled when the server sends <see cref="AgentFrameType.Cancel"/>.</summary>
    public CancellationToken CancelRequested => _cancelRequested.Token;

    /// <summary>Sends the hello (protocol version, agent version, the one-job public key) and starts the heartbeats.</summary>
    public async Task HelloAsync(byte[] publicKey)
    {
        var hello = new AgentHello(publicKey, AgentVersion.Current, _heartbeatInterval);
        await _writer.WriteAsync(AgentFrameType.Hello, hello.Encode());
        _heartbeats = BeatAsync();
    }

    /// <summary>
    /// Waits for the sealed job. Null when the server closed the channel first (<see cref="AgentExitReason.Abandoned"/>)
    /// or cancelled first (then <see cref="CancelRequested"/> is set). Afterwards the channel keeps reading, for a cancel.
    /// </summary>
    /// <exception cref="AgentProtocolException">The server speaks another version or sent something else.</exception>
    public async Task<byte[]?> ReceiveJobAsync()
    {
        AgentFrame? frame = await _reader.ReadAsync();
        switch (frame?.Type)
        {
            case null:
                return null;
            case AgentFrameType.Cancel:
                await _cancelRequested.CancelAsync();
                return null;
            case AgentFrameType.Job:
                _watch = WatchForCancelAsync();
                return frame.Payload;
            default:
                throw new AgentProtocolException(AgentProtocolFailure.Unexpected, $"The server sent a {frame.Type} frame where a job or a cancel was due.");
        }
    }

    /// <summary>Carries one output-stream frame (sealed by the job runner) to the server.</summary>
    public ValueTask SendOutputAsync(ReadOnlyMemory<byte> outputFrame) => _writer.WriteAsync(AgentFrameType.Output, outputFrame);

    /// <summary>Login sessions: the viewer's encrypted session messages, in the order the server relayed them; completes when the server's side ends.</summary>
    public ChannelReader<byte[]> Signals => _signals.Reader;

    /// <summary>Login sessions: carries one encrypted session message to the server, which relays it to the viewer.</summary>
    public ValueTask SendSignalAsync(ReadOnlyMemory<byte> message) => _writer.WriteAsync(AgentFrameType.Signal, message);

    /// <summary>Login sessions that connect an account: the captured credential, sealed to the user (sent once, before the exit).</summary>
    public ValueTask SendCredentialAsync(ReadOnlyMemory<byte> sealedCredential) => _writer.WriteAsync(AgentFrameType.Credential, sealedCredential);

    /// <summary>The job's phases, for the exit frame; set by the job runner when the job has run.</summary>
    public AgentPhases? Phases { get; set; }

    /// <summary>Stops the heartbeats and sends the last frame. Returns the exit status the process should end with.</summary>
    public async Task<int> ExitAsync(AgentExitReason reason)
    {
        await StopHeartbeatsAsync();
        var exit = AgentExit.For(reason) with { Phases = Phases };
        if (!_exited)
        {
            _exited = true;
            try
            {
                await _writer.WriteAsync(AgentFrameType.Exit, exit.Encode());
            }
            catch (IOException)
            {
                // The server is gone; the exit status still says why.
            }
        }

        return exit.ExitStatus;
    }

    public async ValueTask DisposeAsync()
    {
        await StopHeartbeatsAsync();
        _cancelRequested.Dispose();
        _writer.Dispose();
    }

    private async Task StopHeartbeatsAsync()
    {
        if (!_closing.IsCancellationRequested)
        {
            await _closing.CancelAsync();
        }

        await _heartbeats;
    }

    private async Task BeatAsync()
    {
        using var timer = new PeriodicTimer(_heartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
            {
                await _writer.WriteAsync(AgentFrameType.Heartbeat, ReadOnlyMemory<byte>.Empty, _closing.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Exit, or the server went away: nothing left to tell it.
        }
    }

    /// <summary>
    /// While the job runs: a cancel stops it; a login session's signals are queued for it. The end of stdin or anything
    /// else the server sends changes nothing.
    /// </summary>
    private async Task WatchForCancelAsync()
    {
        try
        {
            while (await _reader.ReadAsync() is { } frame)
            {
                if (frame.Type == AgentFrameType.Cancel)
                {
                    await _cancelRequested.CancelAsync();
                    return;
                }

                if (frame.Type == AgentFrameType.Signal)
                {
                    _signals.Writer.TryWrite(frame.Payload);
                }
            }
        }
        catch (Exception e) when (e is AgentProtocolException or IOException or ObjectDisposedException)
        {
            // A broken server side cannot cancel; the job runs to its own limits.
        }
        finally
        {
            _signals.Writer.TryComplete();
        }
    }
}
