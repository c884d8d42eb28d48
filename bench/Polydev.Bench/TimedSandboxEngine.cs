using System.Collections.Concurrent;
using System.Diagnostics;
using Polydev.Server.Sandboxes;

namespace Polydev.Bench;

/// <summary>
/// The server's own sandbox engine with a stopwatch around the agent's <c>run</c>: when the server asked the
/// engine for the exec, when the exec was started (Docker: create + start, hijacked), and when the agent's first
/// output byte came back. Nothing else changes, so the benchmark can split an accept into its server-side phases.
/// </summary>
internal sealed class TimedSandboxEngine(ISandboxEngine inner) : ISandboxEngine
{
    private readonly ConcurrentDictionary<string, RunTimestamps> _runs = new(StringComparer.Ordinal);

    public string Name => inner.Name;

    /// <summary>The timestamps of the <c>run</c> exec in the sandbox with this id, once it started.</summary>
    public RunTimestamps? Run(string sandboxId) => _runs.GetValueOrDefault(sandboxId);

    public Task<SandboxHandle> CreateAsync(SandboxSpec spec, CancellationToken cancellationToken = default) => inner.CreateAsync(spec, cancellationToken);

    public async Task<SandboxProcess> ExecAsync(SandboxHandle sandbox, SandboxCommand command, CancellationToken cancellationToken = default)
    {
        if (command.Arguments is not [_, "run", ..])
        {
            return await inner.ExecAsync(sandbox, command, cancellationToken);
        }

        var timestamps = new RunTimestamps { ExecRequested = Stopwatch.GetTimestamp() };
        var process = await inner.ExecAsync(sandbox, command, cancellationToken);
        timestamps.ExecStarted = Stopwatch.GetTimestamp();
        _runs[sandbox.Id] = timestamps;
        return new TimedProcess(process, timestamps);
    }

    public Task<SandboxStatus?> InspectAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default) => inner.InspectAsync(sandbox, cancellationToken);

    public Task DestroyAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default) => inner.DestroyAsync(sandbox, cancellationToken);

    public Task<string?> ResolveImageVersionAsync(string image, CancellationToken cancellationToken = default) => inner.ResolveImageVersionAsync(image, cancellationToken);

    public Task<IReadOnlyList<SandboxInfo>> ListOwnedAsync(string ownerServerId, CancellationToken cancellationToken = default) => inner.ListOwnedAsync(ownerServerId, cancellationToken);

    /// <summary><see cref="Stopwatch"/> timestamps of one agent run, as the server saw it.</summary>
    internal sealed class RunTimestamps
    {
        public long ExecRequested { get; init; }

        public long ExecStarted { get; set; }

        /// <summary>When the first byte of the agent's stdout reached the server; 0 until then.</summary>
        public long FirstByte;
    }

    private sealed class TimedProcess(SandboxProcess inner, RunTimestamps timestamps) : SandboxProcess
    {
        private readonly FirstByteStream _stdout = new(inner.Stdout, timestamps);

        public override Stream Stdin => inner.Stdin;

        public override Stream Stdout => _stdout;

        public override Stream Stderr => inner.Stderr;

        public override ValueTask CloseStdinAsync() => inner.CloseStdinAsync();

        public override Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => inner.WaitForExitAsync(cancellationToken);

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>A read-only pass-through that notes when its first byte arrived.</summary>
    private sealed class FirstByteStream(Stream inner, RunTimestamps timestamps) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                Interlocked.CompareExchange(ref timestamps.FirstByte, Stopwatch.GetTimestamp(), 0);
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
