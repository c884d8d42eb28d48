using System.Buffers;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Buffered reads from one socket with a pooled buffer that is rented only while bytes are
/// waiting: an idle connection waits with a zero-byte read and holds no buffer, so thousands of
/// quiet tunnels and keep-alive connections cost a socket each, not a buffer each.
/// Only the task that owns the connection may call it.
/// </summary>
internal sealed class SocketReader(Socket socket, int capacity) : IDisposable
{
    private byte[]? _buffer;
    private int _start;
    private int _end;

    public Socket Socket { get; } = socket;

    public int Capacity { get; } = capacity;

    public int Count => _end - _start;

    public ReadOnlySpan<byte> Span => _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);

    public ReadOnlyMemory<byte> Memory => _buffer is null ? default : _buffer.AsMemory(_start, _end - _start);

    /// <summary>True when no more bytes fit without consuming some.</summary>
    public bool IsFull => _buffer is not null && _start == 0 && _end >= Capacity;

    public void Consume(int count)
    {
        _start += count;
        if (_start >= _end)
        {
            _start = _end = 0;
        }
    }

    /// <summary>Reads what the socket has (at most <paramref name="limit"/> more bytes); 0 at end of stream.</summary>
    public async ValueTask<int> FillAsync(CancellationToken cancellationToken, int limit = int.MaxValue)
    {
        if (_buffer is null)
        {
            await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
            _buffer = ArrayPool<byte>.Shared.Rent(Capacity);
        }

        if (_start > 0 && _end >= Capacity)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        var room = Math.Min(Capacity - _end, limit);
        if (room <= 0)
        {
            throw new InvalidOperationException("The read buffer is full.");
        }

        var read = await Socket.ReceiveAsync(_buffer.AsMemory(_end, room), SocketFlags.None, cancellationToken);
        _end += read;
        return read;
    }

    /// <summary>Returns the buffer to the pool when nothing is buffered, before a long wait.</summary>
    public void ReleaseIfEmpty()
    {
        if (_buffer is not null && _start == _end)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
            _start = _end = 0;
        }
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
