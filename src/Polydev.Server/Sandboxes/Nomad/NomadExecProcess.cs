using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Json;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// A process started by Nomad's allocation exec, over its WebSocket. Nomad's framing (api/allocations.go): the client
/// sends JSON text frames <c>{"stdin":{"data":"&lt;base64&gt;"}}</c>, <c>{"stdin":{"close":true}}</c> and a heartbeat
/// <c>{}</c> every 10 s; the agent answers <c>{"stdout":{"data":…}}</c>, <c>{"stderr":{"data":…}}</c>, a
/// <c>close</c> per stream, and last <c>{"exited":true,"result":{"exit_code":N}}</c>. A pump splits the output into
/// two pipes (bounded, so a slow reader holds the socket back instead of growing memory).
/// </summary>
internal sealed class NomadExecProcess : SandboxProcess
{
    private static readonly PipeOptions Buffering = new(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, useSynchronizationContext: false);
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    private readonly WebSocket _socket;
    private readonly Pipe _stdout = new(Buffering);
    private readonly Pipe _stderr = new(Buffering);
    private readonly CancellationTokenSource _cut = new();
    private readonly CancellationTokenRegistration _callerCancel;
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Task<int?> _pump;
    private readonly Task _heartbeat;
    private int _disposed;
    private int _stdinClosed;

    public NomadExecProcess(WebSocket socket, CancellationToken cancellationToken)
    {
        _socket = socket;
        Stdin = new NomadExecStdin(SendAsync);
        Stdout = _stdout.Reader.AsStream();
        Stderr = _stderr.Reader.AsStream();
        _callerCancel = cancellationToken.Register(() => _cut.Cancel());
        _pump = Task.Run(PumpAsync);
        _heartbeat = Task.Run(HeartbeatAsync);
    }

    public override Stream Stdin { get; }

    public override Stream Stdout { get; }

    public override Stream Stderr { get; }

    public override Task OutputCompletion => _pump;

    public override async ValueTask CloseStdinAsync()
    {
        if (Interlocked.Exchange(ref _stdinClosed, 1) == 0)
        {
            await SendQuietlyAsync("{\"stdin\":{\"close\":true}}"u8.ToArray());
        }
    }

    public override async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cut.Token);
        var exit = await _pump.WaitAsync(linked.Token);
        _cut.Token.ThrowIfCancellationRequested();
        return exit ?? throw new SandboxEngineException(NomadClient.Engine, "exec", 502, "the exec connection ended before Nomad reported the process's exit (the allocation or its node is gone)");
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _callerCancel.DisposeAsync();
        await _cut.CancelAsync();
        _socket.Abort();
        try
        {
            await Task.WhenAll(_pump, _heartbeat);
        }
        catch (Exception)
        {
        }

        _socket.Dispose();
        _cut.Dispose();
    }

    /// <summary>Reads frames until the exit result or the socket's end; returns the exit code, or null when it never came.</summary>
    private async Task<int?> PumpAsync()
    {
        var message = new ArrayBufferWriter<byte>(64 * 1024);
        int? exit = null;
        Exception? failure = null;
        try
        {
            while (exit is null)
            {
                message.ResetWrittenCount();
                ValueWebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(message.GetMemory(16 * 1024), _cut.Token);
                    message.Advance(received.Count);
                }
                while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                exit = await HandleFrameAsync(message.WrittenMemory);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or JsonException or IOException)
        {
            failure = e;
        }

        await _stdout.Writer.CompleteAsync(failure);
        await _stderr.Writer.CompleteAsync(failure);
        if (exit is not null && _socket.State == WebSocketState.Open)
        {
            try
            {
                using var close = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, close.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        return exit;
    }

    private async ValueTask<int?> HandleFrameAsync(ReadOnlyMemory<byte> frame)
    {
        using var document = JsonDocument.Parse(frame);
        var root = document.RootElement;
        if (root.TryGetProperty("exited", out var exited) && exited.ValueKind == JsonValueKind.True)
        {
            return root.TryGetProperty("result", out var result) && result.TryGetProperty("exit_code", out var code) ? code.GetInt32() : -1;
        }

        // One stream per frame (api/allocations.go); a close frame carries no data.
        var pipe = root.TryGetProperty("stdout", out var operation) ? _stdout : root.TryGetProperty("stderr", out operation) ? _stderr : null;
        if (pipe is not null && operation.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
        {
            await pipe.Writer.WriteAsync(data.GetBytesFromBase64(), _cut.Token);
        }

        return null;
    }

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_cut.Token) && !_pump.IsCompleted)
            {
                await SendQuietlyAsync("{}"u8.ToArray());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cut.Token);
        await _send.WaitAsync(linked.Token);
        try
        {
            await _socket.SendAsync(frame, WebSocketMessageType.Text, true, linked.Token);
        }
        finally
        {
            _send.Release();
        }
    }

    private async Task SendQuietlyAsync(byte[] frame)
    {
        try
        {
            await SendAsync(frame, CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
