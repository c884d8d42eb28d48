using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// A Docker exec attached over a hijacked connection. Without a TTY the daemon multiplexes the
/// output: frames of an 8-byte header (<c>[stream, 0, 0, 0, size as big-endian uint32]</c>, stream 1
/// stdout, 2 stderr) and <c>size</c> bytes of payload. A pump splits them into two pipes; stdin is
/// written to the socket as is, and closed with a half-close.
/// </summary>
internal sealed class DockerExecProcess : SandboxProcess
{
    private static readonly PipeOptions Buffering = new(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, useSynchronizationContext: false);

    private readonly DockerClient _client;
    private readonly string _execId;
    private readonly Socket _socket;
    private readonly Pipe _stdout = new(Buffering);
    private readonly Pipe _stderr = new(Buffering);
    private readonly CancellationTokenSource _cut = new();
    private readonly CancellationTokenRegistration _callerCancel;
    private readonly Task _pump;
    private readonly NetworkStream _stdin;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _filled;
    private int _disposed;

    public DockerExecProcess(DockerClient client, string execId, Socket socket, byte[] leftover, CancellationToken cancellationToken)
    {
        _client = client;
        _execId = execId;
        _socket = socket;
        _stdin = new NetworkStream(socket, FileAccess.Write, ownsSocket: false);
        Stdout = _stdout.Reader.AsStream();
        Stderr = _stderr.Reader.AsStream();
        _callerCancel = cancellationToken.Register(() => _cut.Cancel());
        _pump = Task.Run(() => PumpAsync(leftover));
    }

    public override Stream Stdin => _stdin;

    public override Stream Stdout { get; }

    public override Stream Stderr { get; }

    public override Task OutputCompletion => _pump;

    public override ValueTask CloseStdinAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        return ValueTask.CompletedTask;
    }

    public override async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cut.Token);
        await _pump.WaitAsync(linked.Token);
        _cut.Token.ThrowIfCancellationRequested();

        // The output ends a moment before the daemon records the exit code.
        for (var attempt = 0; ; attempt++)
        {
            var exec = await _client.InspectExecAsync(_execId, linked.Token);
            if (!exec.GetProperty("Running").GetBoolean() && exec.GetProperty("ExitCode").ValueKind == System.Text.Json.JsonValueKind.Number)
            {
                return exec.GetProperty("ExitCode").GetInt32();
            }

            if (attempt > 500)
            {
                throw new SandboxEngineException("docker", "exec inspect", 504, "the process's output ended but the daemon reports it still running after 10 s");
            }

            await Task.Delay(20, linked.Token);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _cut.Cancel();
        _socket.Dispose();
        try
        {
            await _pump;
        }
        catch
        {
            // The pump's failures were handed to the readers.
        }

        await _stdin.DisposeAsync();
        await _callerCancel.DisposeAsync();
        _cut.Dispose();
    }

    private async Task PumpAsync(byte[] leftover)
    {
        Exception? failure = null;
        try
        {
            leftover.CopyTo(_buffer, 0);
            _filled = leftover.Length;
            while (await FillAsync(8))
            {
                var stream = _buffer[0];
                var size = (int)BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(4, 4));
                Consume(8);
                var target = stream == 2 ? _stderr.Writer : _stdout.Writer;
                while (size > 0)
                {
                    if (_filled == 0 && !await FillAsync(1))
                    {
                        throw new IOException("the exec stream ended in the middle of a frame");
                    }

                    var take = Math.Min(size, _filled);
                    await target.WriteAsync(_buffer.AsMemory(0, take), _cut.Token);
                    Consume(take);
                    size -= take;
                }
            }
        }
        catch (Exception e) when (_cut.IsCancellationRequested)
        {
            failure = new OperationCanceledException("the exec was cancelled", e, _cut.Token);
        }
        catch (Exception e)
        {
            failure = e;
        }

        await _stdout.Writer.CompleteAsync(failure);
        await _stderr.Writer.CompleteAsync(failure);
        if (failure is not null)
        {
            throw failure;
        }
    }

    // Reads until at least `needed` bytes are buffered; false at a clean end of stream with nothing buffered.
    private async Task<bool> FillAsync(int needed)
    {
        while (_filled < needed)
        {
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, _cut.Token);
            if (read == 0)
            {
                if (_filled == 0)
                {
                    return false;
                }

                throw new IOException("the exec stream ended in the middle of a frame header");
            }

            _filled += read;
        }

        return true;
    }

    private void Consume(int count)
    {
        Buffer.BlockCopy(_buffer, count, _buffer, 0, _filled - count);
        _filled -= count;
    }
}
