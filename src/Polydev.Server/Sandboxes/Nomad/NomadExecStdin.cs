using System.Net.WebSockets;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>A Nomad exec's stdin: each write becomes <c>{"stdin":{"data":"&lt;base64&gt;"}}</c> frames.</summary>
internal sealed class NomadExecStdin(Func<ReadOnlyMemory<byte>, CancellationToken, Task> send) : Stream
{
    // Nomad's own client sends 2 KiB per frame; larger frames cost less base64 and JSON per byte.
    private const int StdinChunk = 48 * 1024;

    private static readonly byte[] Prefix = "{\"stdin\":{\"data\":\""u8.ToArray();
    private static readonly byte[] Suffix = "\"}}"u8.ToArray();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        for (var offset = 0; offset < buffer.Length; offset += StdinChunk)
        {
            var chunk = buffer.Slice(offset, Math.Min(StdinChunk, buffer.Length - offset));
            var frame = new byte[Prefix.Length + ((chunk.Length + 2) / 3 * 4) + Suffix.Length];
            Prefix.CopyTo(frame, 0);
            System.Buffers.Text.Base64.EncodeToUtf8(chunk.Span, frame.AsSpan(Prefix.Length), out _, out var written);
            Suffix.CopyTo(frame, Prefix.Length + written);
            try
            {
                await send(frame, cancellationToken);
            }
            catch (WebSocketException e)
            {
                throw new IOException("the process's stdin is closed: " + e.Message, e);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
