using System.Collections.Concurrent;
using System.Diagnostics;
using Polydev.Agent.Protocol;
using Polydev.Server.Sandboxes;

namespace Polydev.Bench;

/// <summary>
/// The server's own sandbox engine with a stopwatch on the waiting agent (<c>polydev-agent serve</c>, started when
/// the sandbox warmed): when the server wrote the job to its stdin, and when the agent's first output byte after
/// that came back. Nothing else changes, so the benchmark can split an accept into its server-side phases.
/// </summary>
internal sealed class TimedSandboxEngine(ISandboxEngine inner) : ISandboxEngine
{
    private readonly ConcurrentDictionary<string, RunTimestamps> _runs = new(StringComparer.Ordinal);

    public string Name => inner.Name;

    /// <summary>The timestamps of the <c>run</c> exec in the sandbox with this id, once it started.</summary>
    public RunTimestamps? Run(string sandboxId) => _runs.GetValueOrDefault(sandboxId);

    private readonly ConcurrentDictionary<string, double> _creates = new(StringComparer.Ordinal);

    /// <summary>How long the engine's <see cref="ISandboxEngine.CreateAsync"/> of the sandbox with this id took, in ms.</summary>
    public double? CreateMilliseconds(string sandboxId) => _creates.TryGetValue(sandboxId, out var ms) ? ms : null;

    public async Task<SandboxHandle> CreateAsync(SandboxSpec spec, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var sandbox = await inner.CreateAsync(spec, cancellationToken);
        _creates[sandbox.Id] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return sandbox;
    }

    public async Task<SandboxProcess> ExecAsync(SandboxHandle sandbox, SandboxCommand command, CancellationToken cancellationToken = default)
    {
        var process = await inner.ExecAsync(sandbox, command, cancellationToken);
        if (command.Arguments is not [_, "serve", ..])
        {
            return process;
        }

        var timestamps = new RunTimestamps();
        _runs[sandbox.Id] = timestamps;
        return new TimedProcess(process, timestamps);
    }

    public Task<SandboxStatus?> InspectAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default) => inner.InspectAsync(sandbox, cancellationToken);

    public Task DestroyAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default) => inner.DestroyAsync(sandbox, cancellationToken);

    public Task<IReadOnlyList<SandboxInfo>> ListOwnedAsync(string ownerServerId, CancellationToken cancellationToken = default) => inner.ListOwnedAsync(ownerServerId, cancellationToken);

    /// <summary><see cref="Stopwatch"/> timestamps of one agent run, as the server saw it.</summary>
    internal sealed class RunTimestamps
    {
        /// <summary>When the server wrote the sealed job to the waiting agent; 0 until then.</summary>
        public long JobWritten;

        /// <summary>When the first byte of the agent's output after the job reached the server; 0 until then.</summary>
        public long FirstByte;
    }

    private sealed class TimedProcess(SandboxProcess inner, RunTimestamps timestamps) : SandboxProcess
    {
        private readonly TimedStream _stdin = new(inner.Stdin, timestamps, isInput: true);
        private readonly TimedStream _stdout = new(inner.Stdout, timestamps, isInput: false);

        public override Stream Stdin => _stdin;

        public override Stream Stdout => _stdout;

        public override Stream Stderr => inner.Stderr;

        public override Task OutputCompletion => inner.OutputCompletion;

        public override ValueTask CloseStdinAsync() => inner.CloseStdinAsync();

        public override Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => inner.WaitForExitAsync(cancellationToken);

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>A pass-through that notes the first write (the job) or the first read after it other than a heartbeat (the agent's answer).</summary>
    private sealed class TimedStream(Stream inner, RunTimestamps timestamps, bool isInput) : Stream
    {
        public override bool CanRead => !isInput;

        public override bool CanSeek => false;

        public override bool CanWrite => isInput;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            // A heartbeat is not the agent's answer (docs/agent-protocol.md); the channel reads each frame header alone.
            var heartbeat = read >= 2 && buffer.Span[0] == AgentProtocol.Version && buffer.Span[1] == (byte)AgentFrameType.Heartbeat;
            if (read > 0 && !heartbeat && Volatile.Read(ref timestamps.JobWritten) != 0)
            {
                Interlocked.CompareExchange(ref timestamps.FirstByte, Stopwatch.GetTimestamp(), 0);
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Interlocked.CompareExchange(ref timestamps.JobWritten, Stopwatch.GetTimestamp(), 0);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
