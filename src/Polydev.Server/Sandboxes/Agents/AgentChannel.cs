using System.Threading.Channels;
using Polydev.Agent.Protocol;
using Polydev.Crypto;

namespace Polydev.Server.Sandboxes.Agents;

/// <summary>
/// The server's end of the channel to one sandbox agent (<c>polydev-agent serve</c>; docs/agent-protocol.md). Opened
/// when the sandbox warms: it reads the hello (protocol version, agent version, the one-job public key), then reads
/// every frame the agent sends for as long as the sandbox lives, so heartbeats are seen while the agent waits in the
/// pool as well as while it runs. It delivers the sealed job, relays the output-stream frames unopened, sends the
/// cancel, and ends with the agent's exit frame, or as lost with a reason: the output ended without an exit frame,
/// the agent fell silent for <see cref="AgentChannelOptions.MissedHeartbeats"/> beats, or it broke the protocol.
/// </summary>
public sealed class AgentChannel : IAsyncDisposable
{
    private readonly SandboxProcess _process;
    private readonly AgentFrameReader _reader;
    private readonly AgentFrameWriter _writer;
    private readonly StderrTail _stderr;
    private readonly AgentChannelOptions _options;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _silenceLimit;
    private readonly Channel<OutputStreamFrame> _output = Channel.CreateBounded<OutputStreamFrame>(
        new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<AgentEnd> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private readonly ITimer _silence;
    private int _jobSent;

    private AgentChannel(SandboxProcess process, AgentFrameReader reader, StderrTail stderr, AgentHello hello, AgentChannelOptions options, TimeProvider clock)
    {
        _process = process;
        _reader = reader;
        _writer = new AgentFrameWriter(process.Stdin);
        Signals = new AgentSignals(_writer);
        _stderr = stderr;
        _options = options;
        _clock = clock;
        Hello = hello;
        _silenceLimit = hello.HeartbeatInterval * options.MissedHeartbeats;
        _silence = clock.CreateTimer(_ => FallSilent(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The agent's hello: its build and its one-job public key.</summary>
    public AgentHello Hello { get; }

    /// <summary>A login agent's session messages, both ways.</summary>
    public AgentSignals Signals { get; }

    /// <summary>The agent's one-job P-256 public key (65-byte uncompressed point), from the hello.</summary>
    public byte[] PublicKey => Hello.PublicKey;

    /// <summary>Completes when the channel ends: the agent's exit frame, or lost.</summary>
    public Task<AgentEnd> Completion => _end.Task;

    /// <summary>True once the channel ended; a waiting sandbox whose channel ended is useless.</summary>
    public bool HasEnded => _end.Task.IsCompleted;

    /// <summary>What the agent wrote to stderr, up to 2 KiB.</summary>
    public string Stderr => _stderr.Text;

    /// <summary>
    /// Reads the agent's hello from a freshly started <c>polydev-agent serve</c> and starts reading the channel. The
    /// process lives on with the sandbox; <paramref name="cancellationToken"/> only bounds the wait for the hello. On
    /// failure the process is disposed.
    /// </summary>
    /// <exception cref="AgentChannelException">No hello within <see cref="AgentChannelOptions.HelloTimeout"/>, something else first, or another protocol version (the message names both).</exception>
    public static async Task<AgentChannel> OpenAsync(SandboxProcess process, AgentChannelOptions options, TimeProvider clock, CancellationToken cancellationToken)
    {
        var stderr = new StderrTail(process.Stderr);
        var reader = new AgentFrameReader(process.Stdout, "agent");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HelloTimeout);
            AgentFrame? first = await reader.ReadAsync(timeout.Token);
            if (first is null)
            {
                await stderr.DrainedAsync(TimeSpan.FromSeconds(1));
                string said = stderr.Text;
                throw new AgentChannelException($"The sandbox agent ended before its hello: {(said.Length <= 300 ? said : said[..300] + "…")}");
            }

            if (first.Type != AgentFrameType.Hello)
            {
                throw new AgentChannelException($"The sandbox agent sent a {first.Type} frame before its hello.");
            }

            var channel = new AgentChannel(process, reader, stderr, AgentHello.Decode(first.Payload), options, clock);
            _ = channel.PumpAsync();
            return channel;
        }
        catch (Exception e)
        {
            await process.DisposeAsync();
            if (e is AgentProtocolException)
            {
                throw new AgentChannelException($"The sandbox agent cannot be used: {e.Message}", e);
            }

            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new AgentChannelException($"The sandbox agent sent no hello within {options.HelloTimeout.TotalSeconds:0.#} s.", e);
            }

            throw;
        }
    }

    /// <summary>Delivers the sealed job, opaque to the server. Only once.</summary>
    public async Task SendJobAsync(ReadOnlyMemory<byte> sealedJob, CancellationToken cancellationToken)
    {
        if (sealedJob.Length is 0 or > AgentProtocol.MaxJobLength)
        {
            throw new ArgumentOutOfRangeException(nameof(sealedJob), $"A sealed job is 1 to {AgentProtocol.MaxJobLength} bytes.");
        }

        if (Interlocked.Exchange(ref _jobSent, 1) != 0)
        {
            throw new InvalidOperationException("The agent has already been sent its one job.");
        }

        await _writer.WriteAsync(AgentFrameType.Job, sealedJob, cancellationToken);
    }

    /// <summary>The next output-stream frame, unopened; null once the channel ended (see <see cref="Completion"/>).</summary>
    /// <remarks>One reader at a time (the channel is single-reader): a frame waiting is a frame read.</remarks>
    public async ValueTask<OutputStreamFrame?> ReadOutputAsync(CancellationToken cancellationToken) =>
        await _output.Reader.WaitToReadAsync(cancellationToken) && _output.Reader.TryRead(out OutputStreamFrame? frame) ? frame : null;

    /// <summary>
    /// After the final output chunk: waits up to <see cref="AgentChannelOptions.ExitTimeout"/> for the exit frame
    /// (it follows at once). Null when it did not come in time.
    /// </summary>
    public async Task<AgentEnd?> WaitForEndAsync()
    {
        try
        {
            return await _end.Task.WaitAsync(_options.ExitTimeout, _clock);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Sends the cancel and waits up to <see cref="AgentChannelOptions.ExitTimeout"/> for the agent to kill the CLI and
    /// send its exit frame (reason <see cref="AgentExitReason.Cancelled"/>), dropping the output that comes meanwhile.
    /// Null when it did not end in time; the caller destroys the sandbox either way.
    /// </summary>
    public async Task<AgentEnd?> CancelAsync()
    {
        if (HasEnded)
        {
            return _end.Task.Result;
        }

        using var grace = new CancellationTokenSource(_options.ExitTimeout, _clock);
        try
        {
            await _writer.WriteAsync(AgentFrameType.Cancel, ReadOnlyMemory<byte>.Empty, grace.Token);
            while (await ReadOutputAsync(grace.Token) is not null)
            {
            }

            return await _end.Task;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SandboxEngineException)
        {
            return _end.Task.IsCompleted ? _end.Task.Result : null;
        }
    }

    /// <summary>Waits a little for the agent's stderr to be read to its end.</summary>
    public Task StderrDrained(TimeSpan timeout) => _stderr.DrainedAsync(timeout);

    /// <summary>Stops reading and cuts the agent's streams (not the sandbox).</summary>
    public async ValueTask DisposeAsync()
    {
        End(AgentEnd.Lost("the server closed the channel"));
        await _closing.CancelAsync();
        _silence.Dispose();
        await _process.DisposeAsync();
    }

    private async Task PumpAsync()
    {
        try
        {
            End(await ReadToEndAsync());
        }
        catch (AgentProtocolException e)
        {
            End(AgentEnd.Lost(e.Message));
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            End(AgentEnd.Lost("the server closed the channel"));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SandboxEngineException)
        {
            End(AgentEnd.Lost($"the agent's output broke off: {e.Message}"));
        }
    }

    private async Task<AgentEnd> ReadToEndAsync()
    {
        while (true)
        {
            // The silence timer runs only while waiting on the agent, never while the consumer holds up the pump.
            _silence.Change(_silenceLimit, Timeout.InfiniteTimeSpan);
            AgentFrame? frame = await _reader.ReadAsync(_closing.Token);
            _silence.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            switch (frame?.Type)
            {
                case null:
                    return AgentEnd.Lost("the agent's output ended without an exit frame (the agent crashed or was killed)");
                case AgentFrameType.Heartbeat:
                    break;
                case AgentFrameType.Output:
                    if (!OutputStream.TryReadHeader(frame.Payload, out long sequence, out bool isFinal, out string? error))
                    {
                        return AgentEnd.Lost($"the agent sent a malformed output frame: {error}");
                    }

                    await _output.Writer.WriteAsync(new OutputStreamFrame(frame.Payload, sequence, isFinal), _closing.Token);
                    break;
                case AgentFrameType.Signal or AgentFrameType.Credential:
                    if (await Signals.DeliverAsync(frame, _closing.Token) is { } problem)
                    {
                        return AgentEnd.Lost(problem);
                    }

                    break;
                case AgentFrameType.Exit:
                    return AgentEnd.Exited(AgentExit.Decode(frame.Payload));
                default:
                    return AgentEnd.Lost($"the agent sent a {frame.Type} frame, which only the server sends");
            }
        }
    }

    private void FallSilent()
    {
        End(AgentEnd.Lost($"the agent sent nothing for {_silenceLimit.TotalSeconds:0.###} s ({_options.MissedHeartbeats} heartbeats missed)"));
        _closing.Cancel();
    }

    private void End(AgentEnd end)
    {
        if (_end.TrySetResult(end))
        {
            _output.Writer.TryComplete();
            Signals.Complete();
        }
    }
}
